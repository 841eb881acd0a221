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
//
// This header is the class and its configuration; the machinery is in
// nob/detail/ (mq.hpp for the queue's calls and its wait step;
// deadline.hpp, open_by_policy.hpp, errors.hpp).
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
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

///
// Configuration.
///

/// Where the mqueue file system is looked for (for the ownership check only).
#ifndef NOB_MQUEUE_DIR
#define NOB_MQUEUE_DIR "/dev/mqueue"
#endif

#include <nob/detail/deadline.hpp>
#include <nob/detail/errors.hpp>
#include <nob/detail/mq.hpp>
#include <nob/detail/open_by_policy.hpp>
#include <nob/detail/ownership.hpp>

namespace nob {

namespace detail { struct mq_opener; }  // the kind's calls, defined below

/// A handle on one POSIX message queue: move-only, closes on destruction
/// and unlinks the name when it owns it (see unlink_on_destroy()).
class named_message_queue : public detail::named_object<detail::mq_opener> {
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
  /// As the constructor, without exceptions: the handle, or std::nullopt
  /// with `ec` set (invalid_argument for a bad argument, else the errno).
  static std::optional<named_message_queue> open(
      std::string_view name, std::error_code& ec,
      existence_policy policy = existence_policy::raise_if_not_exists,
      std::size_t max_messages = 0, std::size_t max_message_size = 0, bool read = true,
      bool write = true, mode_t mode = 0600, owner_check check = owner_check::any_owner) noexcept;
  /// Creates a queue under a fresh name that no queue has ("/nob-" and 16
  /// random hex digits; name() tells it): exclusively, drawing another name
  /// while one exists. The handle owns the name (unlink_on_destroy() is
  /// true). Throws file_exists after a bounded number of names that all
  /// existed, and the random source's errno when it has none
  /// (docs/semantics.md, "Fresh names").
  static named_message_queue create_unique(std::size_t max_messages = 0,
                                           std::size_t max_message_size = 0, bool read = true,
                                           bool write = true, mode_t mode = 0600);
  /// As create_unique(), without exceptions: the handle, or std::nullopt
  /// with `ec` set (invalid_argument for a bad argument, else the errno).
  static std::optional<named_message_queue> create_unique(
      std::error_code& ec, std::size_t max_messages = 0, std::size_t max_message_size = 0,
      bool read = true, bool write = true, mode_t mode = 0600) noexcept;
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

  // name(), linked_existing(), unlink_on_destroy() and the static remove(name)
  // and exists(name): detail::named_object (nob/detail/ownership.hpp), the same for every kind.
  /// Removes the name now (the queue lives on while descriptors are open).
  void unlink();
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
  named_message_queue() noexcept = default;
  static constexpr mqd_t closed_mqd() noexcept { return static_cast<mqd_t>(-1); }
  static const char* check_arguments(existence_policy policy, std::size_t max_messages,
                                     std::size_t max_message_size, bool read, bool write,
                                     mode_t mode, owner_check check) noexcept;
  int open_as(existence_policy policy, std::size_t max_messages, std::size_t max_message_size,
              bool read, bool write, mode_t mode, owner_check check, const char*& step) noexcept;
  int create_unique_as(std::size_t max_messages, std::size_t max_message_size, bool read,
                       bool write, mode_t mode, const char*& step) noexcept;
  void check_open(const char* what) const;
  void check_send(const void* data, std::size_t size, unsigned int priority) const;
  void check_receive(const void* buffer, std::size_t capacity) const;
  [[noreturn]] void throw_errno(int err, const char* what) const;
  bool still_same_queue() const noexcept;
  template <class Op>
  bool run_once(Op& op, const char* what);
  template <class Op>
  bool run_blocking(Op& op, const char* what);
  template <class Op, class Rep, class Period>
  bool run_for(Op& op, const std::chrono::duration<Rep, Period>& rel_time, const char* what);
  template <class Op, class Clock, class Duration>
  bool run_until(Op& op, const std::chrono::time_point<Clock, Duration>& abs_time,
                 const char* what);
  bool finish(bool got, int err, const char* what);
  template <class Op>
  wait_result step_once(int refused, Op& op, std::chrono::steady_clock::time_point deadline,
                        std::error_code& ec) noexcept;
  template <class ReceiveInto>
  std::optional<message> receive_string(const char* what, ReceiveInto&& receive_into);

