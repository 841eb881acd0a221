// An orphan lock file of another user (its owner SIGKILLed between the two
// names, in a 0666 pool): this user may not remove it from the sticky
// /dev/shm, so it blocks the name (link_or_create: EPERM, "a stale lock file
// of uid N"). The looks used to say nothing was there: status() absent,
// remove() false. Now it is what another user's stale semaphore is: status()
// stale with its owner and mode, exists() false, remove() EPERM naming the
// owner; root removes it. Played by two real users (hostile.hpp).
#include "hostile.hpp"

#include <cstdlib>
#include <functional>

namespace robust_test {
namespace {

class OrphanLockOfAnotherUser : public HostileTest, public ::testing::WithParamInterface<const char*> {
 protected:
  /// The attacker's 0666 semaphore, its maker SIGKILLed at `step`: only
  /// its lock file is left.
  void make_orphan(const std::string& name, const std::string& step) {
    const pid_t pid = start_as(attacker, [&]() -> int {
      ::setenv("NOB_CRASH_AT", step.c_str(), 1);
      robust_semaphore s(name, existence_policy::link_or_create, 1, 0666);
      s.close();
      return 0;
    });
    int status = 0;
    ASSERT_TRUE(wait_stopped(pid, status)) << step << " not reached (status " << status << ")";
    kill_child(pid);
    ASSERT_FALSE(file_present(name));
    ASSERT_EQ(::access(lock_path(name).c_str(), F_OK), 0) << "no orphan lock file";
  }

  /// 0 when `f` throws operation_not_permitted naming the attacker.
  int refused(const std::function<void()>& f) const {
    try {
      f();
      return 1;
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::operation_not_permitted) return 2;
      if (std::string(e.what()).find("uid " + std::to_string(attacker.uid)) == std::string::npos)
        return 3;
    }
    return 0;
  }
};

TEST_P(OrphanLockOfAnotherUser, LooksSayStaleAndWhose) {
  const std::string name = unique_name();
  make_orphan(name, GetParam());
  const uid_t owner = attacker.uid;
  EXPECT_EQ(wait_child(start_as(victim, [&]() -> int {
              const nob::robust_status st = robust_semaphore::status(name);
              if (st.state != nob::robust_state::stale) return 10;
              if (st.owner != owner || st.mode != 0666) return 11;
              if (robust_semaphore::exists(name)) return 12;  // stale counts as absent
              if (const int r = refused([&] { robust_semaphore::remove(name); })) return 20 + r;
              if (const int r = refused([&] { robust_semaphore s(name, existence_policy::link_or_create, 1); }))
                return 30 + r;
              return 0;
            })),
            0);
  EXPECT_EQ(::access(lock_path(name).c_str(), F_OK), 0);
  EXPECT_EQ(robust_semaphore::status(name).state, nob::robust_state::stale);  // a look leaves it
  EXPECT_FALSE(robust_semaphore::remove(name));  // root may: gone, and it was no object
  EXPECT_EQ(robust_semaphore::status(name).state, nob::robust_state::absent);
  EXPECT_NE(::access(lock_path(name).c_str(), F_OK), 0);
}

INSTANTIATE_TEST_SUITE_P(KilledBetweenTheNames, OrphanLockOfAnotherUser,
                         ::testing::Values("create.lock_linked", "close.unlinked"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '.') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace robust_test
