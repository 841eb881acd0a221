///
// nob - POSIX named message queues done right
// Written in 2026 by the nob developers.
//
// A header-only, move-only RAII handle over a POSIX message queue
// (mq_open / mq_timedsend / mq_timedreceive / mq_unlink), with the
// conventions of nob::named_semaphore: existence policies, name rules,
// ownership, exact mode, std::system_error / std::invalid_argument, timed
// calls on the steady clock that never return early, EINTR retried.
//
//   #include <nob/message_queue.hpp>
//   nob::named_message_queue q("/jobs", nob::existence_policy::link_or_create, 8, 256);
//   q.send("hello", 1);                       // priority 1
//   auto m = q.receive();                     // m.data == "hello", m.priority == 1
//
// What it guarantees, in short:
//  * names are validated before any system call and normalised to one '/';
//  * creation is exclusive (O_CREAT | O_EXCL) and race-free, and the handle
//    knows whether it created the queue; on Linux `mode` is applied exactly
//    whatever the umask (fchmod on the descriptor right after the create);
//  * the handle that created a name unlinks it on close, only in the
//    creating process, at most once, and only while the name still refers to
//    the very queue it opened: on Linux the device and inode of the queue are
//    compared with /dev/mqueue/NAME when the mqueue file system is mounted
//    there (for this IPC namespace), else with a fresh mq_open of the name;
//  * mq_timedsend and mq_timedreceive only know CLOCK_REALTIME: a deadline
//    on the steady clock is waited in slices of at most
//    NOB_TIMEDWAIT_SLICE_MS, re-checking the steady clock after each: a
//    forward wall-clock jump only ends a slice early, never the wait; a
//    backward jump lengthens the slice under way by the jump (the kernel's
//    timer is on the wall clock), so the call can end late, never early;
//  * a message longer than max_message_size() is refused with
//    std::invalid_argument before any system call: nothing is sent;
//  * owner_check::same_uid refuses (permission_denied, "owned by another
//    user") to open an existing queue whose owner is not geteuid(): checked
//    with fstat on the open descriptor, so it cannot be raced; a refused open
//    closes the queue and unlinks nothing (Linux only: elsewhere an mqd_t is
//    no descriptor, and joining with the check is refused as not_supported).
//
// Queues are the kernel's (mq_open), so C programs, posix_ipc and every other
// mq_open user see the same queues. Linux: link with nothing extra on glibc
// 2.34 and later (earlier glibc needs -lrt). macOS has no message queues.
///

#ifndef NOB_MESSAGE_QUEUE_HPP
#define NOB_MESSAGE_QUEUE_HPP

#include <nob/common.hpp>

#include <fcntl.h>
#include <mqueue.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

///
// Configuration.
///

/// Where the mqueue file system is looked for (for the ownership check only).
#ifndef NOB_MQUEUE_DIR
#define NOB_MQUEUE_DIR "/dev/mqueue"
#endif

namespace nob {

/// A handle on one POSIX message queue: move-only, closes on destruction
/// and unlinks the name when it owns it (see unlink_on_destroy()).
class named_message_queue {
 public:
  /// What a receive into a caller's buffer gave: the length and the priority.
  struct received {
    std::size_t size = 0;        ///< bytes written to the buffer
    unsigned int priority = 0;   ///< the message's priority
  };
  /// A received message in a string of its own (the allocating receive()).
  struct message {
    std::string data;            ///< the message's bytes
    unsigned int priority = 0;   ///< the message's priority
  };

  /// Opens or creates `name` under `policy`. `max_messages` and
  /// `max_message_size` (0: the system's default) and `mode` only matter when
  /// this call creates; `read` / `write` choose the access of this handle.
  /// owner_check::same_uid refuses (permission_denied) to open an existing
  /// queue another user owns; creating is not affected.
  explicit named_message_queue(std::string_view name,
                               existence_policy policy = existence_policy::raise_if_not_exists,
                               std::size_t max_messages = 0, std::size_t max_message_size = 0,
                               bool read = true, bool write = true, mode_t mode = 0600,
                               owner_check check = owner_check::any_owner);
  /// Takes over `other`; the moved-from handle owns nothing.
  named_message_queue(named_message_queue&& other) noexcept;
  /// Closes this handle (as close()) and takes over `other`.
  named_message_queue& operator=(named_message_queue&& other) noexcept;
  named_message_queue(const named_message_queue&) = delete;
  named_message_queue& operator=(const named_message_queue&) = delete;
  /// Same as close().
  ~named_message_queue();