  mqd_t mqd_ = closed_mqd();
  std::size_t max_messages_ = 0;
  std::size_t max_message_size_ = 0;
  bool readable_ = false;
  bool writable_ = false;
  bool blocking_ = true;
};

///
// Implementation: short inline bodies over nob/detail/. Everything in
// namespace detail is private to nob.
///

namespace detail {

/// named_message_queue's three calls for open_by_policy(), and what they opened.
struct mq_opener {
  /// link_or_create creates first (exclusive create, else open), the
  /// contract's order: a queue's create is one mq_open, as its open is.
  static constexpr bool opens_first = false;
  /// A queue cannot be renamed over a name: unlink, then create, in rounds.
  static constexpr bool replace_in_one_step = false;
  /// Bounded, so that two such callers cannot make each other spin for ever.
  static constexpr int unlink_rounds = unlink_and_create_tries;
  static constexpr const char* remove_step = "mq_unlink";
  const char* name;
  int access;
  mq_attr* create_attr;  ///< null: the system's defaults for both sizes
  mode_t mode;
  owner_check check;
  mqd_t got = static_cast<mqd_t>(-1);

  int open(const char*& step) noexcept {
    // An existing queue, refused (closed again) when `check` says so.
    step = "mq_open";
    if ((got = ::mq_open(name, access)) == static_cast<mqd_t>(-1)) return errno;
    const int refused = mq_owner_refusal(got, check, step);
    if (refused != 0) {
      ::mq_close(got);
      got = static_cast<mqd_t>(-1);
    }
    return refused;
  }
  int create(bool, const char*& step) noexcept {
    step = "mq_open";
    got = ::mq_open(name, access | O_CREAT | O_EXCL, mode, create_attr);
    return got != static_cast<mqd_t>(-1) ? 0 : errno;
  }
  int remove_name() noexcept { return errno_unless(::mq_unlink(name) == 0); }
  /// remove(name) and exists(name).
  static int unlink_name(const std::string& n) noexcept {
    return errno_unless(::mq_unlink(n.c_str()) == 0);
  }
  static constexpr const char* probe_step = "mq_open";
  static int probe_name(const std::string& n) noexcept {
    const mqd_t q = ::mq_open(n.c_str(), O_RDONLY);
    if (q != static_cast<mqd_t>(-1)) ::mq_close(q);
    return q != static_cast<mqd_t>(-1) || errno == EACCES ? 0 : errno;  // EACCES: someone else's
  }
};

/// A queue's wait step for the deadline engine: mq_step over one `op`.
template <class Op>
struct mq_step_of {
  Op& op;
  wait_result operator()(clockid_t clock, std::chrono::nanoseconds at, int& err) const noexcept {
    return mq_step(op, clock, at, err);
  }
  /// mq_timedsend and mq_timedreceive wait on CLOCK_REALTIME.
  static constexpr step_clocks clocks = step_clocks::monotonic_and_realtime;
};

}  // namespace detail

inline const char* named_message_queue::check_arguments(existence_policy policy,
                                                        std::size_t max_messages,
                                                        std::size_t max_message_size, bool read,
                                                        bool write, mode_t mode,
                                                        owner_check check) noexcept {
  if (const char* why = detail::check_open_arguments(policy, mode, check)) return why;
  if (!read && !write) return "a message queue handle needs read or write access";
  constexpr auto long_max = static_cast<std::size_t>(LONG_MAX);
  if (max_messages > long_max || max_message_size > long_max)
    return "max_messages and max_message_size must fit a long";
  return nullptr;
}

inline named_message_queue::named_message_queue(std::string_view name, existence_policy policy,
                                                std::size_t max_messages,
                                                std::size_t max_message_size, bool read,
                                                bool write, mode_t mode, owner_check check) {
  own_.name = normalize_name(name);
  if (const char* why =
          check_arguments(policy, max_messages, max_message_size, read, write, mode, check))
    detail::throw_invalid(why, own_.name);
  const char* step = "";
  if (const int err =
          open_as(policy, max_messages, max_message_size, read, write, mode, check, step))
    throw_errno(err, step);
}

inline std::optional<named_message_queue> named_message_queue::open(
    std::string_view name, std::error_code& ec, existence_policy policy,
    std::size_t max_messages, std::size_t max_message_size, bool read, bool write, mode_t mode,
    owner_check check) noexcept {
  named_message_queue q;
  const char* step = "";
  if (detail::checked_name(
          name, check_arguments(policy, max_messages, max_message_size, read, write, mode, check),
          q.own_.name, ec))
    detail::set_error(
        ec, q.open_as(policy, max_messages, max_message_size, read, write, mode, check, step));
  if (ec) return std::nullopt;
  return std::optional<named_message_queue>(std::move(q));
}

inline int named_message_queue::open_as(existence_policy policy, std::size_t max_messages,
                                        std::size_t max_message_size, bool read, bool write,
                                        mode_t mode, owner_check check,
                                        const char*& step) noexcept {
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
  const int access = read && write ? O_RDWR : read ? O_RDONLY : O_WRONLY;
  detail::mq_opener k{own_.name.c_str(), access, create_attr, mode, check};
  bool linked = false;
  if (const int err = detail::open_by_policy(k, policy, linked, step)) return err;
  mqd_ = k.got;
  own_.opened(linked);
  readable_ = read;
  writable_ = write;
  detail::mq_identity(mqd_, own_.dev, own_.ino);

  int err = 0;
#if defined(__linux__)
  // mq_open applied the umask; the descriptor is an fd: make the mode exact.
  if (!linked && ::fchmod(static_cast<int>(mqd_), mode) != 0) {
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
    close();  // a queue this call made goes away again
    return err;
  }
  max_messages_ = static_cast<std::size_t>(now.mq_maxmsg);
  max_message_size_ = static_cast<std::size_t>(now.mq_msgsize);
  return 0;
}

inline named_message_queue named_message_queue::create_unique(std::size_t max_messages,
                                                              std::size_t max_message_size,
                                                              bool read, bool write,
                                                              mode_t mode) {
  if (const char* why = check_arguments(existence_policy::raise_if_exists, max_messages,
                                        max_message_size, read, write, mode,
                                        owner_check::any_owner))
    detail::throw_invalid(why, "a fresh name");
  named_message_queue q;
  const char* step = "";
  if (const int err =
          q.create_unique_as(max_messages, max_message_size, read, write, mode, step))
    detail::throw_fresh_name_error(err, step, q.own_.name);
  return q;
}

inline std::optional<named_message_queue> named_message_queue::create_unique(
    std::error_code& ec, std::size_t max_messages, std::size_t max_message_size, bool read,
    bool write, mode_t mode) noexcept {
  named_message_queue q;
  const char* step = "";
  if (detail::checked_fresh(check_arguments(existence_policy::raise_if_exists, max_messages,
                                            max_message_size, read, write, mode,
                                            owner_check::any_owner),
                            ec))
    detail::set_error(ec,
                      q.create_unique_as(max_messages, max_message_size, read, write, mode, step));
  if (ec) return std::nullopt;
  return std::optional<named_message_queue>(std::move(q));
}

inline int named_message_queue::create_unique_as(std::size_t max_messages,
                                                 std::size_t max_message_size, bool read,
                                                 bool write, mode_t mode,
                                                 const char*& step) noexcept {
  return detail::create_under_fresh_name(
      own_.name,
      [&]() noexcept {
        return open_as(existence_policy::raise_if_exists, max_messages, max_message_size, read,
                       write, mode, owner_check::any_owner, step);
      },
      step);
}

inline named_message_queue::named_message_queue(named_message_queue&& other) noexcept
    : mqd_(std::exchange(other.mqd_, closed_mqd())),
      max_messages_(std::exchange(other.max_messages_, 0)),
      max_message_size_(std::exchange(other.max_message_size_, 0)),
      readable_(other.readable_),
      writable_(other.writable_),
      blocking_(other.blocking_) {
  own_.take(other.own_);
}

inline named_message_queue& named_message_queue::operator=(named_message_queue&& other) noexcept {
  if (this != &other) {
    close();
    mqd_ = std::exchange(other.mqd_, closed_mqd());
    max_messages_ = std::exchange(other.max_messages_, 0);
    max_message_size_ = std::exchange(other.max_message_size_, 0);
    readable_ = other.readable_;
    writable_ = other.writable_;
    blocking_ = other.blocking_;
    own_.take(other.own_);
  }
  return *this;
}

inline named_message_queue::~named_message_queue() { close(); }

inline void named_message_queue::check_open(const char* what) const {
  if (mqd_ == closed_mqd()) throw_errno(EBADF, what);
}

inline void named_message_queue::throw_errno(int err, const char* what) const {
  detail::throw_errno_for(err, what, own_.name, mqd_ == closed_mqd());
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
  if (!writable_)
    detail::throw_system(EBADF, "nob: mq_send " + own_.name + " (opened without write)");
  if (priority > max_priority())
    detail::throw_or_abort(std::invalid_argument("nob: priority " + std::to_string(priority) +
                                                 " is above " + std::to_string(max_priority()) +
                                                 " for " + own_.name));
  if (size > max_message_size_)
    detail::throw_or_abort(std::invalid_argument("nob: a message of " + std::to_string(size) +
                                                 " bytes is longer than max_message_size " +
                                                 std::to_string(max_message_size_) + " of " +
                                                 own_.name));
  if (data == nullptr && size != 0)
    detail::throw_invalid("null data with a size", own_.name);
}

inline void named_message_queue::check_receive(const void* buffer, std::size_t capacity) const {
  check_open("mq_receive");
  if (!readable_)
    detail::throw_system(EBADF, "nob: mq_receive " + own_.name + " (opened without read)");
  if (capacity < max_message_size_)
    detail::throw_or_abort(std::invalid_argument(
        "nob: a receive buffer of " + std::to_string(capacity) +
        " bytes is smaller than max_message_size " + std::to_string(max_message_size_) + " of " +
        own_.name));
  if (buffer == nullptr) detail::throw_invalid("null receive buffer", own_.name);
}

inline bool named_message_queue::still_same_queue() const noexcept {
#if defined(__linux__)
  // The mqueue file system of this IPC namespace mounted where we look: its
  // device is the one of our descriptor, and the inode decides.
  struct stat st {};
  const std::string path = NOB_MQUEUE_DIR + own_.name;
  if (::lstat(path.c_str(), &st) == 0 && st.st_dev == own_.dev) return st.st_ino == own_.ino;
  // Not mounted (or another namespace's): open the name and compare.
  const int access = readable_ && writable_ ? O_RDWR : readable_ ? O_RDONLY : O_WRONLY;
  const mqd_t q = ::mq_open(own_.name.c_str(), access);
  if (q == closed_mqd()) return false;  // gone, or cannot tell: leave it alone
  dev_t dev = 0;
  ino_t ino = 0;
  const bool same = detail::mq_identity(q, dev, ino) && dev == own_.dev && ino == own_.ino;
  ::mq_close(q);
  return same;
#else
  return true;  // no way to tell: trust the name
#endif
}

inline void named_message_queue::unlink_if_owned() noexcept {
  if (mqd_ == closed_mqd() || !own_.claim_unlink()) return;
  if (still_same_queue()) ::mq_unlink(own_.name.c_str());
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
  if (::mq_unlink(own_.name.c_str()) != 0) throw_errno(errno, "mq_unlink");
  own_.unlinked = true;
}

inline std::size_t named_message_queue::current_messages() const {
  check_open("mq_getattr");
  mq_attr a{};
  if (::mq_getattr(mqd_, &a) != 0) throw_errno(errno, "mq_getattr");
  return static_cast<std::size_t>(a.mq_curmsgs);
}

inline bool named_message_queue::finish(bool got, int err, const char* what) {
  if (err != 0) throw_errno(err, what);
  return got;
}

template <class Op>
bool named_message_queue::run_once(Op& op, const char* what) {
  int err = 0;
  const bool got = detail::wait_toward<std::chrono::steady_clock>(
      std::chrono::nanoseconds::min(), detail::mq_step_of<Op>::clocks, detail::mq_step_of<Op>{op},
      err);
  return finish(got, err, what);
}

template <class Op>
bool named_message_queue::run_blocking(Op& op, const char* what) {
  if (!blocking_) {
    if (!run_once(op, what)) throw_errno(EAGAIN, what);
    return true;
  }
  int err = 0;
  const bool got = detail::wait_toward<std::chrono::steady_clock>(
      std::chrono::nanoseconds::max(), detail::mq_step_of<Op>::clocks, detail::mq_step_of<Op>{op},
      err);
  return finish(got, err, what);
}

template <class Op, class Rep, class Period>
bool named_message_queue::run_for(Op& op, const std::chrono::duration<Rep, Period>& rel_time,
                                  const char* what) {
  // One try before any clock is read: most calls end there. Then the wait,
  // measured from after that try (zero, negative, NaN: no wait).
  if (run_once(op, what)) return true;
  if (!(rel_time > std::chrono::duration<Rep, Period>::zero())) return false;
  int err = 0;
  const bool got = detail::wait_for(rel_time, detail::mq_step_of<Op>::clocks,
                                    detail::mq_step_of<Op>{op}, err);
  return finish(got, err, what);
}

template <class Op, class Clock, class Duration>
bool named_message_queue::run_until(Op& op,
                                    const std::chrono::time_point<Clock, Duration>& abs_time,
                                    const char* what) {
  // The wait step tries first, before any clock is read.
  int err = 0;
  const bool got = detail::wait_until(abs_time, detail::mq_step_of<Op>::clocks,
                                      detail::mq_step_of<Op>{op}, err);
  return finish(got, err, what);
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
  return run_once(op, "mq_timedsend");
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
  return run_until(op, abs_time, "mq_timedsend");
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
  if (!run_until(op, abs_time, "mq_timedreceive")) return std::nullopt;
  return received{op.size, op.priority};
}

template <class Clock, class Duration>
std::optional<named_message_queue::message> named_message_queue::try_receive_until(
    const std::chrono::time_point<Clock, Duration>& abs_time) {
  return receive_string("mq_timedreceive", [&](void* buffer, std::size_t capacity) {
    return try_receive_until(buffer, capacity, abs_time);
  });
}

template <class Op>
wait_result named_message_queue::step_once(int refused, Op& op,
                                           std::chrono::steady_clock::time_point deadline,
                                           std::error_code& ec) noexcept {
  int err = refused;
  wait_result r = wait_result::timed_out;
  if (err == 0)
    r = detail::step_toward<std::chrono::steady_clock>(detail::since_epoch_saturated(deadline),
                                                       detail::mq_step_of<Op>::clocks,
                                                       detail::mq_step_of<Op>{op}, err);
  detail::set_error(ec, err);
  return r;
}

inline wait_result named_message_queue::send_once_until(
    const void* data, std::size_t size, unsigned int priority,
    std::chrono::steady_clock::time_point deadline, std::error_code& ec) noexcept {
  const int refused = mqd_ == closed_mqd()       ? EBADF
                      : size > max_message_size_ ? EMSGSIZE
                      : (data == nullptr && size != 0) || priority > max_priority() ? EINVAL
                                                                                    : 0;
  detail::mq_send_op op{mqd_, static_cast<const char*>(data), size, priority};
  return step_once(refused, op, deadline, ec);
}

inline wait_result named_message_queue::receive_once_until(
    void* buffer, std::size_t capacity, std::size_t& size, unsigned int& priority,
    std::chrono::steady_clock::time_point deadline, std::error_code& ec) noexcept {
  const int refused = mqd_ == closed_mqd()             ? EBADF
                      : capacity < max_message_size_ ? EMSGSIZE
                      : buffer == nullptr            ? EINVAL
                                                     : 0;
  detail::mq_receive_op op{mqd_, static_cast<char*>(buffer), capacity};
  const wait_result r = step_once(refused, op, deadline, ec);
  if (r == wait_result::acquired) {
    size = op.size;
    priority = op.priority;
  }
  return r;
}

}  // namespace nob

#endif  // NOB_MESSAGE_QUEUE_HPP
