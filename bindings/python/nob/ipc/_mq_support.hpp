// Glue between nob/message_queue.hpp and the Cython module
// nob.ipc._message_queue: flat, non-throwing one-step calls that Cython can
// make without the GIL, and mq_notify for request_notification(). Compiled
// into the extension, not installed.
#ifndef NOB_PY_MQ_SUPPORT_HPP
#define NOB_PY_MQ_SUPPORT_HPP

#include <Python.h>

#include <mqueue.h>
#include <signal.h>

#include <nob/message_queue.hpp>

#include "_handle.hpp"

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

namespace nob_py {

/// Opens or creates a message queue (see nob::named_message_queue's
/// constructor; an empty `name`: create_unique()); max_messages /
/// max_message_size 0: the system's defaults. nullptr with the Python error
/// set (filename: the name) when that fails.
inline nob::named_message_queue* open_message_queue(const std::string& name, int policy,
                                                    long long max_messages,
                                                    long long max_message_size, bool read,
                                                    bool write, unsigned int mode, bool same_uid,
                                                    PyObject* filename) noexcept {
  return or_set_error(filename, static_cast<nob::named_message_queue*>(nullptr), [&] {
    if (name.empty())
      return new nob::named_message_queue(nob::named_message_queue::create_unique(
          static_cast<std::size_t>(max_messages), static_cast<std::size_t>(max_message_size),
          read, write, static_cast<mode_t>(mode)));
    return new nob::named_message_queue(
        name, static_cast<nob::existence_policy>(policy), static_cast<std::size_t>(max_messages),
        static_cast<std::size_t>(max_message_size), read, write, static_cast<mode_t>(mode),
        same_uid ? nob::owner_check::same_uid : nob::owner_check::any_owner);
  });
}

inline std::chrono::steady_clock::time_point steady_point(long long deadline_ns) noexcept {
  if (deadline_ns == LLONG_MAX) return std::chrono::steady_clock::time_point::max();
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::nanoseconds(deadline_ns)));
}

/// One send step until `deadline_ns` (0: try once; LLONG_MAX: forever),
/// callable without the GIL: 0 sent, 1 full until the deadline (or failed:
/// *err set), 2 interrupted by a signal handler (EINTR).
inline int send_step(nob::named_message_queue& q, const char* data, std::size_t len,
                     unsigned int priority, long long deadline_ns, int* err) noexcept {
  std::error_code ec;
  const nob::wait_result r = q.send_once_until(data, len, priority, steady_point(deadline_ns), ec);
  *err = ec.value();
  return step_code(r);
}

/// One receive step into `buf` (`cap` bytes, at least max_message_size()),
/// as send_step(); on 0, *len and *priority are the message's.
inline int receive_step(nob::named_message_queue& q, char* buf, std::size_t cap,
                        long long deadline_ns, std::size_t* len, unsigned int* priority,
                        int* err) noexcept {
  std::error_code ec;
  const nob::wait_result r =
      q.receive_once_until(buf, cap, *len, *priority, steady_point(deadline_ns), ec);
  *err = ec.value();
  return step_code(r);
}

/// The number of messages in the queue now, or -1 (errno in *err).
inline long current_messages(mqd_t mqd, int* err) noexcept {
  mq_attr attr{};
  if (::mq_getattr(mqd, &attr) != 0) {
    *err = errno;
    return -1;
  }
  return attr.mq_curmsgs;
}

/// The Cython function that runs a (function, param) notification, by id.
using notify_fn = void (*)(long long);

inline notify_fn& notify_target() noexcept {
  static notify_fn fn = nullptr;
  return fn;
}

/// Runs on the thread the C library starts for a SIGEV_THREAD notification.
inline void notify_trampoline(union sigval v) {
  if (!Py_IsInitialized()) return;
  if (notify_fn fn = notify_target()) fn(static_cast<long long>(reinterpret_cast<std::intptr_t>(v.sival_ptr)));
}

/// mq_notify: signo > 0 a signal; id > 0 a thread running `fn(id)`; both 0
/// cancels. Returns 0 or the errno (EBUSY: another process is registered).
inline int request_notify(mqd_t mqd, int signo, long long id, notify_fn fn) noexcept {
  if (signo == 0 && id == 0) return ::mq_notify(mqd, nullptr) == 0 ? 0 : errno;
  sigevent ev{};
  if (signo > 0) {
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = signo;
  } else {
    notify_target() = fn;
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = notify_trampoline;
    ev.sigev_value.sival_ptr = reinterpret_cast<void*>(static_cast<std::intptr_t>(id));
  }
  return ::mq_notify(mqd, &ev) == 0 ? 0 : errno;
}

}  // namespace nob_py

#endif  // NOB_PY_MQ_SUPPORT_HPP
