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
//    whatever the umask;
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
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

///
// Configuration. Each macro may be defined to 0 or 1 before the include;
// the defaults pick the best the platform offers. Forcing a fallback on
// Linux is how the test suite runs every wait path.
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

/// 1: open and map /dev/shm/sem.NAME directly (Linux). 0: go through
/// sem_open/sem_close (portable; no inode check, mode subject to the umask).
#ifndef NOB_USE_DEV_SHM
#if defined(__linux__)
#define NOB_USE_DEV_SHM 1
#else
#define NOB_USE_DEV_SHM 0
#endif
#endif

/// Longest sleep between two sem_trywait calls of the polling fallback, in us.
#ifndef NOB_POLL_MAX_SLEEP_US
#define NOB_POLL_MAX_SLEEP_US 2000
#endif

#if NOB_USE_SEM_CLOCKWAIT && !NOB_USE_SEM_TIMEDWAIT
#error "NOB_USE_SEM_CLOCKWAIT=1 needs NOB_USE_SEM_TIMEDWAIT=1"
#endif

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

/// A handle on one POSIX named semaphore: move-only, closes on destruction
/// and unlinks the name when it owns it (see unlink_on_destroy()).
class named_semaphore {
 public:
  /// Opens or creates `name` under `policy`; `initial_value` and `mode` only
  /// matter when this call creates (mode is applied exactly, whatever the umask).
  explicit named_semaphore(std::string_view name,
                           existence_policy policy = existence_policy::raise_if_not_exists,
                           unsigned int initial_value = 1, mode_t mode = 0600);
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
  /// Adds `n` units (n >= 0); throws value_too_large, posting nothing, past max().
  void release(std::ptrdiff_t n = 1);
  /// The current value (sem_getvalue); a snapshot, stale as soon as it returns.
  int value() const;
  /// The largest value a semaphore can hold (SEM_VALUE_MAX).
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

  /// The normalised name, with its leading '/' (empty after a move).
  const std::string& name() const noexcept { return name_; }
  /// True when the constructor opened a semaphore that existed; false when it created one.
  bool linked_existing() const noexcept { return linked_existing_; }
  /// True when close() will unlink the name (defaults to "this handle created it").
  bool unlink_on_destroy() const noexcept { return unlink_on_destroy_; }
  /// Chooses whether close() unlinks the name.
  void unlink_on_destroy(bool on) noexcept { unlink_on_destroy_ = on; }
  /// Removes the name now (the semaphore lives on while handles are open).
  void unlink();
  /// Removes `name`; returns false if there was none.
  static bool remove(std::string_view name);
  /// True when a semaphore called `name` exists.
  static bool exists(std::string_view name);
  /// Ends the handle, unlinking the name when unlink_on_destroy(); idempotent, never throws.
  void close() noexcept;
  /// True until close() or a move.
  bool is_open() const noexcept { return sem_ != nullptr; }
  /// The underlying sem_t for sem_* calls (do not sem_close it); nullptr when closed.
  sem_t* native_handle() const noexcept { return sem_; }

  /// Low-level: one blocking wait that returns wait_result::interrupted on
  /// EINTR instead of retrying (for bindings that run signal handlers in
  /// between). Errors go to `ec`; never throws.
  wait_result wait_once(std::error_code& ec) noexcept;
  /// Low-level: as wait_once(), but gives up at `deadline` (steady clock).
  wait_result wait_once_until(std::chrono::steady_clock::time_point deadline,
                              std::error_code& ec) noexcept;
  /// Non-throwing try_acquire(): false with `ec` clear when no unit is free.
  bool try_acquire(std::error_code& ec) noexcept;
  /// Non-throwing release(): `ec` is value_too_large past max(), posting nothing.
  void release(std::ptrdiff_t n, std::error_code& ec) noexcept;

 private:
  void check_open(const char* what) const;
  [[noreturn]] void throw_errno(int err, const char* what) const;
  bool still_same_semaphore() const noexcept;
  bool wait_until(clockid_t clock, std::chrono::nanoseconds deadline);

  sem_t* sem_ = nullptr;
  std::string name_;
  pid_t owner_pid_ = 0;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool linked_existing_ = false;
  bool unlink_on_destroy_ = false;
  bool unlinked_ = false;
};

///
// Implementation. Everything below is inline; nothing here is public API
// except through the declarations above.
///

