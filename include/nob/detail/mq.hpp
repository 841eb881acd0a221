///
// nob - the message queue's system calls (implementation detail)
//
// What message_queue.hpp calls: its wait step for the deadline engine
// (mq_step over mq_timedsend / mq_timedreceive, which only know
// CLOCK_REALTIME), the send and receive calls as `op`s for it, the queue's
// identity and owner (an mqd_t is a descriptor on Linux), and the system's
// default sizes.
///

#ifndef NOB_DETAIL_MQ_HPP
#define NOB_DETAIL_MQ_HPP

#include <nob/detail/deadline.hpp>
#include <nob/detail/files.hpp>

#include <mqueue.h>
#include <sys/stat.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>

namespace nob::detail {

/// The wait step of a queue (see deadline.hpp): one send or receive until
/// `deadline` on `clock` (CLOCK_MONOTONIC or CLOCK_REALTIME;
/// nanoseconds::max() = forever). `op(const timespec* abs)` is mq_timedsend
/// / mq_timedreceive (abs null: mq_send / mq_receive) and returns 0 or -1
/// with errno. A first try that never blocks comes before any clock is read
/// (most calls end there; a passed deadline gets just that try). Returns on
/// EINTR, and after each slice of a sliced wait, as `interrupted` (the next
/// step tries first again); never reports timed_out before `clock` has
/// reached `deadline`.
template <class Op>
wait_result mq_step(Op& op, clockid_t clock, std::chrono::nanoseconds deadline,
                    int& err) noexcept {
  err = 0;
  if (is_forever(deadline)) {
    if (op(static_cast<const timespec*>(nullptr)) == 0) return wait_result::acquired;
    if (errno == EINTR) return wait_result::interrupted;
    err = errno;
    return wait_result::timed_out;
  }
  const timespec epoch{};  // long past: the kernel tries once and never blocks
  timespec slice_end{};
  for (const timespec* abs = &epoch;;) {
    if (op(abs) == 0) return wait_result::acquired;
    if (errno == EINTR) return wait_result::interrupted;
    if (errno != ETIMEDOUT) {
      err = errno;
      return wait_result::timed_out;
    }
    const std::chrono::nanoseconds now = now_on(clock);
    if (now >= deadline) return wait_result::timed_out;
    // A slice ended before the deadline: end the step as `interrupted`, so a
    // signal that came just as the slice timed out (ETIMEDOUT, not EINTR)
    // still reaches a caller that runs signal handlers between steps.
    if (abs == &slice_end) return wait_result::interrupted;
    slice_end = realtime_slice_end(clock, deadline, now);
    abs = &slice_end;
  }
}

/// A send as an `op` for mq_step.
struct mq_send_op {
  mqd_t mqd;
  const char* data;
  std::size_t size;
  unsigned int priority;
  int operator()(const timespec* abs) const noexcept {
    const char* p = data != nullptr ? data : "";  // (nullptr, 0): an empty message
    return abs != nullptr ? ::mq_timedsend(mqd, p, size, priority, abs)
                          : ::mq_send(mqd, p, size, priority);
  }
};

/// A receive into a buffer as an `op` for mq_step; `size` and `priority`
/// describe the message received.
struct mq_receive_op {
  mqd_t mqd;
  char* buffer;
  std::size_t capacity;
  std::size_t size = 0;
  unsigned int priority = 0;
  int operator()(const timespec* abs) noexcept {
    const ssize_t n = abs != nullptr ? ::mq_timedreceive(mqd, buffer, capacity, &priority, abs)
                                     : ::mq_receive(mqd, buffer, capacity, &priority);
    if (n < 0) return -1;
    size = static_cast<std::size_t>(n);
    return 0;
  }
};

/// A whole number from a /proc file (the mqueue defaults), or `fallback`.
inline long read_proc_long(const char* path, long fallback) noexcept {
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) return fallback;
  long v = 0;
  const bool ok = std::fscanf(f, "%ld", &v) == 1 && v > 0;
  std::fclose(f);
  return ok ? v : fallback;
}

/// Device and inode of an open queue (Linux: an mqd_t is a descriptor).
inline bool mq_identity(mqd_t mqd, dev_t& dev, ino_t& ino) noexcept {
#if defined(__linux__)
  struct stat st {};
  if (::fstat(static_cast<int>(mqd), &st) != 0) return false;
  dev = st.st_dev;
  ino = st.st_ino;
  return true;
#else
  (void)mqd;
  (void)dev;
  (void)ino;
  return false;
#endif
}

/// 0 when an opened queue may be joined under `check` (its owner from fstat
/// of the descriptor, so it cannot be raced); else the errno, `step` set:
/// EACCES for a queue another uid owns, ENOTSUP where an mqd_t is no
/// descriptor to ask.
inline int mq_owner_refusal(mqd_t mqd, owner_check check, const char*& step) noexcept {
  if (check != owner_check::same_uid) return 0;
#if defined(__linux__)
  file_result f;
  f.fd = static_cast<int>(mqd);
  if (!fill_stat(f)) {
    step = "fstat";
    return errno;
  }
  if (owner_allowed(f, check)) return 0;
  step = "mq_open (owned by another user)";
  return EACCES;
#else
  (void)mqd;
  step = "mq_open (owner_check::same_uid needs Linux)";
  return ENOTSUP;
#endif
}

}  // namespace nob::detail

#endif  // NOB_DETAIL_MQ_HPP
