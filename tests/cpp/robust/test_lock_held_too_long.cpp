// Anyone who may write a robust semaphore's file can hold its file-wide OFD
// lock (byte 0 of its lock file, /dev/shm/nob~NAME) forever. Opening then fails after NOB_ROBUST_LOCK_TIMEOUT_MS
// with device_or_resource_busy instead of waiting forever; closing never
// throws and leaves the name to the next opener, which removes it once no
// live user remains.
#include "support.hpp"

#include <cstring>

namespace robust_test {
namespace {

/// An OFD write lock on byte 0 of the lock file of `name`, through a
/// descriptor of its own (a different open file description from any handle's).
class foreign_lock {
 public:
  explicit foreign_lock(const std::string& name) : fd_(::open(lock_path(name).c_str(), O_RDWR)) {
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 1;
    ok_ = fd_ >= 0 && ::fcntl(fd_, F_OFD_SETLK, &fl) == 0;
  }
  ~foreign_lock() {
    if (fd_ >= 0) ::close(fd_);
  }
  foreign_lock(const foreign_lock&) = delete;
  foreign_lock& operator=(const foreign_lock&) = delete;
  bool ok() const { return ok_; }

 private:
  int fd_;
  bool ok_ = false;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

constexpr double bound = NOB_ROBUST_LOCK_TIMEOUT_MS / 1000.0;

class LockHeldTooLong : public RobustTest {};

TEST_F(LockHeldTooLong, OpenFailsBusyAfterTheBoundInsteadOfWaitingForever) {
  const std::string name = unique_name();
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  const pid_t child = start_child([&] {
    ::alarm(60);  // without a bound the open below would wait forever
    char c;
    if (::read(go[0], &c, 1) != 1) return 10;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      robust_semaphore s(name);
      return 11;
    } catch (const std::system_error& e) {
      const double took = seconds_since(t0);
      if (e.code() != std::errc::device_or_resource_busy) return 12;
      if (std::strstr(e.what(), "file-wide lock") == nullptr) return 13;
      if (took < bound * 0.9 || took > bound + 30) return 14;
    }
    return robust_semaphore::exists(name) ? 0 : 15;  // nothing was removed
  });
  robust_semaphore live(name, existence_policy::link_or_create, 2);  // after the fork
  foreign_lock held(name);
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  EXPECT_EQ(wait_child(child), 0);
  ::close(go[0]);
  ::close(go[1]);
  EXPECT_EQ(live.value(), 2);
}

TEST_F(LockHeldTooLong, CloseReturnsAndTheNextOpenerRemovesTheStaleName) {
  const std::string name = unique_name();
  {
    robust_semaphore sem(name, existence_policy::link_or_create, 1);
    ASSERT_TRUE(sem.try_acquire());
    foreign_lock held(name);
    ASSERT_TRUE(held.ok());
    const auto t0 = std::chrono::steady_clock::now();
    sem.close();  // noexcept: cannot take the lock, leaves the name
    EXPECT_GE(seconds_since(t0), bound * 0.9);
    EXPECT_FALSE(sem.is_open());
    EXPECT_TRUE(file_present(name));
  }
  EXPECT_TRUE(file_present(name));
  EXPECT_FALSE(robust_semaphore::exists(name));  // stale: no live user; removes it
  EXPECT_FALSE(file_present(name));
  robust_semaphore again(name, existence_policy::link_or_create, 1);
  EXPECT_FALSE(again.linked_existing());
  EXPECT_EQ(again.value(), 1);
}

TEST_F(LockHeldTooLong, CreatingOverAStaleFileWhoseLockIsHeldFailsBusy) {
  const std::string name = unique_name();
  robust_semaphore opened(name, existence_policy::link_or_create, 1);
  foreign_lock held(name);
  ASSERT_TRUE(held.ok());
  opened.close();  // leaves a stale file (the lock is held)
  ASSERT_TRUE(file_present(name));
  const auto t0 = std::chrono::steady_clock::now();
  try {
    robust_semaphore s(name, existence_policy::raise_if_exists, 1);
    ADD_FAILURE() << "created over a file it could not remove";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::device_or_resource_busy);
  }
  EXPECT_LT(seconds_since(t0), bound * 2 + 30);
}

}  // namespace
}  // namespace robust_test