namespace detail {

/// One sem_trywait: 1 acquired, 0 would block, -1 error (errno kept in err).
inline int trywait(sem_t* sem, int& err) noexcept {
  while (::sem_trywait(sem) != 0) {
    if (errno == EAGAIN) return 0;
    if (errno == EINTR) continue;
    err = errno;
    return -1;
  }
  return 1;
}

/// One blocking step until `deadline` on `clock` (CLOCK_MONOTONIC or
/// CLOCK_REALTIME; nanoseconds::max() = forever). Returns on EINTR. Never
/// reports timed_out before `clock` has reached `deadline`.
inline wait_result wait_step(sem_t* sem, clockid_t clock, std::chrono::nanoseconds deadline,
                             int& err) noexcept {
  err = 0;
#if NOB_USE_SEM_TIMEDWAIT
  if (is_forever(deadline)) {
    if (::sem_wait(sem) == 0) return wait_result::acquired;
    if (errno == EINTR) return wait_result::interrupted;
    err = errno;
    return wait_result::timed_out;
  }
#if NOB_USE_SEM_CLOCKWAIT
  const timespec abs = to_timespec(deadline);
  if (::sem_clockwait(sem, clock, &abs) == 0) return wait_result::acquired;
  if (errno == EINTR) return wait_result::interrupted;
  if (errno == ETIMEDOUT) return wait_result::timed_out;
  err = errno;
  return wait_result::timed_out;
#else
  // sem_timedwait only knows CLOCK_REALTIME: wait in slices and re-check the
  // deadline's own clock after each, so a wall-clock jump costs at most one
  // slice and never ends the wait early.
  for (;;) {
    const std::chrono::nanoseconds now = now_on(clock);
    if (now >= deadline) return wait_result::timed_out;
    std::chrono::nanoseconds left = deadline - now;
    if (clock != CLOCK_REALTIME && left > std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS))
      left = std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS);
    const timespec abs = to_timespec(clock == CLOCK_REALTIME ? deadline
                                                             : now_on(CLOCK_REALTIME) + left);
    if (::sem_timedwait(sem, &abs) == 0) return wait_result::acquired;
    if (errno == EINTR) return wait_result::interrupted;
    if (errno != ETIMEDOUT) {
      err = errno;
      return wait_result::timed_out;
    }
  }
#endif
#else
  // No timed wait at all: poll with a backoff from 1 us to NOB_POLL_MAX_SLEEP_US.
  long sleep_ns = 1000;
  for (;;) {
    int r = trywait(sem, err);
    if (r != 0) return r > 0 ? wait_result::acquired : wait_result::timed_out;
    long nap = sleep_ns;
    if (!is_forever(deadline)) {
      const std::chrono::nanoseconds now = now_on(clock);
      if (now >= deadline) return wait_result::timed_out;
      if (deadline - now < std::chrono::nanoseconds(nap))
        nap = static_cast<long>((deadline - now).count());
    }
    timespec ts{0, nap};
    if (::nanosleep(&ts, nullptr) != 0 && errno == EINTR) return wait_result::interrupted;
    if (sleep_ns < NOB_POLL_MAX_SLEEP_US * 1000L) sleep_ns *= 2;
  }
#endif
}

#if NOB_USE_DEV_SHM
/// "/dev/shm/sem.NAME" for a normalised "/NAME".
inline std::string shm_path(const std::string& normalized) {
  return "/dev/shm/sem." + normalized.substr(1);
}

/// What opening or creating the backing file gave.
struct opened {
  sem_t* sem = nullptr;
  dev_t dev = 0;
  ino_t ino = 0;
  int err = 0;           ///< errno of the failure, 0 on success
  const char* step = "";  ///< the call that failed
};

/// True when the file behind `fd` starts with what glibc's sem_open or
/// sem_init(pshared=1) writes. On 64-bit glibc a sem_t is {uint64 data;
/// int private; int pad;}: the low half of data is the value (at most
/// SEM_VALUE_MAX) and `private` is 128 (LLL_SHARED); anything else makes
/// glibc's futex calls abort. pread, not the mapping: a read through a fresh
/// mapping costs a page fault that sem_open never pays. Elsewhere the layout
/// is not checked.
inline bool looks_like_semaphore(int fd) noexcept {
#if defined(__GLIBC__) && (defined(__x86_64__) || defined(__aarch64__))
  static_assert(sizeof(sem_t) == 32, "unexpected glibc sem_t layout");
  unsigned char head[12];
  ssize_t n;
  do {
    n = ::pread(fd, head, sizeof head, 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof head)) return false;
  std::uint64_t data = 0;
  std::int32_t priv = 0;
  std::memcpy(&data, head, sizeof data);
  std::memcpy(&priv, head + 8, sizeof priv);
  return priv == 128 && (data & 0xffffffffu) <= static_cast<std::uint64_t>(SEM_VALUE_MAX);
#else
  (void)fd;
  return true;
#endif
}