  /// Sends `size` bytes at `priority` (below MQ_PRIO_MAX), waiting while the
  /// queue is full (in non-blocking mode: throws resource_unavailable_try_again
  /// instead). The priority is not optional here, so that send("abc", 3) is
  /// always the string "abc" at priority 3.
  void send(const void* data, std::size_t size, unsigned int priority);
  /// Sends the bytes of `message` at `priority` (as the other send()).
  void send(std::string_view message, unsigned int priority = 0) {
    send(message.data(), message.size(), priority);
  }
  /// Sends if there is room now; never blocks. false: the queue is full.
  bool try_send(const void* data, std::size_t size, unsigned int priority);
  /// Sends `message` if there is room now; never blocks.
  bool try_send(std::string_view message, unsigned int priority = 0) {
    return try_send(message.data(), message.size(), priority);
  }
  /// Sends, waiting at most `rel_time` on the steady clock for room.
  template <class Rep, class Period>
  bool try_send_for(const void* data, std::size_t size,
                    const std::chrono::duration<Rep, Period>& rel_time, unsigned int priority = 0);
  /// Sends `message`, waiting at most `rel_time` on the steady clock for room.
  template <class Rep, class Period>
  bool try_send_for(std::string_view message, const std::chrono::duration<Rep, Period>& rel_time,
                    unsigned int priority = 0) {
    return try_send_for(message.data(), message.size(), rel_time, priority);
  }
  /// Sends, waiting until `abs_time` on the clock of that time point for room.
  template <class Clock, class Duration>
  bool try_send_until(const void* data, std::size_t size,
                      const std::chrono::time_point<Clock, Duration>& abs_time,
                      unsigned int priority = 0);
  /// Sends `message`, waiting until `abs_time` on its clock for room.
  template <class Clock, class Duration>
  bool try_send_until(std::string_view message,
                      const std::chrono::time_point<Clock, Duration>& abs_time,
                      unsigned int priority = 0) {
    return try_send_until(message.data(), message.size(), abs_time, priority);
  }

  /// Receives the oldest message of the highest priority into `buffer`
  /// (`capacity` >= max_message_size()), waiting while the queue is empty
  /// (in non-blocking mode: throws resource_unavailable_try_again instead).
  received receive(void* buffer, std::size_t capacity);
  /// Receives into a new string (allocates max_message_size() bytes).
  message receive();
  /// Receives into `buffer` if a message is there now; never blocks.
  std::optional<received> try_receive(void* buffer, std::size_t capacity);
  /// Receives into a new string if a message is there now; never blocks.
  std::optional<message> try_receive();
  /// Receives into `buffer`, waiting at most `rel_time` on the steady clock.
  template <class Rep, class Period>
  std::optional<received> try_receive_for(void* buffer, std::size_t capacity,
                                          const std::chrono::duration<Rep, Period>& rel_time);
  /// Receives into a new string, waiting at most `rel_time` on the steady clock.
  template <class Rep, class Period>
  std::optional<message> try_receive_for(const std::chrono::duration<Rep, Period>& rel_time);
  /// Receives into `buffer`, waiting until `abs_time` on the clock of that time point.
  template <class Clock, class Duration>
  std::optional<received> try_receive_until(
      void* buffer, std::size_t capacity, const std::chrono::time_point<Clock, Duration>& abs_time);
  /// Receives into a new string, waiting until `abs_time` on its clock.
  template <class Clock, class Duration>
  std::optional<message> try_receive_until(const std::chrono::time_point<Clock, Duration>& abs_time);

  /// Priorities run from 0 to max_priority() (MQ_PRIO_MAX - 1; 32767 on Linux).
  static unsigned int max_priority() noexcept;
  /// Most messages the queue holds (mq_maxmsg, fixed at creation; 0 when closed).
  std::size_t max_messages() const noexcept { return max_messages_; }
  /// Longest message in bytes (mq_msgsize, fixed at creation; 0 when closed).
  std::size_t max_message_size() const noexcept { return max_message_size_; }
  /// Messages in the queue now (mq_getattr); a snapshot, stale as soon as it returns.
  std::size_t current_messages() const;
  /// True when send() and receive() wait (the default); false: they throw
  /// resource_unavailable_try_again instead of waiting. The try_* calls are
  /// not affected; the descriptor's own O_NONBLOCK flag is never set by nob.
  bool blocking() const noexcept { return blocking_; }
  /// Chooses whether send() and receive() wait (see blocking()).
  void blocking(bool on) noexcept { blocking_ = on; }
  /// True when this handle may receive.
  bool readable() const noexcept { return readable_; }
  /// True when this handle may send.
  bool writable() const noexcept { return writable_; }

