///
// nob - POSIX named semaphores done right
// Written in 2026 by the nob developers.
//
// A header-only, move-only RAII handle over a POSIX named semaphore
// (sem_open / sem_wait / sem_clockwait / sem_post / sem_unlink), for two or
// more processes on one machine that must coordinate.
//
//   #include <nob/named_semaphore.hpp>
//   nob::named_semaphore slots("/jobs", nob::existence_policy::link_or_create, 2);
//   std::unique_lock<nob::named_semaphore> hold(slots);   // acquire ... release
//
// What it guarantees, in short (docs/semantics.md has the long version):
//  * names are validated before any system call and normalised to one '/';
//  * creation is exclusive and race-free; `mode` is applied exactly,
//    whatever the umask; unlink_and_create never fails with file_exists on
//    Linux (a name re-created after its unlink is replaced in one step);
//  * the handle that created a name unlinks it on close, only in the creating
//    process, at most once, and only while the name still refers to the very
//    semaphore it opened (device and inode are compared on Linux);
//  * timed waits honour the clock of their deadline, never return early and
//    never report success without having taken a unit; EINTR is retried
//    against the same deadline;
//  * errors are std::system_error (generic category, errno, name in what())
//    or std::invalid_argument for bad arguments.
//
// On Linux the semaphore lives in /dev/shm/sem.NAME, exactly where glibc's
// sem_open puts it, so nob interoperates with every other sem_open user.
// nob opens and maps that file itself: this gives it the device and inode
// for the ownership check, an exact mode without touching the process umask,
// and a size check, so a truncated file is an error instead of a SIGBUS.
//
// This header is the class and its configuration; the machinery it shares
// with the other kinds is in nob/detail/ (files.hpp, open_by_policy.hpp,
// deadline.hpp, errors.hpp), its own in nob/detail/sem_wait.hpp (the three
// wait paths) and nob/detail/glibc_sem.hpp (glibc's sem_t and its file).
///

#ifndef NOB_NAMED_SEMAPHORE_HPP
#define NOB_NAMED_SEMAPHORE_HPP

#include <nob/common.hpp>

#include <fcntl.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

///
// Configuration. Each macro may be defined to 0 or 1 before the include;
// the defaults pick the best the platform offers. Forcing a fallback on
// Linux is how the test suite runs every path. (common.hpp has the macros
// every kind shares: NOB_USE_DEV_SHM, NOB_TIMEDWAIT_SLICE_MS,
// NOB_MAX_NAME_LENGTH, NOB_STEADY_IS_MONOTONIC.)
///

/// 1: wait on steady_clock deadlines with sem_clockwait(CLOCK_MONOTONIC)
/// (glibc 2.30 and later). 0: use the fallbacks below.
#ifndef NOB_USE_SEM_CLOCKWAIT
#if defined(__GLIBC__) && defined(__USE_GNU) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 30))
#define NOB_USE_SEM_CLOCKWAIT 1
#else
#define NOB_USE_SEM_CLOCKWAIT 0
#endif
#endif

/// 1: sem_timedwait exists (steady deadlines are then waited in slices of
/// CLOCK_REALTIME when sem_clockwait is off). 0: poll with sem_trywait and a
/// bounded backoff, as macOS needs.
#ifndef NOB_USE_SEM_TIMEDWAIT
#if defined(__APPLE__)
#define NOB_USE_SEM_TIMEDWAIT 0
#else
#define NOB_USE_SEM_TIMEDWAIT 1
#endif
#endif