/// Maps the sem_t of an open backing file (fd, dev and ino from `f`).
inline opened map_sem(const file_result& f) noexcept {
  opened o;
  void* p = ::mmap(nullptr, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
  if (p == MAP_FAILED) {
    o.err = errno;
    o.step = "mmap";
    return o;
  }
  o.sem = static_cast<sem_t*>(p);
  o.dev = f.dev;
  o.ino = f.ino;
  return o;
}

/// Opens an existing semaphore file, after checking that it holds a sem_t:
/// a truncated file (mapping it would SIGBUS) or garbage (glibc would abort)
/// is refused with EINVAL.
inline opened open_existing(const std::string& path) noexcept {
  file_result f = open_existing_file(path, O_RDWR);
  opened o;
  if (f.err != 0) {
    o.err = f.err;
    o.step = f.step;
    return o;
  }
  if (f.size < static_cast<off_t>(sizeof(sem_t)) || !looks_like_semaphore(f.fd)) {
    o.err = EINVAL;
    o.step = "open (not a valid semaphore file)";
  } else {
    o = map_sem(f);
  }
  ::close(f.fd);
  return o;
}

/// Creates the semaphore file exclusively, as glibc does: a fully written
/// file with no name, then linked into place (detail::create_exclusive_file),
/// so nobody ever sees it half made and a crash leaves nothing behind.
inline opened create_exclusive(const std::string& path, unsigned int value,
                               mode_t mode) noexcept {
  opened o;
  sem_t init{};
  if (::sem_init(&init, 1, value) != 0) {
    o.err = errno;
    o.step = "sem_init";
    return o;
  }
  file_result f = create_exclusive_file(
      path, "/dev/shm/sem.nob-XXXXXX", &init, sizeof init, mode,
      [&o](const file_result& made) noexcept {
        o = map_sem(made);
        return o.err;
      });
  if (f.err != 0) {
    if (o.sem != nullptr) ::munmap(o.sem, sizeof(sem_t));
    o = opened{};
    o.err = f.err;
    o.step = f.step;
    return o;
  }
  ::close(f.fd);
  return o;
}
#endif  // NOB_USE_DEV_SHM

}  // namespace detail

inline named_semaphore::named_semaphore(std::string_view name, existence_policy policy,
                                        unsigned int initial_value, mode_t mode)
    : name_(normalize_name(name)) {
  if (static_cast<unsigned>(policy) > static_cast<unsigned>(existence_policy::unlink_and_create))
    throw std::invalid_argument("nob: unknown existence_policy for " + name_);
  if (initial_value > static_cast<unsigned int>(SEM_VALUE_MAX))
    throw std::invalid_argument("nob: initial_value " + std::to_string(initial_value) +
                                " is above SEM_VALUE_MAX for " + name_);
  if ((mode & ~static_cast<mode_t>(0777)) != 0)
    throw std::invalid_argument("nob: mode must be permission bits (0 to 0777) for " + name_);

#if NOB_USE_DEV_SHM
  const std::string path = detail::shm_path(name_);
  detail::opened o;
  switch (policy) {
    case existence_policy::raise_if_exists:
      o = detail::create_exclusive(path, initial_value, mode);
      break;
    case existence_policy::raise_if_not_exists:
      o = detail::open_existing(path);
      linked_existing_ = o.err == 0;
      break;
    case existence_policy::unlink_and_create:
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno(errno, "unlink");
      o = detail::create_exclusive(path, initial_value, mode);
      break;
    case existence_policy::link_or_create:
      for (;;) {  // exclusive create, else open, else it vanished: again
        o = detail::create_exclusive(path, initial_value, mode);
        if (o.err != EEXIST) break;
        o = detail::open_existing(path);
        if (o.err != ENOENT) {
          linked_existing_ = o.err == 0;
          break;
        }
      }
      break;
  }
  if (o.err != 0) throw_errno(o.err, o.step);
  sem_ = o.sem;
  dev_ = o.dev;
  ino_ = o.ino;
#else
  auto create = [&] {
    return ::sem_open(name_.c_str(), O_CREAT | O_EXCL, mode, initial_value);
  };
  sem_t* s = SEM_FAILED;
  switch (policy) {
    case existence_policy::raise_if_exists:
      s = create();
      break;
    case existence_policy::raise_if_not_exists:
      s = ::sem_open(name_.c_str(), 0);
      linked_existing_ = s != SEM_FAILED;
      break;
    case existence_policy::unlink_and_create:
      if (::sem_unlink(name_.c_str()) != 0 && errno != ENOENT) throw_errno(errno, "sem_unlink");
      s = create();
      break;
    case existence_policy::link_or_create:
      for (;;) {
        s = create();
        if (s != SEM_FAILED || errno != EEXIST) break;
        s = ::sem_open(name_.c_str(), 0);
        if (s != SEM_FAILED || errno != ENOENT) {
          linked_existing_ = s != SEM_FAILED;
          break;
        }
      }
      break;
  }
  if (s == SEM_FAILED) throw_errno(errno, "sem_open");
  sem_ = s;
#endif
  owner_pid_ = ::getpid();
  unlink_on_destroy_ = !linked_existing_;
}