  /// The normalised name, with its leading '/' (empty after a move).
  const std::string& name() const noexcept { return name_; }
  /// True when the constructor opened a queue that existed; false when it created one.
  bool linked_existing() const noexcept { return linked_existing_; }
  /// True when close() will unlink the name (defaults to "this handle created it").
  bool unlink_on_destroy() const noexcept { return unlink_on_destroy_; }
  /// Chooses whether close() unlinks the name. Turning it on for a handle
  /// that linked makes the calling process the one allowed to unlink.
  void unlink_on_destroy(bool on) noexcept {
    if (on && owner_pid_ == 0) owner_pid_ = ::getpid();
    unlink_on_destroy_ = on;
  }
  /// Removes the name now (the queue lives on while descriptors are open).
  void unlink();
  /// Removes `name`; returns false if there was none.
  static bool remove(std::string_view name);
  /// True when a queue called `name` exists.
  static bool exists(std::string_view name);
  /// Ends the handle, unlinking the name when unlink_on_destroy(); idempotent, never throws.
  void close() noexcept;
  /// Only the unlink half of close(): unlinks the name if close() would, and
  /// makes close() not do it again; the handle stays open. Never throws.
  void unlink_if_owned() noexcept;
  /// True until close() or a move.
  bool is_open() const noexcept { return mqd_ != closed_mqd(); }
  /// The mqd_t for your own mq_* calls (an fd on Linux; do not mq_close it,
  /// do not set O_NONBLOCK on it); (mqd_t)-1 when closed.
  mqd_t native_handle() const noexcept { return mqd_; }

  /// Low-level: one send step that returns wait_result::interrupted on
  /// EINTR instead of retrying (for bindings that run signal handlers in
  /// between), and also after each slice of a sliced wait (a spurious
  /// `interrupted`: check signals, call again with the same deadline).
  /// Waits for room until `deadline` on the steady clock (time_point::max():
  /// forever; a past deadline: one try). `acquired`: the
  /// message was sent. Errors go to `ec` (with `timed_out`): EMSGSIZE for a
  /// message longer than max_message_size(), EBADF when closed. Ignores
  /// blocking(). Never throws.
  wait_result send_once_until(const void* data, std::size_t size, unsigned int priority,
                              std::chrono::steady_clock::time_point deadline,
                              std::error_code& ec) noexcept;
  /// Low-level: one receive step into `buffer` (as send_once_until()); on
  /// `acquired`, `size` and `priority` describe the message. EMSGSIZE in `ec`
  /// when `capacity` < max_message_size().
  wait_result receive_once_until(void* buffer, std::size_t capacity, std::size_t& size,
                                 unsigned int& priority,
                                 std::chrono::steady_clock::time_point deadline,
                                 std::error_code& ec) noexcept;

 private:
  static constexpr mqd_t closed_mqd() noexcept { return static_cast<mqd_t>(-1); }
  void check_open(const char* what) const;
  void check_send(const void* data, std::size_t size, unsigned int priority) const;
  void check_receive(const void* buffer, std::size_t capacity) const;
  [[noreturn]] void throw_errno(int err, const char* what) const;
  bool still_same_queue() const noexcept;
  template <class Op>
  bool run_until(Op& op, clockid_t clock, std::chrono::nanoseconds deadline, const char* what);
  template <class Op, class Clock, class Duration>
  bool run_until_time_point(Op& op, const std::chrono::time_point<Clock, Duration>& abs_time,
                            const char* what);
  template <class Op, class Rep, class Period>
  bool run_for(Op& op, const std::chrono::duration<Rep, Period>& rel_time, const char* what);
  template <class Op>
  bool run_blocking(Op& op, const char* what);
  template <class ReceiveInto>
  std::optional<message> receive_string(const char* what, ReceiveInto&& receive_into);

