///
// nob - robust semaphore: its OFD locks (implementation detail)
//
// Every lock is an OFD lock (F_OFD_SETLK: owned by an open file description,
// dropped by the kernel when the last descriptor of it closes, so when a
// process dies or execs) on one byte of the lock file /dev/shm/nob~NAME:
//  * byte 0, the file-wide lock: held briefly around register, unregister
//    and unlink, waited for with one deadline (NOB_ROBUST_LOCK_TIMEOUT_MS);
//  * byte lock_base + i: held for its whole life by the process registered
//    as user entry i; the test of it (user_byte_locked) is the liveness test.
///

#ifndef NOB_DETAIL_ROBUST_LOCKS_HPP
#define NOB_DETAIL_ROBUST_LOCKS_HPP

#include <nob/detail/robust/config.hpp>
#include <nob/detail/robust/layout.hpp>

#include <fcntl.h>
#include <sys/types.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <cstdint>

namespace nob::detail::robust {

/// One OFD lock request on byte `at` of `fd` (type F_WRLCK or F_UNLCK).
inline int ofd_lock(int fd, off_t at, short type, bool wait) noexcept {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = at;
  fl.l_len = 1;
  fl.l_pid = 0;
  for (;;) {
    if (::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

/// Per thread: when true, a wait for the file-wide lock ends with EINTR when
/// a signal handler ran in this thread, and in any case once a slice
/// (NOB_ROBUST_SLICE_MS) has passed, so that the caller can run handlers of
/// signals that no sleep of this thread saw (handled on another thread, or
/// between two tries) and try again (the Python binding sets it around an
/// open, so that Ctrl+C is always seen); when false, it waits on.
inline thread_local bool lock_wait_interruptible = false;
/// Per thread: when not the epoch, the end of every wait for the file-wide
/// lock instead of NOB_ROBUST_LOCK_TIMEOUT_MS from its start (so an open
/// retried after EINTR keeps one bound in all).
inline thread_local std::chrono::steady_clock::time_point lock_wait_deadline{};

/// The file-wide lock (byte 0): held around register, unregister and unlink.
/// Tried at once, then again after pauses that grow from 0.1 to 10 ms, for
/// at most NOB_ROBUST_LOCK_TIMEOUT_MS: 0, EBUSY when that ran out, EINTR
/// (only with lock_wait_interruptible: a handler ran, or a slice passed), or
/// another errno of fcntl.
inline int lock_file(int fd) noexcept {
  using namespace std::chrono;
  const auto start = steady_clock::now();
  const auto deadline = lock_wait_deadline != steady_clock::time_point{}
                            ? lock_wait_deadline
                            : start + milliseconds(NOB_ROBUST_LOCK_TIMEOUT_MS);
  long pause_ns = 100000;
  for (;;) {
    const int err = ofd_lock(fd, 0, F_WRLCK, false);
    if (err != EAGAIN && err != EACCES) return err;  // 0, or a real error
    const auto now = steady_clock::now();
    if (now >= deadline) return EBUSY;
    if (lock_wait_interruptible && now - start >= milliseconds(NOB_ROBUST_SLICE_MS)) return EINTR;
    timespec ts{0, pause_ns};
    if (::nanosleep(&ts, nullptr) != 0 && errno == EINTR && lock_wait_interruptible) return EINTR;
    pause_ns = pause_ns * 2 > 10000000 ? 10000000 : pause_ns * 2;
  }
}

/// For the life of one open (a constructor): every wait for a file-wide lock
/// in it, across its retries, ends at one deadline, NOB_ROBUST_LOCK_TIMEOUT_MS
/// after the open began (unless the caller already set lock_wait_deadline,
/// as the Python binding does for an open it retries after signals).
class one_lock_deadline {
 public:
  one_lock_deadline() noexcept : mine_(lock_wait_deadline == std::chrono::steady_clock::time_point{}) {
    if (mine_)
      lock_wait_deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(NOB_ROBUST_LOCK_TIMEOUT_MS);
  }
  ~one_lock_deadline() {
    if (mine_) lock_wait_deadline = std::chrono::steady_clock::time_point{};
  }
  one_lock_deadline(const one_lock_deadline&) = delete;
  one_lock_deadline& operator=(const one_lock_deadline&) = delete;

 private:
  bool mine_;
};

/// The step named in the error of an open whose lock_file() returned `err`.
inline const char* lock_step(int err) noexcept {
  return err == EBUSY ? "lock (another process held the file-wide lock too long)"
                      : "fcntl (F_OFD_SETLK)";
}
/// Lets go of the file-wide lock.
inline void unlock_file(int fd) noexcept { ofd_lock(fd, 0, F_UNLCK, false); }

/// True when another open file description holds a write lock on the lock
/// byte of entry i (the question is asked for a read lock, which only a
/// write lock conflicts with: a read lock, which nob never takes, is not an
/// owner); on an error of fcntl, true (a holder is never declared dead by
/// mistake).
inline bool user_byte_locked(int fd, std::uint32_t i) noexcept {
  struct flock fl {};
  fl.l_type = F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = lock_base + off_t(i);
  fl.l_len = 1;
  fl.l_pid = 0;
  if (::fcntl(fd, F_OFD_GETLK, &fl) != 0) return true;
  return fl.l_type != F_UNLCK;
}

}  // namespace nob::detail::robust

#endif  // NOB_DETAIL_ROBUST_LOCKS_HPP
