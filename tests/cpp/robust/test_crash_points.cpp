// A process SIGKILLed at every step of create, open, acquire, wait, release,
// close and reclaim (the helper stops itself there: NOB_CRASH_AT). After
// each kill: free units + units held by live processes == capacity (and the
// free ones can really be taken, no more), and the name exists exactly when
// a live process has it open (its lock file with it: never one name
// without the other once somebody has looked).
#include "support.hpp"

namespace robust_test {
namespace {

struct crash_case {
  const char* scenario;  ///< helper scenario
  const char* step;      ///< where it is killed
  bool test_holds;       ///< the test keeps a handle (holding one unit) throughout
};

const crash_case cases[] = {
    {"create", "create.lock_linked", false},
    {"create", "open.user_locked", false},   {"create", "create.registered", false},
    {"create", "create.linked", false},      {"open", "open.opened", true},
    {"open", "open.locked", true},           {"open", "open.user_locked", true},
    {"open", "open.registered", true},       {"acquire", "acquire.taken", true},
    {"wait", "wait.registered", true},
    {"release", "release.claimed", true},    {"release", "release.cleared", true},
    {"release1", "release.cleared", true},
    {"close", "close.locked", true},         {"close", "close.freed", true},
    {"close", "close.unregistered", true},   {"close", "close.unlocked_user", true},
    {"close", "close.locked", false},        {"close", "close.freed", false},
    {"close", "close.unregistered", false},  {"close", "close.unlocked_user", false},
    {"close", "close.unlinked", false},      {"close", "close.lock_unlinked", false},
    {"reclaim", "reclaim.found", true},
    {"reclaim", "reclaim.freed", true},
};

class CrashPoints : public RobustTest, public ::testing::WithParamInterface<crash_case> {};

TEST_P(CrashPoints, NothingLostNothingDoubledNoNameLeaked) {
  const crash_case c = GetParam();
  const auto name = unique_name();
  const unsigned cap = c.scenario == std::string("wait") ? 1 : 3;
  std::unique_ptr<robust_semaphore> mine;
  if (c.test_holds) {
    mine = std::make_unique<robust_semaphore>(name, existence_policy::raise_if_exists, cap);
    mine->acquire();
  }
  if (c.scenario == std::string("reclaim")) {  // a dead holder of every other unit
    int out = -1;
    const pid_t dead = start_holder(name, out, static_cast<int>(cap) - 1);
    kill_child(dead);
    ::close(out);
  }
  const pid_t pid = spawn({helper_path(), "crash", c.scenario, name, std::to_string(cap)}, c.step);
  int status = 0;
  ASSERT_TRUE(wait_stopped(pid, status))
      << c.step << " not reached (status " << status << ")";
  kill_child(pid);

  if (c.test_holds) {
    EXPECT_TRUE(robust_semaphore::exists(name));
    const int free_units = mine->value();
    EXPECT_EQ(free_units + static_cast<int>(units_of_holders(*mine)), static_cast<int>(cap));
    const auto hs = mine->holders();
    ASSERT_EQ(hs.size(), 1u);
    EXPECT_EQ(hs[0].pid, ::getpid());
    EXPECT_EQ(hs[0].units, 1u);
    for (int i = 0; i < free_units; ++i) EXPECT_TRUE(mine->try_acquire()) << i;
    EXPECT_FALSE(mine->try_acquire()) << "more units than capacity";
    if (free_units > 0) mine->release(free_units);
    EXPECT_EQ(mine->held(), 1u);
    // a new process still sees one object, with the same free units
    EXPECT_EQ(run_in_child([&] {
                mine.reset();
                robust_semaphore again(name);
                return again.value() == static_cast<int>(cap) - 1 ? 0 : 1;
              }),
              0);
    EXPECT_TRUE(file_present(name) && ::access(lock_path(name).c_str(), F_OK) == 0);
  } else {
    EXPECT_FALSE(robust_semaphore::exists(name));
    EXPECT_FALSE(file_present(name)) << "a stale name was left";
    EXPECT_NE(::access(lock_path(name).c_str(), F_OK), 0) << "a lock file was left";
    robust_semaphore fresh(name, existence_policy::raise_if_exists, cap);
    EXPECT_EQ(fresh.value(), static_cast<int>(cap));
  }
  if (private_shm()) {  // else another run's temporary files may be there (needs root)
    EXPECT_TRUE(shm_files("nob.nob-").empty()) << "a temporary file was left";
    EXPECT_TRUE(shm_files("nob~nob-").empty()) << "a temporary lock file was left";
  }
}

INSTANTIATE_TEST_SUITE_P(EveryStep, CrashPoints, ::testing::ValuesIn(cases),
                         [](const ::testing::TestParamInfo<crash_case>& info) {
                           std::string n = std::string(info.param.step) + "_" +
                                           info.param.scenario +
                                           (info.param.test_holds ? "_shared" : "_alone");
                           for (char& ch : n)
                             if (ch == '.') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace robust_test