  mqd_t mqd_ = closed_mqd();
  std::string name_;
  std::size_t max_messages_ = 0;
  std::size_t max_message_size_ = 0;
  pid_t owner_pid_ = 0;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool linked_existing_ = false;
  bool unlink_on_destroy_ = false;
  bool unlinked_ = false;
  bool readable_ = false;
  bool writable_ = false;
  bool blocking_ = true;
};

///
// Implementation. Everything below is inline; nothing here is public API
// except through the declarations above.
///

namespace detail {

/// One send or receive step until `deadline` on `clock` (CLOCK_MONOTONIC or
/// CLOCK_REALTIME; nanoseconds::max() = forever). `op(const timespec* abs)`
/// is mq_timedsend / mq_timedreceive (abs null: mq_send / mq_receive) and
/// returns 0 or -1 with errno. A first try that never blocks comes before
/// any clock is read (most calls end there; a past deadline gets just that
/// try). Returns on EINTR, and after each slice of a sliced wait, as
/// `interrupted` (the next step tries first again); never reports
/// timed_out before `clock` has reached `deadline`.
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
    // Only CLOCK_REALTIME is known to the kernel here: wait in slices and
    // re-check the deadline's own clock after each.
    std::chrono::nanoseconds left = deadline - now;
    if (clock != CLOCK_REALTIME && left > std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS))
      left = std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS);
    slice_end = to_timespec(clock == CLOCK_REALTIME ? deadline : now_on(CLOCK_REALTIME) + left);
    abs = &slice_end;
  }
}

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

/// The message-moving calls as `op`s for mq_step.
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

}  // namespace detail

inline named_message_queue::named_message_queue(std::string_view name, existence_policy policy,
                                                std::size_t max_messages,
                                                std::size_t max_message_size, bool read,
                                                bool write, mode_t mode, owner_check check)
    : name_(normalize_name(name)) {
  if (static_cast<unsigned>(policy) > static_cast<unsigned>(existence_policy::unlink_and_create))
    throw std::invalid_argument("nob: unknown existence_policy for " + name_);
  if (static_cast<unsigned>(check) > static_cast<unsigned>(owner_check::same_uid))
    throw std::invalid_argument("nob: unknown owner_check for " + name_);
  if ((mode & ~static_cast<mode_t>(0777)) != 0)
    throw std::invalid_argument("nob: mode must be permission bits (0 to 0777) for " + name_);
  if (!read && !write)
    throw std::invalid_argument("nob: a message queue handle needs read or write access for " +
                                name_);
  constexpr auto long_max = static_cast<std::size_t>(LONG_MAX);
  if (max_messages > long_max || max_message_size > long_max)
    throw std::invalid_argument("nob: max_messages and max_message_size must fit a long for " +
                                name_);

  const int access = read && write ? O_RDWR : read ? O_RDONLY : O_WRONLY;
  mq_attr attr{};
  mq_attr* create_attr = nullptr;  // null: the system's defaults for both
  if (max_messages != 0 || max_message_size != 0) {
    attr.mq_maxmsg = max_messages != 0
                         ? static_cast<long>(max_messages)
                         : detail::read_proc_long("/proc/sys/fs/mqueue/msg_default", 10);
    attr.mq_msgsize = max_message_size != 0
                          ? static_cast<long>(max_message_size)
                          : detail::read_proc_long("/proc/sys/fs/mqueue/msgsize_default", 8192);
    create_attr = &attr;
  }
  auto create = [&] {
    return ::mq_open(name_.c_str(), access | O_CREAT | O_EXCL, mode, create_attr);
  };
  const char* open_step = "mq_open";
  auto open = [&] {  // an existing queue, refused (closed, errno set) when `check` says so
    const mqd_t q = ::mq_open(name_.c_str(), access);
    if (q == closed_mqd()) return q;
    const int refused = detail::mq_owner_refusal(q, check, open_step);
    if (refused == 0) return q;
    ::mq_close(q);
    errno = refused;
    return closed_mqd();
  };

  mqd_t q = closed_mqd();
  switch (policy) {
    case existence_policy::raise_if_exists:
      q = create();
      break;
    case existence_policy::raise_if_not_exists:
      q = open();
      linked_existing_ = q != closed_mqd();
      break;
    case existence_policy::unlink_and_create: {
      // A queue cannot be renamed over a name: a bounded number of rounds.
      const char* step = "";
      if (const int err = detail::unlink_then_create(
              [&] { return ::mq_unlink(name_.c_str()) == 0 ? 0 : errno; },
              [&] { return (q = create()) != closed_mqd() ? 0 : errno; }, "mq_unlink", step);
          err != 0) {
        if (*step != '\0') throw_errno(err, step);
        errno = err;  // the create failed: reported below
      }
      break;
    }
    case existence_policy::link_or_create:
      for (;;) {  // exclusive create, else open, else it vanished: again
        q = create();
        if (q != closed_mqd() || errno != EEXIST) break;
        q = open();
        if (q != closed_mqd() || errno != ENOENT) {
          linked_existing_ = q != closed_mqd();
          break;
        }
      }
      break;
  }
  if (q == closed_mqd()) throw_errno(errno, open_step);
  mqd_ = q;
  if (!linked_existing_) owner_pid_ = ::getpid();  // a linker pays no getpid()
  readable_ = read;
  writable_ = write;
  detail::mq_identity(mqd_, dev_, ino_);

  int err = 0;
  const char* step = "";
#if defined(__linux__)
  // mq_open applied the umask; the descriptor is an fd: make the mode exact.
  if (!linked_existing_ && ::fchmod(static_cast<int>(mqd_), mode) != 0) {
    err = errno;
    step = "fchmod";
  }
#endif
  mq_attr now{};
  if (err == 0 && ::mq_getattr(mqd_, &now) != 0) {
    err = errno;
    step = "mq_getattr";
  }
  if (err != 0) {
    unlink_on_destroy_ = !linked_existing_;  // a queue this call made goes away again
    close();
    throw_errno(err, step);
  }
  max_messages_ = static_cast<std::size_t>(now.mq_maxmsg);
  max_message_size_ = static_cast<std::size_t>(now.mq_msgsize);
  unlink_on_destroy_ = !linked_existing_;
}