/// 1: sem_t is glibc's 64-bit layout ({uint64 data; int private; int pad},
/// value in the low 32 bits of data, waiter count in the high 32), which
/// nob then relies on: files are checked against it before mapping, and
/// release(n) is one atomic add plus one futex wake. Decided on the data
/// model (LP64), not the architecture: x32 and other ILP32 ABIs get 0.
#ifndef NOB_KNOWN_SEM_LAYOUT
#if defined(__linux__) && defined(__GLIBC__) && defined(__LP64__) && \
    (defined(__x86_64__) || defined(__aarch64__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NOB_KNOWN_SEM_LAYOUT 1
#else
#define NOB_KNOWN_SEM_LAYOUT 0
#endif
#endif

/// 1: sem_getvalue works. 0 (macOS, where it fails with ENOSYS): value()
/// throws function_not_supported and release(n) never calls it.
#ifndef NOB_HAVE_SEM_GETVALUE
#if defined(__APPLE__)
#define NOB_HAVE_SEM_GETVALUE 0
#else
#define NOB_HAVE_SEM_GETVALUE 1
#endif
#endif

/// Longest sleep between two sem_trywait calls of the polling fallback, in
/// us; the backoff doubles from 1 us up to exactly this (any value >= 1).
#ifndef NOB_POLL_MAX_SLEEP_US
#define NOB_POLL_MAX_SLEEP_US 2000
#endif

#if NOB_USE_SEM_CLOCKWAIT && !NOB_USE_SEM_TIMEDWAIT
#error "NOB_USE_SEM_CLOCKWAIT=1 needs NOB_USE_SEM_TIMEDWAIT=1"
#endif

#include <nob/detail/deadline.hpp>
#include <nob/detail/errors.hpp>
#include <nob/detail/glibc_sem.hpp>
#include <nob/detail/open_by_policy.hpp>
#include <nob/detail/ownership.hpp>
#include <nob/detail/sem_wait.hpp>

namespace nob {

/// Which wait path this build uses (see the configuration macros).
enum class wait_strategy { clockwait, timedwait, poll };

/// The wait path compiled into this translation unit.
inline constexpr wait_strategy compiled_wait_strategy =
    NOB_USE_SEM_CLOCKWAIT ? wait_strategy::clockwait
    : NOB_USE_SEM_TIMEDWAIT ? wait_strategy::timedwait
                            : wait_strategy::poll;

/// True when semaphores are opened through /dev/shm (inode check, exact mode).
inline constexpr bool uses_dev_shm = NOB_USE_DEV_SHM != 0;

/// True when release(n) is one atomic add (NOB_KNOWN_SEM_LAYOUT); false when
/// it is n sem_post calls (see release()).
inline constexpr bool atomic_release = NOB_KNOWN_SEM_LAYOUT != 0;

namespace detail { struct sem_opener; }  // the kind's calls, defined below

/// A handle on one POSIX named semaphore: move-only, closes on destruction
/// and unlinks the name when it owns it (see unlink_on_destroy()).
class named_semaphore : public detail::named_object<detail::sem_opener> {
 public:
  /// Opens or creates `name` under `policy`; `initial_value` and `mode` only
  /// matter when this call creates (mode is applied exactly, whatever the
  /// umask). owner_check::same_uid refuses (permission_denied) to open an
  /// existing semaphore whose file another user owns.
  explicit named_semaphore(std::string_view name,
                           existence_policy policy = existence_policy::raise_if_not_exists,
                           unsigned int initial_value = 1, mode_t mode = 0600,
                           owner_check check = owner_check::any_owner);
  /// As the constructor, without exceptions: the handle, or std::nullopt
  /// with `ec` set (invalid_argument for a bad argument, else the errno).
  static std::optional<named_semaphore> open(
      std::string_view name, std::error_code& ec,
      existence_policy policy = existence_policy::raise_if_not_exists,
      unsigned int initial_value = 1, mode_t mode = 0600,
      owner_check check = owner_check::any_owner) noexcept;
  /// Creates a semaphore under a fresh name that no semaphore has ("/nob-"
  /// and 16 random hex digits; name() tells it, for other processes to open
  /// it by): exclusively, drawing another name while one exists. The handle
  /// owns the name (unlink_on_destroy() is true). Throws file_exists after
  /// a bounded number of names that all existed, and the random source's
  /// errno when it has none (docs/semantics.md, "Fresh names").
  static named_semaphore create_unique(unsigned int initial_value = 1, mode_t mode = 0600);
  /// As create_unique(), without exceptions: the handle, or std::nullopt
  /// with `ec` set (invalid_argument for a bad argument, else the errno).
  static std::optional<named_semaphore> create_unique(std::error_code& ec,
                                                      unsigned int initial_value = 1,
                                                      mode_t mode = 0600) noexcept;
  /// Takes over `other`; the moved-from handle owns nothing.
  named_semaphore(named_semaphore&& other) noexcept;
  /// Closes this handle (as close()) and takes over `other`.
  named_semaphore& operator=(named_semaphore&& other) noexcept;
  named_semaphore(const named_semaphore&) = delete;
  named_semaphore& operator=(const named_semaphore&) = delete;
  /// Same as close().
  ~named_semaphore();

  /// Takes one unit, waiting as long as needed; signals do not end the wait.
  void acquire();
  /// Takes one unit if one is available now; never blocks.
  bool try_acquire();
  /// Takes one unit, waiting at most `rel_time` on the steady clock.
  template <class Rep, class Period>
  bool try_acquire_for(const std::chrono::duration<Rep, Period>& rel_time);
  /// Takes one unit, waiting until `abs_time` on the clock of that time point.
  template <class Clock, class Duration>
  bool try_acquire_until(const std::chrono::time_point<Clock, Duration>& abs_time);
  /// Adds `n` units (n >= 0); throws value_too_large, posting nothing, past
  /// max(). Atomic where atomic_release is true (see docs/semantics.md).
  void release(std::ptrdiff_t n = 1);
  /// The current value (sem_getvalue), at most max(); a snapshot, stale as soon as it returns.
  int value() const;
  /// The largest value a semaphore can hold (SEM_VALUE_MAX, which an int holds).
  static constexpr std::ptrdiff_t max() noexcept { return SEM_VALUE_MAX; }

  /// Lockable: same as acquire().
  void lock() { acquire(); }
  /// Lockable: same as try_acquire().
  bool try_lock() { return try_acquire(); }
  /// Lockable: releases one unit; never throws (an overflow is ignored).
  void unlock() noexcept;
  /// TimedLockable: same as try_acquire_for().
  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& rel_time) {
    return try_acquire_for(rel_time);
  }
  /// TimedLockable: same as try_acquire_until().
  template <class Clock, class Duration>
  bool try_lock_until(const std::chrono::time_point<Clock, Duration>& abs_time) {
    return try_acquire_until(abs_time);
  }

  // name(), linked_existing(), unlink_on_destroy() and the static remove(name)
  // and exists(name): detail::named_object (nob/detail/ownership.hpp), the same for every kind.
  /// Removes the name now, if it still refers to this semaphore (Linux:
  /// device and inode; else no_such_file_or_directory). The semaphore lives
  /// on while handles are open.
  void unlink();
  /// Ends the handle, unlinking the name when unlink_on_destroy(); idempotent, never throws.
  void close() noexcept;
  /// Only the unlink half of close(): unlinks the name if close() would, and
  /// makes close() not do it again; the handle stays open. Never throws.
  void unlink_if_owned() noexcept;
  /// True until close() or a move.
  bool is_open() const noexcept { return sem_ != nullptr; }
  /// The underlying sem_t for sem_* calls (do not sem_close it); nullptr when closed.
  sem_t* native_handle() const noexcept { return sem_; }

  /// Low-level: one blocking wait that returns wait_result::interrupted on
  /// EINTR instead of retrying (for bindings that run signal handlers in
  /// between), and also after each slice of a sliced wait (a spurious
  /// `interrupted`: check signals, then call again with the same deadline). Errors go to `ec`; throws nothing itself, but is not
  /// noexcept: sem_wait is a cancellation point (pthread_cancel unwinds).
  wait_result wait_once(std::error_code& ec);
  /// Low-level: as wait_once(), but gives up at `deadline` (steady clock).
  wait_result wait_once_until(std::chrono::steady_clock::time_point deadline,
                              std::error_code& ec);
  /// Non-throwing try_acquire(): false with `ec` clear when no unit is free.
  bool try_acquire(std::error_code& ec) noexcept;
  /// Non-throwing release(): `ec` is value_too_large past max(), posting
  /// nothing; invalid_argument for n < 0.
  void release(std::ptrdiff_t n, std::error_code& ec) noexcept;
  /// Non-throwing value(): the value, or -1 with `ec` set.
  int value(std::error_code& ec) const noexcept;

 private:
  named_semaphore() noexcept = default;
  static const char* check_arguments(existence_policy policy, unsigned int initial_value,
                                     mode_t mode, owner_check check) noexcept;
  int open_as(existence_policy policy, unsigned int initial_value, mode_t mode,
              owner_check check, const char*& step) noexcept;
  int create_unique_as(unsigned int initial_value, mode_t mode, const char*& step) noexcept;
  void check_open(const char* what) const;
  [[noreturn]] void throw_errno(int err, const char* what) const;
  // The slow paths of the hot calls, out of line and cold (see below).
  void acquire_slow();
  bool first_try_failed(const char* what);
  void release_slow(std::ptrdiff_t n);
  template <class Clock>
  bool wait_toward(std::chrono::nanoseconds at);
  template <class Clock>
  wait_result step_toward(std::chrono::nanoseconds at, std::error_code& ec);

  sem_t* sem_ = nullptr;
};

static_assert(SEM_VALUE_MAX <= INT_MAX, "value() returns an int, which must hold max()");

///
// Implementation: short inline bodies over nob/detail/. Everything in
// namespace detail is private to nob.
///

namespace detail {

/// named_semaphore's three calls for open_by_policy(), and what they opened.
struct sem_opener {
  /// As glibc's sem_open: open first, so that an existing name opens even
  /// on a full /dev/shm (creating first would fail with ENOSPC).
  static constexpr bool opens_first = true;
#if NOB_USE_DEV_SHM
  /// nob makes the file itself: a fresh file can be renamed over a name.
  static constexpr bool replace_in_one_step = true;
  static constexpr const char* remove_step = "unlink";
  path_buffer path;
  unsigned int value;
  mode_t mode;
  owner_check check;
  opened got{};

  int open(const char*& step) noexcept { return take(open_sem_file(path.c_str(), check), step); }
  int create(bool replace, const char*& step) noexcept {
    return take(create_sem_file(path.c_str(), value, mode, replace), step);
  }
  int remove_name() noexcept { return errno_unless(::unlink(path.c_str()) == 0); }
  /// remove(name) and exists(name), through the file.
  static int unlink_name(const std::string& n) noexcept {
    return errno_unless(::unlink(sem_file_path(n).c_str()) == 0);
  }
  static constexpr const char* probe_step = "stat";
  static int probe_name(const std::string& n) noexcept {
    struct stat st {};
    return errno_unless(::lstat(sem_file_path(n).c_str(), &st) == 0);
  }
  int take(const opened& o, const char*& step) noexcept {
    got = o;
    if (o.err != 0) step = o.step;
    return o.err;
  }
#else
  /// sem_open cannot put a semaphore in place of a name.
  static constexpr bool replace_in_one_step = false;
  /// Bounded, so that two such callers cannot make each other spin for ever.
  static constexpr int unlink_rounds = unlink_and_create_tries;
  static constexpr const char* remove_step = "sem_unlink";
  const char* name;
  unsigned int value;
  mode_t mode;
  owner_check check;
  sem_t* sem = SEM_FAILED;

  int open(const char*& step) noexcept {
    step = "sem_open";
    if ((sem = ::sem_open(name, 0)) == SEM_FAILED) return errno;
    if (check != owner_check::same_uid) return 0;
    // sem_open gives no descriptor to ask who owns the semaphore.
    ::sem_close(sem);
    sem = SEM_FAILED;
    step = "sem_open (owner_check::same_uid needs NOB_USE_DEV_SHM)";
    return ENOTSUP;
  }
  int create(bool, const char*& step) noexcept {
    step = "sem_open";
    sem = ::sem_open(name, O_CREAT | O_EXCL, mode, value);
    return sem != SEM_FAILED ? 0 : errno;
  }
  int remove_name() noexcept { return unlink_name(name); }
  /// remove(name) and exists(name), through sem_unlink and sem_open.
  static int unlink_name(const std::string& n) noexcept { return unlink_name(n.c_str()); }
  static int unlink_name(const char* n) noexcept { return errno_unless(::sem_unlink(n) == 0); }
  static constexpr const char* probe_step = "sem_open";
  static int probe_name(const std::string& n) noexcept {
    sem_t* s = ::sem_open(n.c_str(), 0);
    if (s != SEM_FAILED) ::sem_close(s);
    return s != SEM_FAILED || errno == EACCES ? 0 : errno;  // EACCES: someone else's
  }
#endif
};

/// named_semaphore's wait step for the deadline engine (sem_wait.hpp).
struct sem_step {
  sem_t* sem;
  wait_result operator()(clockid_t clock, std::chrono::nanoseconds at, int& err) const {
    return wait_step(sem, clock, at, err);
  }
  /// sem_clockwait, sem_timedwait and the polling path all know CLOCK_REALTIME.
  static constexpr step_clocks clocks = step_clocks::monotonic_and_realtime;
};

}  // namespace detail

inline const char* named_semaphore::check_arguments(existence_policy policy,
                                                    unsigned int initial_value, mode_t mode,
                                                    owner_check check) noexcept {
  if (const char* why = detail::check_open_arguments(policy, mode, check)) return why;
  if (initial_value > static_cast<unsigned int>(SEM_VALUE_MAX))
    return "initial_value is above SEM_VALUE_MAX";
  return nullptr;
}

inline named_semaphore::named_semaphore(std::string_view name, existence_policy policy,
                                        unsigned int initial_value, mode_t mode,
                                        owner_check check) {
  own_.name = normalize_name(name);
  if (const char* why = check_arguments(policy, initial_value, mode, check))
    detail::throw_invalid(why, own_.name);
  const char* step = "";
  if (const int err = open_as(policy, initial_value, mode, check, step)) throw_errno(err, step);
}

inline std::optional<named_semaphore> named_semaphore::open(std::string_view name,
                                                           std::error_code& ec,
                                                           existence_policy policy,
                                                           unsigned int initial_value,
                                                           mode_t mode,
                                                           owner_check check) noexcept {
  named_semaphore s;
  const char* step = "";
  if (detail::checked_name(name, check_arguments(policy, initial_value, mode, check), s.own_.name,
                           ec))
    detail::set_error(ec, s.open_as(policy, initial_value, mode, check, step));
  if (ec) return std::nullopt;
  return std::optional<named_semaphore>(std::move(s));
}

inline int named_semaphore::open_as(existence_policy policy, unsigned int initial_value,
                                    mode_t mode, owner_check check,
                                    const char*& step) noexcept {
#if NOB_USE_DEV_SHM
  detail::sem_opener k{detail::sem_file_path(own_.name), initial_value, mode, check};
#else
  detail::sem_opener k{own_.name.c_str(), initial_value, mode, check};
#endif
  bool linked = false;
  if (const int err = detail::open_by_policy(k, policy, linked, step)) return err;
#if NOB_USE_DEV_SHM
  sem_ = k.got.sem;
  own_.dev = k.got.dev;
  own_.ino = k.got.ino;
#else
  sem_ = k.sem;
#endif
  own_.opened(linked);
  return 0;
}

inline named_semaphore named_semaphore::create_unique(unsigned int initial_value, mode_t mode) {
  if (const char* why = check_arguments(existence_policy::raise_if_exists, initial_value, mode,
                                        owner_check::any_owner))
    detail::throw_invalid(why, "a fresh name");
  named_semaphore s;
  const char* step = "";
  if (const int err = s.create_unique_as(initial_value, mode, step))
    detail::throw_fresh_name_error(err, step, s.own_.name);
  return s;
}

inline std::optional<named_semaphore> named_semaphore::create_unique(std::error_code& ec,
                                                                    unsigned int initial_value,
                                                                    mode_t mode) noexcept {
  named_semaphore s;
  const char* step = "";
  if (detail::checked_fresh(check_arguments(existence_policy::raise_if_exists, initial_value,
                                            mode, owner_check::any_owner),
                            ec))
    detail::set_error(ec, s.create_unique_as(initial_value, mode, step));
  if (ec) return std::nullopt;
  return std::optional<named_semaphore>(std::move(s));
}

inline int named_semaphore::create_unique_as(unsigned int initial_value, mode_t mode,
                                             const char*& step) noexcept {
  return detail::create_under_fresh_name(
      own_.name,
      [&]() noexcept {
        return open_as(existence_policy::raise_if_exists, initial_value, mode,
                       owner_check::any_owner, step);
      },
      step);
}

inline named_semaphore::named_semaphore(named_semaphore&& other) noexcept
    : sem_(std::exchange(other.sem_, nullptr)) {
  own_.take(other.own_);
}

inline named_semaphore& named_semaphore::operator=(named_semaphore&& other) noexcept {
  if (this != &other) {
    close();
    sem_ = std::exchange(other.sem_, nullptr);
    own_.take(other.own_);
  }
  return *this;
}

inline named_semaphore::~named_semaphore() { close(); }

inline void named_semaphore::check_open(const char* what) const {
  if (sem_ == nullptr) throw_errno(EBADF, what);
}

inline void named_semaphore::throw_errno(int err, const char* what) const {
  detail::throw_errno_for(err, what, own_.name, sem_ == nullptr);
}

inline void named_semaphore::unlink_if_owned() noexcept {
  if (sem_ == nullptr || !own_.claim_unlink()) return;
#if NOB_USE_DEV_SHM
  // The inode check and the unlink are two calls, back to back: see
  // detail::unlink_if_same and docs/semantics.md for the exact guarantee.
  detail::unlink_if_same(detail::sem_file_path(own_.name).c_str(), own_.dev, own_.ino);
#else
  ::sem_unlink(own_.name.c_str());
#endif
}

inline void named_semaphore::close() noexcept {
  if (sem_ == nullptr) return;
  unlink_if_owned();
#if NOB_USE_DEV_SHM
  ::munmap(sem_, sizeof(sem_t));
#else
  ::sem_close(sem_);
#endif
  sem_ = nullptr;
}

inline void named_semaphore::unlink() {
  check_open("unlink");
#if NOB_USE_DEV_SHM
  const int err =
      detail::unlink_if_same(detail::sem_file_path(own_.name).c_str(), own_.dev, own_.ino);
  if (err == ESTALE) {
    own_.unlinked = true;  // our name is gone; the one there now is someone else's
    detail::throw_system(ENOENT, "nob: unlink " + own_.name +
                                     " (the name now refers to another semaphore)");
  }
#else
  const int err = ::sem_unlink(own_.name.c_str()) == 0 ? 0 : errno;
#endif
  if (err != 0) throw_errno(err, "unlink");
  own_.unlinked = true;
}

// The hot paths: one call and one test on success, the rest out of line.

inline void named_semaphore::acquire() {
  if (__builtin_expect(sem_ != nullptr && ::sem_wait(sem_) == 0, 1)) return;
  acquire_slow();
}

[[gnu::cold, gnu::noinline]] inline void named_semaphore::acquire_slow() {
  check_open("sem_wait");
  do {
    if (errno != EINTR) throw_errno(errno, "sem_wait");
  } while (::sem_wait(sem_) != 0);
}

inline bool named_semaphore::try_acquire() {
  if (__builtin_expect(sem_ != nullptr && ::sem_trywait(sem_) == 0, 1)) return true;
  return !first_try_failed("sem_trywait");
}

[[gnu::cold, gnu::noinline]] inline bool named_semaphore::first_try_failed(const char* what) {
  // After a sem_trywait that did not take a unit: false when a retry after
  // EINTR took one; true when none is free; throws when closed or failing.
  check_open(what);
  int err = errno;
  while (err == EINTR) {
    if (::sem_trywait(sem_) == 0) return false;
    err = errno;
  }
  if (err != EAGAIN) throw_errno(err, "sem_trywait");
  return true;
}

inline bool named_semaphore::try_acquire(std::error_code& ec) noexcept {
  ec.clear();
  if (sem_ == nullptr) {
    ec.assign(EBADF, std::generic_category());
    return false;
  }
  int err = 0;
  const int r = detail::trywait(sem_, err);
  if (r < 0) ec.assign(err, std::generic_category());
  return r > 0;
}

template <class Clock>
bool named_semaphore::wait_toward(std::chrono::nanoseconds at) {
  int err = 0;
  const bool got =
      detail::wait_toward<Clock>(at, detail::sem_step::clocks, detail::sem_step{sem_}, err);
  if (err != 0) throw_errno(err, "sem_clockwait");
  return got;
}

template <class Rep, class Period>
bool named_semaphore::try_acquire_for(const std::chrono::duration<Rep, Period>& rel_time) {
  // Most acquires never need the clock: one try first.
  if (__builtin_expect(sem_ != nullptr && ::sem_trywait(sem_) == 0, 1)) return true;
  if (!first_try_failed("sem_clockwait")) return true;
  if (!(rel_time > std::chrono::duration<Rep, Period>::zero())) return false;
  return wait_toward<std::chrono::steady_clock>(detail::steady_deadline_after(rel_time));
}

template <class Clock, class Duration>
bool named_semaphore::try_acquire_until(
    const std::chrono::time_point<Clock, Duration>& abs_time) {
  if (__builtin_expect(sem_ != nullptr && ::sem_trywait(sem_) == 0, 1)) return true;
  if (!first_try_failed("sem_clockwait")) return true;
  return wait_toward<Clock>(detail::since_epoch_saturated(abs_time));
}

template <class Clock>
wait_result named_semaphore::step_toward(std::chrono::nanoseconds at, std::error_code& ec) {
  ec.clear();
  if (sem_ == nullptr) {
    ec.assign(EBADF, std::generic_category());
    return wait_result::timed_out;
  }
  int err = 0;
  const wait_result r =
      detail::step_toward<Clock>(at, detail::sem_step::clocks, detail::sem_step{sem_}, err);
  detail::set_error(ec, err);
  return r;
}

inline wait_result named_semaphore::wait_once(std::error_code& ec) {
  return step_toward<std::chrono::steady_clock>(std::chrono::nanoseconds::max(), ec);
}

inline wait_result named_semaphore::wait_once_until(
    std::chrono::steady_clock::time_point deadline, std::error_code& ec) {
  return step_toward<std::chrono::steady_clock>(detail::since_epoch_saturated(deadline), ec);
}

inline void named_semaphore::release(std::ptrdiff_t n, std::error_code& ec) noexcept {
  ec.clear();
  if (sem_ == nullptr) {
    ec.assign(EBADF, std::generic_category());
    return;
  }
  if (n < 0) {
    ec.assign(EINVAL, std::generic_category());
    return;
  }
  if (n == 0) return;
  if (n > max()) {
    ec.assign(EOVERFLOW, std::generic_category());
    return;
  }
  if (n == 1) {  // exactly glibc's own post
    if (::sem_post(sem_) != 0) ec.assign(errno, std::generic_category());
    return;
  }
#if NOB_KNOWN_SEM_LAYOUT
  if (const int err = detail::atomic_post(sem_, n)) ec.assign(err, std::generic_category());
#else
  // n posts. Refused up front when the value says it cannot fit; another
  // poster racing with this one can still make a later post fail with
  // EOVERFLOW, and the units posted before it stay posted.
#if NOB_HAVE_SEM_GETVALUE
  int v = 0;
  if (::sem_getvalue(sem_, &v) != 0) {
    ec.assign(errno, std::generic_category());
    return;
  }
  if (n > max() - v) {
    ec.assign(EOVERFLOW, std::generic_category());
    return;
  }
#endif
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    if (::sem_post(sem_) != 0) {  // a lone post reports EOVERFLOW itself
      ec.assign(errno, std::generic_category());
      return;
    }
  }
#endif
}

inline void named_semaphore::release(std::ptrdiff_t n) {
  if (__builtin_expect(n == 1 && sem_ != nullptr && ::sem_post(sem_) == 0, 1)) return;
  release_slow(n);
}

[[gnu::cold, gnu::noinline]] inline void named_semaphore::release_slow(std::ptrdiff_t n) {
  if (n < 0)
    detail::throw_or_abort(std::invalid_argument("nob: release(n) needs n >= 0, got " +
                                                 std::to_string(n) + " for " + own_.name));
  std::error_code ec;
  if (n == 1 && sem_ != nullptr)
    ec.assign(errno, std::generic_category());  // the post above failed
  else
    release(n, ec);
  if (ec) throw_errno(ec.value(), "sem_post");
}

inline void named_semaphore::unlock() noexcept {
  if (sem_ != nullptr) ::sem_post(sem_);
}

inline int named_semaphore::value(std::error_code& ec) const noexcept {
  ec.clear();
  if (sem_ == nullptr) {
    ec.assign(EBADF, std::generic_category());
    return -1;
  }
#if NOB_HAVE_SEM_GETVALUE
  int v = 0;
  if (::sem_getvalue(sem_, &v) != 0) {
    ec.assign(errno, std::generic_category());
    return -1;
  }
  return v < 0 ? 0 : v;
#else
  ec.assign(ENOSYS, std::generic_category());
  return -1;
#endif
}

inline int named_semaphore::value() const {
  check_open("sem_getvalue");
  std::error_code ec;
  const int v = value(ec);
  if (ec) throw_errno(ec.value(), "sem_getvalue");
  return v;
}

}  // namespace nob

#endif  // NOB_NAMED_SEMAPHORE_HPP