inline named_semaphore::named_semaphore(named_semaphore&& other) noexcept
    : sem_(std::exchange(other.sem_, nullptr)),
      name_(std::move(other.name_)),
      owner_pid_(other.owner_pid_),
      dev_(other.dev_),
      ino_(other.ino_),
      linked_existing_(other.linked_existing_),
      unlink_on_destroy_(std::exchange(other.unlink_on_destroy_, false)),
      unlinked_(other.unlinked_) {
  other.name_.clear();
}

inline named_semaphore& named_semaphore::operator=(named_semaphore&& other) noexcept {
  if (this != &other) {
    close();
    sem_ = std::exchange(other.sem_, nullptr);
    name_ = std::move(other.name_);
    other.name_.clear();
    owner_pid_ = other.owner_pid_;
    dev_ = other.dev_;
    ino_ = other.ino_;
    linked_existing_ = other.linked_existing_;
    unlink_on_destroy_ = std::exchange(other.unlink_on_destroy_, false);
    unlinked_ = other.unlinked_;
  }
  return *this;
}

inline named_semaphore::~named_semaphore() { close(); }

inline void named_semaphore::check_open(const char* what) const {
  if (sem_ == nullptr) throw_errno(EBADF, what);
}

inline void named_semaphore::throw_errno(int err, const char* what) const {
  detail::throw_errno_for(err, what, name_, sem_ == nullptr);
}

inline bool named_semaphore::still_same_semaphore() const noexcept {
#if NOB_USE_DEV_SHM
  return detail::same_file(detail::shm_path(name_), dev_, ino_);
#else
  return true;  // no way to tell: trust the name
#endif
}

inline void named_semaphore::close() noexcept {
  if (sem_ == nullptr) return;
  if (unlink_on_destroy_ && !unlinked_ && owner_pid_ == ::getpid() && still_same_semaphore()) {
#if NOB_USE_DEV_SHM
    ::unlink(detail::shm_path(name_).c_str());
#else
    ::sem_unlink(name_.c_str());
#endif
  }
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
  const int rc = ::unlink(detail::shm_path(name_).c_str());
#else
  const int rc = ::sem_unlink(name_.c_str());
#endif
  if (rc != 0) throw_errno(errno, "unlink");
  unlinked_ = true;
}

inline bool named_semaphore::remove(std::string_view name) {
  const std::string n = normalize_name(name);
#if NOB_USE_DEV_SHM
  const int rc = ::unlink(detail::shm_path(n).c_str());
#else
  const int rc = ::sem_unlink(n.c_str());
#endif
  if (rc == 0) return true;
  if (errno == ENOENT) return false;
  detail::throw_system(errno, "nob: unlink " + n);
}