inline named_message_queue::named_message_queue(named_message_queue&& other) noexcept
    : mqd_(std::exchange(other.mqd_, closed_mqd())),
      name_(std::move(other.name_)),
      max_messages_(std::exchange(other.max_messages_, 0)),
      max_message_size_(std::exchange(other.max_message_size_, 0)),
      owner_pid_(other.owner_pid_),
      dev_(other.dev_),
      ino_(other.ino_),
      linked_existing_(other.linked_existing_),
      unlink_on_destroy_(std::exchange(other.unlink_on_destroy_, false)),
      unlinked_(other.unlinked_),
      readable_(other.readable_),
      writable_(other.writable_),
      blocking_(other.blocking_) {
  other.name_.clear();
}

inline named_message_queue& named_message_queue::operator=(named_message_queue&& other) noexcept {
  if (this != &other) {
    close();
    mqd_ = std::exchange(other.mqd_, closed_mqd());
    name_ = std::move(other.name_);
    other.name_.clear();
    max_messages_ = std::exchange(other.max_messages_, 0);
    max_message_size_ = std::exchange(other.max_message_size_, 0);
    owner_pid_ = other.owner_pid_;
    dev_ = other.dev_;
    ino_ = other.ino_;
    linked_existing_ = other.linked_existing_;
    unlink_on_destroy_ = std::exchange(other.unlink_on_destroy_, false);
    unlinked_ = other.unlinked_;
    readable_ = other.readable_;
    writable_ = other.writable_;
    blocking_ = other.blocking_;
  }
  return *this;
}

inline named_message_queue::~named_message_queue() { close(); }

inline void named_message_queue::check_open(const char* what) const {
  if (mqd_ == closed_mqd()) throw_errno(EBADF, what);
}

inline void named_message_queue::throw_errno(int err, const char* what) const {
  detail::throw_errno_for(err, what, name_, mqd_ == closed_mqd());
}

inline unsigned int named_message_queue::max_priority() noexcept {
#ifdef MQ_PRIO_MAX
  return static_cast<unsigned int>(MQ_PRIO_MAX) - 1;
#else
  static const long m = ::sysconf(_SC_MQ_PRIO_MAX);
  return m > 0 ? static_cast<unsigned int>(m - 1) : 31;  // POSIX: at least 32
#endif
}

