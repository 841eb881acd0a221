// One open waits for file-wide locks NOB_ROBUST_LOCK_TIMEOUT_MS in all, not
// that long per try: a process that holds byte 0 and swaps the name for
// another file with byte 0 held, more often than the bound, used to make each
// retry start a fresh bound (an open returned after 18.8 s in the review).
#include "support.hpp"

#include <cstdio>

namespace robust_test {
namespace {

/// An OFD write lock on byte 0 of the file at `path` (a lock file), on a descriptor of its own.
int lock_byte0(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_len = 1;
  EXPECT_EQ(::fcntl(fd, F_OFD_SETLK, &fl), 0);
  return fd;
}

constexpr double lock_bound = NOB_ROBUST_LOCK_TIMEOUT_MS / 1000.0;

class OpenOneDeadline : public RobustTest {};

TEST_F(OpenOneDeadline, SwappingTheNameUnderAHeldLockDoesNotRestartTheBound) {
  const std::string name = unique_name();
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  const auto swap_every = std::chrono::milliseconds(NOB_ROBUST_LOCK_TIMEOUT_MS * 2 / 5);  // 2 s
  const int swaps = 10;  // the swapping goes on for 20 s
  const pid_t victim = start_child([&] {
    ::alarm(120);
    char c;
    if (::read(go[0], &c, 1) != 1) return 10;
    const auto t0 = std::chrono::steady_clock::now();
    const auto seconds_taken = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    try {
      robust_semaphore s(name);
      std::printf("[ open ] opened after %.2f s (only when the swapping stopped)\n", seconds_taken());
      std::fflush(stdout);
      return 11;
    } catch (const std::system_error& e) {
      const double took = seconds_taken();
      std::printf("[ open ] failed after %.2f s: %s\n", took, e.what());
      std::fflush(stdout);
      if (e.code() != std::errc::device_or_resource_busy) return 12;
      if (took < lock_bound * 0.9) return 13;
      if (took > lock_bound + 6) return 14;  // unbounded: only when the swapping stopped (> 20 s)
    }
    return 0;
  });
  // After the fork: the handles keep each file live, the locks are foreign to them.
  std::vector<std::unique_ptr<robust_semaphore>> files;
  files.push_back(std::make_unique<robust_semaphore>(name, existence_policy::raise_if_exists, 1));
  int held = lock_byte0(lock_path(name));
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < swaps && done == 0; ++i) {
    std::this_thread::sleep_for(swap_every);
    // another live semaphore, byte 0 held, renamed over the name; the old lock goes
    const std::string next = unique_name("next" + std::to_string(i));
    files.push_back(std::make_unique<robust_semaphore>(next, existence_policy::raise_if_exists, 1));
    const int next_held = lock_byte0(lock_path(next));
    ASSERT_EQ(::rename(shm_path(next).c_str(), shm_path(name).c_str()), 0);
    ASSERT_EQ(::rename(lock_path(next).c_str(), lock_path(name).c_str()), 0);
    ::close(held);
    held = next_held;
    done = ::waitpid(victim, &status, WNOHANG);
  }
  ::close(held);  // before the handles close: they take the lock
  if (done == 0) done = ::waitpid(victim, &status, 0);
  ASSERT_EQ(done, victim);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  ::close(go[0]);
  ::close(go[1]);
}

}  // namespace
}  // namespace robust_test