inline bool named_semaphore::exists(std::string_view name) {
  const std::string n = normalize_name(name);
#if NOB_USE_DEV_SHM
  struct stat st {};
  if (::lstat(detail::shm_path(n).c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  detail::throw_system(errno, "nob: stat " + n);
#else
  sem_t* s = ::sem_open(n.c_str(), 0);
  if (s != SEM_FAILED) {
    ::sem_close(s);
    return true;
  }
  if (errno == ENOENT) return false;
  if (errno == EACCES) return true;
  detail::throw_system(errno, "nob: sem_open " + n);
#endif
}

inline void named_semaphore::acquire() {
  check_open("sem_wait");
  while (::sem_wait(sem_) != 0) {
    if (errno != EINTR) throw_errno(errno, "sem_wait");
  }
}

inline bool named_semaphore::try_acquire() {
  check_open("sem_trywait");
  int err = 0;
  const int r = detail::trywait(sem_, err);
  if (r < 0) throw_errno(err, "sem_trywait");
  return r > 0;
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

inline bool named_semaphore::wait_until(clockid_t clock, std::chrono::nanoseconds deadline) {
  // The caller has tried once already: wait for `deadline` on `clock`
  // (forever for nanoseconds::max()), retrying EINTR against the same deadline.
  for (;;) {
    int err = 0;
    switch (detail::wait_step(sem_, clock, deadline, err)) {
      case wait_result::acquired:
        return true;
      case wait_result::interrupted:
        continue;
      case wait_result::timed_out:
        if (err != 0) throw_errno(err, "sem_clockwait");
        return false;
    }
  }
}

template <class Rep, class Period>
bool named_semaphore::try_acquire_for(const std::chrono::duration<Rep, Period>& rel_time) {
  check_open("sem_clockwait");
  if (!(rel_time > std::chrono::duration<Rep, Period>::zero())) return try_acquire();
  int err = 0;
  const int r = detail::trywait(sem_, err);  // most acquires never need the clock
  if (r < 0) throw_errno(err, "sem_trywait");
  if (r > 0) return true;
  const auto deadline = detail::saturating_add(detail::now_on(CLOCK_MONOTONIC), rel_time);
  return wait_until(CLOCK_MONOTONIC, deadline);
}

template <class Clock, class Duration>
bool named_semaphore::try_acquire_until(
    const std::chrono::time_point<Clock, Duration>& abs_time) {
  using namespace std::chrono;
  check_open("sem_clockwait");
  int err = 0;
  const int r = detail::trywait(sem_, err);
  if (r < 0) throw_errno(err, "sem_trywait");
  if (r > 0) return true;
  if constexpr (std::is_same_v<Clock, steady_clock> || std::is_same_v<Clock, system_clock>) {
    // libstdc++'s steady_clock is CLOCK_MONOTONIC and system_clock is
    // CLOCK_REALTIME, both counted from their clock's own epoch.
    const clockid_t clock = std::is_same_v<Clock, steady_clock> ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    const auto deadline = detail::saturating_add(nanoseconds(0), abs_time.time_since_epoch());
    if (abs_time.time_since_epoch() <= Duration::zero() || deadline <= detail::now_on(clock))
      return false;
    return wait_until(clock, deadline);
  } else {
    // Any other clock: wait on the steady clock for what is left, then ask
    // the deadline's own clock again; only it can say the time is up.
    for (;;) {
      const auto now = Clock::now();
      if (!(now < abs_time)) return false;
      const auto left = abs_time - now;
      const auto deadline = detail::saturating_add(detail::now_on(CLOCK_MONOTONIC), left);
      if (wait_until(CLOCK_MONOTONIC, deadline)) return true;
    }
  }
}

inline wait_result named_semaphore::wait_once(std::error_code& ec) noexcept {
  return wait_once_until(std::chrono::steady_clock::time_point::max(), ec);
}

inline wait_result named_semaphore::wait_once_until(
    std::chrono::steady_clock::time_point deadline, std::error_code& ec) noexcept {
  ec.clear();
  if (sem_ == nullptr) {
    ec.assign(EBADF, std::generic_category());
    return wait_result::timed_out;
  }
  int err = 0;
  const wait_result r = detail::wait_step(
      sem_, CLOCK_MONOTONIC, std::chrono::nanoseconds(deadline.time_since_epoch()), err);
  if (err != 0) ec.assign(err, std::generic_category());
  return r;
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
  if (n > 1) {  // refuse up front rather than post part of n
    int v = 0;
    if (::sem_getvalue(sem_, &v) != 0) {
      ec.assign(errno, std::generic_category());
      return;
    }
    if (n > max() - v) {
      ec.assign(EOVERFLOW, std::generic_category());
      return;
    }
  }
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    if (::sem_post(sem_) != 0) {  // a lone post reports EOVERFLOW itself
      ec.assign(errno, std::generic_category());
      return;
    }
  }
}

inline void named_semaphore::release(std::ptrdiff_t n) {
  if (n < 0)
    throw std::invalid_argument("nob: release(n) needs n >= 0, got " + std::to_string(n) +
                                " for " + name_);
  std::error_code ec;
  release(n, ec);
  if (ec) throw_errno(ec.value(), "sem_post");
}

inline void named_semaphore::unlock() noexcept {
  if (sem_ != nullptr) ::sem_post(sem_);
}

inline int named_semaphore::value() const {
  check_open("sem_getvalue");
  int v = 0;
  if (::sem_getvalue(sem_, &v) != 0) throw_errno(errno, "sem_getvalue");
  return v < 0 ? 0 : v;
}

}  // namespace nob

#endif  // NOB_NAMED_SEMAPHORE_HPP