inline void named_message_queue::check_send(const void* data, std::size_t size,
                                            unsigned int priority) const {
  check_open("mq_send");
  if (!writable_) detail::throw_system(EBADF, "nob: mq_send " + name_ + " (opened without write)");
  if (priority > max_priority())
    throw std::invalid_argument("nob: priority " + std::to_string(priority) + " is above " +
                                std::to_string(max_priority()) + " for " + name_);
  if (size > max_message_size_)
    throw std::invalid_argument("nob: a message of " + std::to_string(size) +
                                " bytes is longer than max_message_size " +
                                std::to_string(max_message_size_) + " of " + name_);
  if (data == nullptr && size != 0)
    throw std::invalid_argument("nob: null data with a size for " + name_);
}

inline void named_message_queue::check_receive(const void* buffer, std::size_t capacity) const {
  check_open("mq_receive");
  if (!readable_)
    detail::throw_system(EBADF, "nob: mq_receive " + name_ + " (opened without read)");
  if (capacity < max_message_size_)
    throw std::invalid_argument("nob: a receive buffer of " + std::to_string(capacity) +
                                " bytes is smaller than max_message_size " +
                                std::to_string(max_message_size_) + " of " + name_);
  if (buffer == nullptr) throw std::invalid_argument("nob: null receive buffer for " + name_);
}

inline bool named_message_queue::still_same_queue() const noexcept {
#if defined(__linux__)
  // The mqueue file system of this IPC namespace mounted where we look: its
  // device is the one of our descriptor, and the inode decides.
  struct stat st {};
  const std::string path = NOB_MQUEUE_DIR + name_;
  if (::lstat(path.c_str(), &st) == 0 && st.st_dev == dev_) return st.st_ino == ino_;
  // Not mounted (or another namespace's): open the name and compare.
  const int access = readable_ && writable_ ? O_RDWR : readable_ ? O_RDONLY : O_WRONLY;
  const mqd_t q = ::mq_open(name_.c_str(), access);
  if (q == closed_mqd()) return false;  // gone, or cannot tell: leave it alone
  dev_t dev = 0;
  ino_t ino = 0;
  const bool same = detail::mq_identity(q, dev, ino) && dev == dev_ && ino == ino_;
  ::mq_close(q);
  return same;
#else
  return true;  // no way to tell: trust the name
#endif
}

inline void named_message_queue::unlink_if_owned() noexcept {
  if (mqd_ == closed_mqd() || !unlink_on_destroy_ || unlinked_ || owner_pid_ != ::getpid()) return;
  unlinked_ = true;
  if (still_same_queue()) ::mq_unlink(name_.c_str());
}

inline void named_message_queue::close() noexcept {
  if (mqd_ == closed_mqd()) return;
  unlink_if_owned();
  ::mq_close(mqd_);
  mqd_ = closed_mqd();
  max_messages_ = 0;
  max_message_size_ = 0;
}

inline void named_message_queue::unlink() {
  check_open("mq_unlink");
  if (::mq_unlink(name_.c_str()) != 0) throw_errno(errno, "mq_unlink");
  unlinked_ = true;
}

