// remove() and unlink_and_create racing a creator between its two names.
// A creator links its lock file first (holding its file-wide lock), then its
// data file. remove() used to take any lock file it could not lock, and
// whose data file was already gone, for the remains of what it removes: it
// unlinked the creator's lock file; the creator then linked a data file
// without lock file and went on using it, and the next link_or_create
// deleted that live data file and made a second semaphore under the name:
// the pool split, a unit of a capacity-1 semaphore held twice.
// The creator is stopped at create.lock_linked (NOB_CRASH_AT).
#include "support.hpp"

namespace robust_test {
namespace {

class RemoveRacingCreate : public RobustTest {
 protected:
  /// A helper that link_or_creates `name` (capacity 1), stopped at
  /// create.lock_linked: its lock file is linked, its data file not yet.
  pid_t stopped_creator(const std::string& name, int& out) {
    const pid_t pid = spawn({helper_path(), "crash", "hold", name, "1"}, "create.lock_linked", &out);
    int status = 0;
    EXPECT_TRUE(wait_stopped(pid, status)) << "create.lock_linked not reached (status " << status << ")";
    EXPECT_FALSE(file_present(name));
    EXPECT_EQ(::access(lock_path(name).c_str(), F_OK), 0);
    return pid;
  }

  /// Lets the stopped creator go on; true once it holds its unit.
  static bool resume(pid_t creator, int out) {
    ::kill(creator, SIGCONT);
    return read_line(out) == "held";
  }

  /// One semaphore at `name`: a new link_or_create finds the creator's,
  /// whose one unit the creator holds.
  static void expect_one_pool(const std::string& name, pid_t creator) {
    robust_semaphore s(name, existence_policy::link_or_create, 1);
    EXPECT_TRUE(s.linked_existing()) << "a second semaphore was made under the name";
    EXPECT_FALSE(s.try_acquire()) << "the one unit is held twice";
    const auto hs = s.holders();
    ASSERT_EQ(hs.size(), 1u);
    EXPECT_EQ(hs[0].pid, creator);
  }
};

TEST_F(RemoveRacingCreate, RemoveThatSawALiveSemaphoreLeavesTheNextCreatorsLockFile) {
  const auto name = unique_name();
  // remove() sees a live semaphore and stops just before it removes the names
  auto live = std::make_unique<robust_semaphore>(name, existence_policy::raise_if_exists, 1);
  int remover_out = -1;
  const pid_t remover = spawn({helper_path(), "remove", name}, "remove.probed", &remover_out);
  int status = 0;
  ASSERT_TRUE(wait_stopped(remover, status)) << "remove.probed not reached (status " << status << ")";
  live.reset();  // its last user closes it: both names go
  ASSERT_FALSE(file_present(name));
  int creator_out = -1;
  const pid_t creator = stopped_creator(name, creator_out);
  ::kill(remover, SIGCONT);  // now remove() goes on, with only the creator's lock file there
  EXPECT_EQ(read_line(remover_out), "absent");
  EXPECT_EQ(wait_child(remover), 0);
  EXPECT_EQ(::access(lock_path(name).c_str(), F_OK), 0) << "remove() took the creator's lock file";
  ASSERT_TRUE(resume(creator, creator_out));
  EXPECT_EQ(::access(lock_path(name).c_str(), F_OK), 0) << "a data file without its lock file";
  expect_one_pool(name, creator);
  kill_child(creator);
  ::close(remover_out);
  ::close(creator_out);
}

TEST_F(RemoveRacingCreate, UnlinkAndCreateWaitsForTheCreatorAndReplacesWhatItMade) {
  const auto name = unique_name();
  int creator_out = -1;
  const pid_t creator = stopped_creator(name, creator_out);
  struct stat made {};
  ASSERT_EQ(::stat(lock_path(name).c_str(), &made), 0);
  // the creator goes on a little later; unlink_and_create meanwhile must not
  // take its lock file (it used to, and then made its own pair at once)
  std::thread later([&] {
    std::this_thread::sleep_for(300ms);
    ::kill(creator, SIGCONT);
  });
  std::unique_ptr<robust_semaphore> mine;
  EXPECT_NO_THROW(mine = std::make_unique<robust_semaphore>(name, existence_policy::unlink_and_create, 1));
  later.join();
  ASSERT_EQ(read_line(creator_out), "held") << "the creator lost its names before it linked them";
  // unlink_and_create replaced the creator's semaphore once it was whole:
  // the name is this one, with its own lock file, and its unit is free
  ASSERT_TRUE(mine);
  EXPECT_FALSE(mine->linked_existing());
  struct stat now {};
  ASSERT_EQ(::stat(lock_path(name).c_str(), &now), 0);
  EXPECT_NE(now.st_ino, made.st_ino);
  EXPECT_TRUE(mine->try_acquire());
  robust_semaphore again(name, existence_policy::link_or_create, 1);
  EXPECT_TRUE(again.linked_existing());
  EXPECT_FALSE(again.try_acquire());
  kill_child(creator);
  ::close(creator_out);
}

TEST_F(RemoveRacingCreate, UnlinkPairLeavesABusyLockFileWithoutDataFile) {
  // the step both reach: names whose lock file is a creator's, locked, and no data file
  const auto name = unique_name();
  int creator_out = -1;
  const pid_t creator = stopped_creator(name, creator_out);
  namespace r = nob::detail::robust;
  {
    std::lock_guard<std::mutex> guard(r::the_table().mu);
    EXPECT_EQ(r::unlink_pair(r::names_of(nob::normalize_name(name))), ENOENT);
  }
  EXPECT_EQ(::access(lock_path(name).c_str(), F_OK), 0) << "the creator's lock file was taken";
  ASSERT_TRUE(resume(creator, creator_out));
  expect_one_pool(name, creator);
  kill_child(creator);
  ::close(creator_out);
}

}  // namespace
}  // namespace robust_test