inline bool named_message_queue::remove(std::string_view name) {
  const std::string n = normalize_name(name);
  if (::mq_unlink(n.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  detail::throw_system(errno, "nob: mq_unlink " + n);
}

inline bool named_message_queue::exists(std::string_view name) {
  const std::string n = normalize_name(name);
  const mqd_t q = ::mq_open(n.c_str(), O_RDONLY);
  if (q != static_cast<mqd_t>(-1)) {
    ::mq_close(q);
    return true;
  }
  if (errno == ENOENT) return false;
  if (errno == EACCES) return true;
  detail::throw_system(errno, "nob: mq_open " + n);
}

inline std::size_t named_message_queue::current_messages() const {
  check_open("mq_getattr");
  mq_attr a{};
  if (::mq_getattr(mqd_, &a) != 0) throw_errno(errno, "mq_getattr");
  return static_cast<std::size_t>(a.mq_curmsgs);
}

template <class Op>
bool named_message_queue::run_until(Op& op, clockid_t clock, std::chrono::nanoseconds deadline,
                                    const char* what) {
  // Until `deadline` on `clock` (forever for nanoseconds::max()), retrying
  // EINTR against the same deadline.
  for (;;) {
    int err = 0;
    switch (detail::mq_step(op, clock, deadline, err)) {
      case wait_result::acquired:
        return true;
      case wait_result::interrupted:
        continue;
      case wait_result::timed_out:
        if (err != 0) throw_errno(err, what);
        return false;
    }
  }
}

template <class Op>
bool named_message_queue::run_blocking(Op& op, const char* what) {
  if (blocking_) return run_until(op, CLOCK_MONOTONIC, std::chrono::nanoseconds::max(), what);
  if (!run_until(op, CLOCK_MONOTONIC, std::chrono::nanoseconds::min(), what))
    throw_errno(EAGAIN, what);
  return true;
}

template <class Op, class Rep, class Period>
bool named_message_queue::run_for(Op& op, const std::chrono::duration<Rep, Period>& rel_time,
                                  const char* what) {
  // One try before any clock is read: most calls end there. Then the wait,
  // measured from after that try (zero, negative, NaN: no wait).
  if (run_until(op, CLOCK_MONOTONIC, std::chrono::nanoseconds::min(), what)) return true;
  if (!(rel_time > std::chrono::duration<Rep, Period>::zero())) return false;
  const auto deadline = detail::saturating_add(detail::now_on(CLOCK_MONOTONIC), rel_time);
  return run_until(op, CLOCK_MONOTONIC, deadline, what);
}

template <class Op, class Clock, class Duration>
bool named_message_queue::run_until_time_point(
    Op& op, const std::chrono::time_point<Clock, Duration>& abs_time, const char* what) {
  using namespace std::chrono;
  if (!(abs_time == abs_time))  // a NaN time point: one try
    return run_until(op, CLOCK_MONOTONIC, nanoseconds::min(), what);
  if constexpr (std::is_same_v<Clock, steady_clock> || std::is_same_v<Clock, system_clock>) {
    // libstdc++'s steady_clock is CLOCK_MONOTONIC and system_clock is
    // CLOCK_REALTIME, both counted from their clock's own epoch.
    const clockid_t clock = std::is_same_v<Clock, steady_clock> ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    return run_until(op, clock, detail::since_epoch_saturated(abs_time), what);
  } else {
    // Any other clock: wait on the steady clock for what is left, then ask
    // the deadline's own clock again; only it can say the time is up.
    for (bool first = true;; first = false) {
      const auto now = Clock::now();
      if (!(now < abs_time))
        return first && run_until(op, CLOCK_MONOTONIC, nanoseconds::min(), what);
      const auto deadline = detail::saturating_add(detail::now_on(CLOCK_MONOTONIC), abs_time - now);
      if (run_until(op, CLOCK_MONOTONIC, deadline, what)) return true;
    }
  }
}

inline void named_message_queue::send(const void* data, std::size_t size, unsigned int priority) {
  check_send(data, size, priority);
  detail::mq_send_op op{mqd_, static_cast<const char*>(data), size, priority};
  run_blocking(op, "mq_send");
}

inline bool named_message_queue::try_send(const void* data, std::size_t size,
                                          unsigned int priority) {
  check_send(data, size, priority);
  detail::mq_send_op op{mqd_, static_cast<const char*>(data), size, priority};
  return run_until(op, CLOCK_MONOTONIC, std::chrono::nanoseconds::min(), "mq_timedsend");
}

template <class Rep, class Period>
bool named_message_queue::try_send_for(const void* data, std::size_t size,
                                       const std::chrono::duration<Rep, Period>& rel_time,
                                       unsigned int priority) {
  check_send(data, size, priority);
  detail::mq_send_op op{mqd_, static_cast<const char*>(data), size, priority};
  return run_for(op, rel_time, "mq_timedsend");
}

template <class Clock, class Duration>
bool named_message_queue::try_send_until(const void* data, std::size_t size,
                                         const std::chrono::time_point<Clock, Duration>& abs_time,
                                         unsigned int priority) {
  check_send(data, size, priority);
  detail::mq_send_op op{mqd_, static_cast<const char*>(data), size, priority};
  return run_until_time_point(op, abs_time, "mq_timedsend");
}

inline named_message_queue::received named_message_queue::receive(void* buffer,
                                                                  std::size_t capacity) {
  check_receive(buffer, capacity);
  detail::mq_receive_op op{mqd_, static_cast<char*>(buffer), capacity};
  run_blocking(op, "mq_receive");
  return received{op.size, op.priority};
}

template <class ReceiveInto>
std::optional<named_message_queue::message> named_message_queue::receive_string(
    const char* what, ReceiveInto&& receive_into) {
  // One allocation of max_message_size() bytes, received into, cut to size.
  check_open(what);
  message m;
  m.data.resize(max_message_size_);
  const std::optional<received> r = receive_into(&m.data[0], m.data.size());
  if (!r) return std::nullopt;
  m.data.resize(r->size);
  m.priority = r->priority;
  return m;
}

inline named_message_queue::message named_message_queue::receive() {
  return *receive_string("mq_receive", [this](void* buffer, std::size_t capacity) {
    return std::optional<received>(receive(buffer, capacity));
  });
}

inline std::optional<named_message_queue::received> named_message_queue::try_receive(
    void* buffer, std::size_t capacity) {
  return try_receive_until(buffer, capacity, std::chrono::steady_clock::time_point::min());
}

inline std::optional<named_message_queue::message> named_message_queue::try_receive() {
  return try_receive_until(std::chrono::steady_clock::time_point::min());
}

template <class Rep, class Period>
std::optional<named_message_queue::received> named_message_queue::try_receive_for(
    void* buffer, std::size_t capacity, const std::chrono::duration<Rep, Period>& rel_time) {
  check_receive(buffer, capacity);
  detail::mq_receive_op op{mqd_, static_cast<char*>(buffer), capacity};
  if (!run_for(op, rel_time, "mq_timedreceive")) return std::nullopt;
  return received{op.size, op.priority};
}

template <class Rep, class Period>
std::optional<named_message_queue::message> named_message_queue::try_receive_for(
    const std::chrono::duration<Rep, Period>& rel_time) {
  return receive_string("mq_timedreceive", [&](void* buffer, std::size_t capacity) {
    return try_receive_for(buffer, capacity, rel_time);
  });
}

template <class Clock, class Duration>
std::optional<named_message_queue::received> named_message_queue::try_receive_until(
    void* buffer, std::size_t capacity, const std::chrono::time_point<Clock, Duration>& abs_time) {
  check_receive(buffer, capacity);
  detail::mq_receive_op op{mqd_, static_cast<char*>(buffer), capacity};
  if (!run_until_time_point(op, abs_time, "mq_timedreceive")) return std::nullopt;
  return received{op.size, op.priority};
}

template <class Clock, class Duration>
std::optional<named_message_queue::message> named_message_queue::try_receive_until(
    const std::chrono::time_point<Clock, Duration>& abs_time) {
  return receive_string("mq_timedreceive", [&](void* buffer, std::size_t capacity) {
    return try_receive_until(buffer, capacity, abs_time);
  });
}

inline wait_result named_message_queue::send_once_until(
    const void* data, std::size_t size, unsigned int priority,
    std::chrono::steady_clock::time_point deadline, std::error_code& ec) noexcept {
  ec.clear();
  int err = 0;
  wait_result r = wait_result::timed_out;
  if (mqd_ == closed_mqd()) {
    err = EBADF;
  } else if (size > max_message_size_) {
    err = EMSGSIZE;
  } else if ((data == nullptr && size != 0) || priority > max_priority()) {
    err = EINVAL;
  } else {
    detail::mq_send_op op{mqd_, static_cast<const char*>(data), size, priority};
    r = detail::mq_step(op, CLOCK_MONOTONIC, detail::since_epoch_saturated(deadline), err);
  }
  if (err != 0) ec.assign(err, std::generic_category());
  return r;
}

inline wait_result named_message_queue::receive_once_until(
    void* buffer, std::size_t capacity, std::size_t& size, unsigned int& priority,
    std::chrono::steady_clock::time_point deadline, std::error_code& ec) noexcept {
  ec.clear();
  int err = 0;
  wait_result r = wait_result::timed_out;
  if (mqd_ == closed_mqd()) {
    err = EBADF;
  } else if (capacity < max_message_size_) {
    err = EMSGSIZE;
  } else if (buffer == nullptr) {
    err = EINVAL;
  } else {
    detail::mq_receive_op op{mqd_, static_cast<char*>(buffer), capacity};
    r = detail::mq_step(op, CLOCK_MONOTONIC, detail::since_epoch_saturated(deadline), err);
    if (r == wait_result::acquired) {
      size = op.size;
      priority = op.priority;
    }
  }
  if (err != 0) ec.assign(err, std::generic_category());
  return r;
}

}  // namespace nob

#endif  // NOB_MESSAGE_QUEUE_HPP
