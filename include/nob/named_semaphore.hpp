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
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

///
// Configuration. Each macro may be defined to 0 or 1 before the include;
// the defaults pick the best the platform offers. Forcing a fallback on
// Linux is how the test suite runs every path. (common.hpp has the macros
// every kind shares: NOB_TIMEDWAIT_SLICE_MS, NOB_MAX_NAME_LENGTH,
// NOB_STEADY_IS_MONOTONIC.)
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

/// 1: open and map /dev/shm/sem.NAME directly, the file glibc's sem_open
/// uses (Linux with glibc only: musl names the file /dev/shm/NAME and lays
/// out sem_t differently). 0: go through sem_open/sem_close (portable; no
/// inode check, mode subject to the umask).
#ifndef NOB_USE_DEV_SHM
#if defined(__linux__) && defined(__GLIBC__)
#define NOB_USE_DEV_SHM 1
#else
#define NOB_USE_DEV_SHM 0
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
#if NOB_KNOWN_SEM_LAYOUT
#include <linux/futex.h>
#include <sys/syscall.h>
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

/// True when release(n) is one atomic add (NOB_KNOWN_SEM_LAYOUT); false when
/// it is n sem_post calls (see release()).
inline constexpr bool atomic_release = NOB_KNOWN_SEM_LAYOUT != 0;

/// A handle on one POSIX named semaphore: move-only, closes on destruction
/// and unlinks the name when it owns it (see unlink_on_destroy()).
class named_semaphore {
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

  /// The normalised name, with its leading '/' (empty after a move).
  const std::string& name() const noexcept { return name_; }
  /// True when the constructor opened a semaphore that existed; false when it created one.
  bool linked_existing() const noexcept { return linked_existing_; }
  /// True when close() will unlink the name (defaults to "this handle created it").
  bool unlink_on_destroy() const noexcept { return unlink_on_destroy_; }
  /// Chooses whether close() unlinks the name.
  void unlink_on_destroy(bool on) noexcept { unlink_on_destroy_ = on; }
  /// Removes the name now, if it still refers to this semaphore (Linux:
  /// device and inode; else no_such_file_or_directory). The semaphore lives
  /// on while handles are open.
  void unlink();
  /// Removes `name`; returns false if there was none.
  static bool remove(std::string_view name);
  /// True when a semaphore called `name` exists.
  static bool exists(std::string_view name);
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
  void check_open(const char* what) const;
  [[noreturn]] void throw_errno(int err, const char* what) const;
  bool still_same_semaphore() const noexcept;
  template <class Step>
  bool wait_with(Step&& step);
  bool wait_until(clockid_t clock, std::chrono::nanoseconds deadline);
  bool wait_until_steady(std::chrono::nanoseconds deadline);

  sem_t* sem_ = nullptr;
  std::string name_;
  pid_t owner_pid_ = 0;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool linked_existing_ = false;
  bool unlink_on_destroy_ = false;
  bool unlinked_ = false;
};

static_assert(SEM_VALUE_MAX <= INT_MAX, "value() returns an int, which must hold max()");

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

/// The polling fallback's next sleep after `ns`: doubling, and exactly
/// NOB_POLL_MAX_SLEEP_US once it would pass it.
inline long long poll_next_sleep_ns(long long ns) noexcept {
  constexpr long long cap = static_cast<long long>(NOB_POLL_MAX_SLEEP_US) * 1000LL;
  static_assert(cap >= 1000, "NOB_POLL_MAX_SLEEP_US must be at least 1");
  return ns >= cap / 2 ? cap : ns * 2;
}

/// A relative sleep of `ns` (>= 0) as a valid timespec (tv_nsec < 1e9).
inline timespec relative_timespec(long long ns) noexcept {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ns / 1000000000LL);
  ts.tv_nsec = static_cast<long>(ns % 1000000000LL);
  return ts;
}

/// The end of a wait whose deadline has passed: one sem_trywait, so a unit
/// that is there is taken, as sem_clockwait does with a past deadline.
inline wait_result last_try(sem_t* sem, int& err) noexcept {
  err = 0;
  const int r = trywait(sem, err);
  return r > 0 ? wait_result::acquired : wait_result::timed_out;
}

/// One blocking step until `deadline` on `clock` (CLOCK_MONOTONIC or
/// CLOCK_REALTIME; nanoseconds::max() = forever). Returns on EINTR, and
/// where it waits in slices also after each slice, as `interrupted`. Never
/// reports timed_out before `clock` has reached `deadline`. Not noexcept:
/// sem_wait and friends are cancellation points.
inline wait_result wait_step(sem_t* sem, clockid_t clock, std::chrono::nanoseconds deadline,
                             int& err) {
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
  if (errno == ETIMEDOUT) {
    // A deadline past what time_t holds was clamped: time is not up yet.
    if (now_on(clock) < deadline) return wait_result::interrupted;
    return wait_result::timed_out;
  }
  err = errno;
  return wait_result::timed_out;
#else
  // sem_timedwait only knows CLOCK_REALTIME: wait one slice and re-check the
  // deadline's own clock after it, so a wall-clock jump never ends the wait
  // early (a backward jump lengthens the slice under way by the jump). A
  // slice that ends before the deadline ends the step as `interrupted`: a
  // signal that came just as the slice timed out (ETIMEDOUT, not EINTR) then
  // still reaches a caller that runs signal handlers between steps.
  const std::chrono::nanoseconds now = now_on(clock);
  if (now >= deadline) return last_try(sem, err);
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
  if (now_on(clock) >= deadline) return last_try(sem, err);
  return wait_result::interrupted;
#endif
#else
  // No timed wait at all: poll with a backoff from 1 us to NOB_POLL_MAX_SLEEP_US.
  long long sleep_ns = 1000;
  for (;;) {
    int r = trywait(sem, err);
    if (r != 0) return r > 0 ? wait_result::acquired : wait_result::timed_out;
    long long nap = sleep_ns;
    if (!is_forever(deadline)) {
      const std::chrono::nanoseconds now = now_on(clock);
      if (now >= deadline) return wait_result::timed_out;
      if (deadline - now < std::chrono::nanoseconds(nap))
        nap = static_cast<long long>((deadline - now).count());
    }
    const timespec ts = relative_timespec(nap);
    if (::nanosleep(&ts, nullptr) != 0 && errno == EINTR) return wait_result::interrupted;
    sleep_ns = poll_next_sleep_ns(sleep_ns);
  }
#endif
}

/// One blocking step until `deadline`, in ns since steady_clock's epoch
/// (nanoseconds::max() = forever). Where steady_clock is CLOCK_MONOTONIC
/// this is wait_step() on it; elsewhere (macOS: CLOCK_UPTIME_RAW, which
/// stops while the machine sleeps) the time left is measured with
/// steady_clock::now(), waited on CLOCK_MONOTONIC, and re-checked on
/// steady_clock, so the wait never ends before steady_clock's deadline.
inline wait_result wait_step_steady(sem_t* sem, std::chrono::nanoseconds deadline, int& err) {
#if NOB_STEADY_IS_MONOTONIC
  return wait_step(sem, CLOCK_MONOTONIC, deadline, err);
#else
  if (is_forever(deadline)) return wait_step(sem, CLOCK_MONOTONIC, deadline, err);
  for (;;) {
    const std::chrono::nanoseconds left = steady_left(deadline);
    if (left <= std::chrono::nanoseconds(0)) return last_try(sem, err);
    const wait_result r =
        wait_step(sem, CLOCK_MONOTONIC, saturating_add(now_on(CLOCK_MONOTONIC), left), err);
    if (r != wait_result::timed_out || err != 0) return r;
  }
#endif
}

#if NOB_KNOWN_SEM_LAYOUT
static_assert(sizeof(sem_t) == 32, "unexpected glibc sem_t layout for LP64");

/// glibc's 64-bit sem_t: the value is the low 32 bits of `data`, the number
/// of waiters the high 32; `priv` is 128 (LLL_SHARED) for process-shared.
struct glibc_sem {
  std::uint64_t data;
  std::int32_t priv;
  std::int32_t pad;
};

/// release(n) as glibc's sem_post does one unit: one compare-and-swap adds
/// all n (or nothing, EOVERFLOW, past SEM_VALUE_MAX), then, if anyone may be
/// waiting, one FUTEX_WAKE of up to n waiters on the value's 32-bit word.
/// Returns 0 or the errno.
inline int atomic_post(sem_t* sem, std::ptrdiff_t n) noexcept {
  auto* s = reinterpret_cast<glibc_sem*>(sem);
  const auto add = static_cast<std::uint64_t>(n);
  std::uint64_t d = __atomic_load_n(&s->data, __ATOMIC_RELAXED);
  do {
    if ((d & 0xffffffffu) + add > static_cast<std::uint64_t>(SEM_VALUE_MAX)) return EOVERFLOW;
  } while (!__atomic_compare_exchange_n(&s->data, &d, d + add, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
  if ((d >> 32) > 0) {
    const int priv = __atomic_load_n(&s->priv, __ATOMIC_RELAXED);
    const int op = (FUTEX_WAKE | FUTEX_PRIVATE_FLAG) ^ priv;  // glibc's __lll_private_flag
    const int wake = n > INT_MAX ? INT_MAX : static_cast<int>(n);
    ::syscall(SYS_futex, reinterpret_cast<unsigned int*>(&s->data), op, wake, nullptr, nullptr, 0);
  }
  return 0;
}
#endif

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

/// i386 glibc's 32-bit sem_t ({unsigned value; int private; int pad;
/// unsigned nwaiters}, the value shifted left by one above a waiters bit):
/// not used by release(n), but its `private` word is checked like the
/// 64-bit layout's before a file is mapped.
#if !NOB_KNOWN_SEM_LAYOUT && defined(__linux__) && defined(__GLIBC__) && defined(__i386__)
static_assert(sizeof(sem_t) == 16, "unexpected glibc sem_t layout for i386");
#endif

/// Reads the head of the semaphore file behind `fd` with pread, not the
/// mapping (a read through a fresh mapping costs a page fault that sem_open
/// never pays, and a file truncated meanwhile would raise SIGBUS): 1 with
/// `value` set when it is what glibc's sem_open or sem_init(pshared=1)
/// writes (the value at most SEM_VALUE_MAX and `private` 128: anything else
/// makes glibc's futex calls abort), 0 when it is not, -1 where the layout
/// is not known (nothing is checked). nob-sem reads values this way.
inline int read_sem_file(int fd, unsigned int& value) noexcept {
#if NOB_KNOWN_SEM_LAYOUT || (defined(__linux__) && defined(__GLIBC__) && defined(__i386__))
  // The value word, then `private`: 8 + 4 bytes (64-bit layout) or 4 + 4 (i386).
  constexpr std::size_t value_bytes = NOB_KNOWN_SEM_LAYOUT ? 8 : 4;
  unsigned char head[value_bytes + 4];
  ssize_t n;
  do {
    n = ::pread(fd, head, sizeof head, 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof head)) return 0;
  std::int32_t priv = 0;
  std::memcpy(&priv, head + value_bytes, sizeof priv);
  if (priv != 128) return 0;
  if constexpr (value_bytes == 4) {
    std::uint32_t word = 0;  // i386: the value above the "waiters" bit
    std::memcpy(&word, head, sizeof word);
    value = word >> 1;
    return 1;
  } else {
    std::uint64_t data = 0;  // the value in the low 32 bits, waiters above
    std::memcpy(&data, head, sizeof data);
    if ((data & 0xffffffffu) > static_cast<std::uint64_t>(SEM_VALUE_MAX)) return 0;
    value = static_cast<unsigned int>(data & 0xffffffffu);
    return 1;
  }
#else
  (void)fd;
  (void)value;
  return -1;
#endif
}

/// True when the file behind `fd` looks like a process-shared glibc
/// semaphore (read_sem_file); where the layout is not known, it is not checked.
inline bool looks_like_semaphore(int fd) noexcept {
  unsigned int value = 0;
  return read_sem_file(fd, value) != 0;
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
/// is refused with EINVAL; with owner_check::same_uid, a file another user
/// owns is refused with EACCES (checked on the open descriptor).
inline opened open_existing(const std::string& path, owner_check check) noexcept {
  file_result f = open_existing_file(path, O_RDWR);
  opened o;
  if (f.err != 0) {
    o.err = f.err;
    o.step = f.step;
    return o;
  }
  if (!owner_allowed(f, check)) {
    o.err = EACCES;
    o.step = "open (owned by another user)";
  } else if (f.size < static_cast<off_t>(sizeof(sem_t)) || !looks_like_semaphore(f.fd)) {
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
/// `replace`: an existing name is replaced in one step instead of EEXIST.
inline opened create_exclusive(const std::string& path, unsigned int value, mode_t mode,
                               bool replace = false) noexcept {
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
      },
      replace);
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

inline const char* named_semaphore::check_arguments(existence_policy policy,
                                                    unsigned int initial_value, mode_t mode,
                                                    owner_check check) noexcept {
  if (static_cast<unsigned>(policy) > static_cast<unsigned>(existence_policy::unlink_and_create))
    return "unknown existence_policy";
  if (static_cast<unsigned>(check) > static_cast<unsigned>(owner_check::same_uid))
    return "unknown owner_check";
  if (initial_value > static_cast<unsigned int>(SEM_VALUE_MAX))
    return "initial_value is above SEM_VALUE_MAX";
  if ((mode & ~static_cast<mode_t>(0777)) != 0) return "mode must be permission bits (0 to 0777)";
  return nullptr;
}

inline named_semaphore::named_semaphore(std::string_view name, existence_policy policy,
                                        unsigned int initial_value, mode_t mode,
                                        owner_check check)
    : name_(normalize_name(name)) {
  if (const char* why = check_arguments(policy, initial_value, mode, check)) {
    std::string msg = std::string("nob: ") + why + " for " + name_;
    if (initial_value > static_cast<unsigned int>(SEM_VALUE_MAX))
      msg += " (initial_value " + std::to_string(initial_value) + ")";
    detail::throw_or_abort(std::invalid_argument(msg));
  }
  const char* step = "";
  if (const int err = open_as(policy, initial_value, mode, check, step)) throw_errno(err, step);
}

inline std::optional<named_semaphore> named_semaphore::open(std::string_view name,
                                                           std::error_code& ec,
                                                           existence_policy policy,
                                                           unsigned int initial_value,
                                                           mode_t mode,
                                                           owner_check check) noexcept {
  ec.clear();
  std::string_view body;
  if (detail::check_name(name, body) != nullptr ||
      check_arguments(policy, initial_value, mode, check) != nullptr) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return std::nullopt;
  }
  named_semaphore s;
  s.name_.reserve(body.size() + 1);
  s.name_ += '/';
  s.name_ += body;
  const char* step = "";
  if (const int err = s.open_as(policy, initial_value, mode, check, step)) {
    ec.assign(err, std::generic_category());
    return std::nullopt;
  }
  return std::optional<named_semaphore>(std::move(s));
}

inline int named_semaphore::open_as(existence_policy policy, unsigned int initial_value,
                                    mode_t mode, owner_check check,
                                    const char*& step) noexcept {
#if NOB_USE_DEV_SHM
  const std::string path = detail::shm_path(name_);
  detail::opened o;
  switch (policy) {
    case existence_policy::raise_if_exists:
      o = detail::create_exclusive(path, initial_value, mode);
      break;
    case existence_policy::raise_if_not_exists:
      o = detail::open_existing(path, check);
      linked_existing_ = o.err == 0;
      break;
    case existence_policy::unlink_and_create:
      // Unlink, then create; a name someone re-created in between is
      // replaced in one step (rename), so this never fails with EEXIST.
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        o.err = errno;
        o.step = "unlink";
      } else {
        o = detail::create_exclusive(path, initial_value, mode, true);
      }
      break;
    case existence_policy::link_or_create:
      for (;;) {  // as glibc: open, else create exclusively, else it appeared: again
        o = detail::open_existing(path, check);
        if (o.err != ENOENT) {
          linked_existing_ = o.err == 0;
          break;
        }
        o = detail::create_exclusive(path, initial_value, mode);
        if (o.err != EEXIST) break;
      }
      break;
  }
  if (o.err != 0) {
    step = o.step;
    return o.err;
  }
  sem_ = o.sem;
  dev_ = o.dev;
  ino_ = o.ino;
#else
  auto create = [&] {
    return ::sem_open(name_.c_str(), O_CREAT | O_EXCL, mode, initial_value);
  };
  sem_t* s = SEM_FAILED;
  step = "sem_open";
  switch (policy) {
    case existence_policy::raise_if_exists:
      s = create();
      break;
    case existence_policy::raise_if_not_exists:
      s = ::sem_open(name_.c_str(), 0);
      linked_existing_ = s != SEM_FAILED;
      break;
    case existence_policy::unlink_and_create:
      // sem_open cannot replace a name: a bounded number of rounds.
      if (const int err = detail::unlink_then_create(
              [&] { return ::sem_unlink(name_.c_str()) == 0 ? 0 : errno; },
              [&] { return (s = create()) != SEM_FAILED ? 0 : errno; }, "sem_unlink", step))
        return err;
      break;
    case existence_policy::link_or_create:
      for (;;) {
        s = ::sem_open(name_.c_str(), 0);
        if (s != SEM_FAILED || errno != ENOENT) {
          linked_existing_ = s != SEM_FAILED;
          break;
        }
        s = create();
        if (s != SEM_FAILED || errno != EEXIST) break;
      }
      break;
  }
  if (s == SEM_FAILED) return errno;
  if (linked_existing_ && check == owner_check::same_uid) {
    // sem_open gives no descriptor to ask who owns the semaphore.
    ::sem_close(s);
    linked_existing_ = false;
    step = "sem_open (owner_check::same_uid needs NOB_USE_DEV_SHM)";
    return ENOTSUP;
  }
  sem_ = s;
#endif
  owner_pid_ = ::getpid();
  unlink_on_destroy_ = !linked_existing_;
  return 0;
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

inline void named_semaphore::unlink_if_owned() noexcept {
  if (sem_ == nullptr || !unlink_on_destroy_ || unlinked_ || owner_pid_ != ::getpid()) return;
  unlinked_ = true;
#if NOB_USE_DEV_SHM
  // The inode check and the unlink are two calls, back to back: see
  // detail::unlink_if_same and docs/semantics.md for the exact guarantee.
  detail::unlink_if_same(detail::shm_path(name_), dev_, ino_);
#else
  ::sem_unlink(name_.c_str());
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
  const int err = detail::unlink_if_same(detail::shm_path(name_), dev_, ino_);
  if (err == ESTALE) {
    unlinked_ = true;  // our name is gone; the one there now is someone else's
    detail::throw_system(ENOENT, "nob: unlink " + name_ +
                                     " (the name now refers to another semaphore)");
  }
#else
  const int err = ::sem_unlink(name_.c_str()) == 0 ? 0 : errno;
#endif
  if (err != 0) throw_errno(err, "unlink");
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

template <class Step>
bool named_semaphore::wait_with(Step&& step) {
  // The caller has tried once already: wait with `step` (one wait_step*
  // towards a fixed deadline), retrying EINTR against that same deadline.
  for (;;) {
    int err = 0;
    switch (step(err)) {
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

inline bool named_semaphore::wait_until(clockid_t clock, std::chrono::nanoseconds deadline) {
  return wait_with([&](int& err) { return detail::wait_step(sem_, clock, deadline, err); });
}

inline bool named_semaphore::wait_until_steady(std::chrono::nanoseconds deadline) {
  return wait_with([&](int& err) { return detail::wait_step_steady(sem_, deadline, err); });
}

template <class Rep, class Period>
bool named_semaphore::try_acquire_for(const std::chrono::duration<Rep, Period>& rel_time) {
  check_open("sem_clockwait");
  if (!(rel_time > std::chrono::duration<Rep, Period>::zero())) return try_acquire();
  int err = 0;
  const int r = detail::trywait(sem_, err);  // most acquires never need the clock
  if (r < 0) throw_errno(err, "sem_trywait");
  if (r > 0) return true;
  return wait_until_steady(detail::steady_deadline_after(rel_time));
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
  // ns since the clock's epoch, saturated (no overflow, no float-to-int UB).
  const nanoseconds deadline = detail::since_epoch_saturated(abs_time);
  if constexpr (std::is_same_v<Clock, steady_clock>) {
    if (deadline <= nanoseconds(0)) return false;
    if (detail::steady_left(deadline) <= nanoseconds(0)) return false;
    return wait_until_steady(deadline);
  } else if constexpr (std::is_same_v<Clock, system_clock>) {
    // system_clock is CLOCK_REALTIME, counted from the same epoch, everywhere.
    if (deadline <= nanoseconds(0) || deadline <= detail::now_on(CLOCK_REALTIME)) return false;
    return wait_until(CLOCK_REALTIME, deadline);
  } else {
    // Any other clock: wait on the steady clock for what is left, then ask
    // the deadline's own clock again; only it can say the time is up.
    for (;;) {
      const nanoseconds now = detail::since_epoch_saturated(Clock::now());
      if (!(now < deadline)) return false;
      if (wait_until_steady(detail::steady_deadline_after(deadline - now))) return true;
    }
  }
}

inline wait_result named_semaphore::wait_once(std::error_code& ec) {
  return wait_once_until(std::chrono::steady_clock::time_point::max(), ec);
}

inline wait_result named_semaphore::wait_once_until(
    std::chrono::steady_clock::time_point deadline, std::error_code& ec) {
  ec.clear();
  if (sem_ == nullptr) {
    ec.assign(EBADF, std::generic_category());
    return wait_result::timed_out;
  }
  int err = 0;
  const wait_result r =
      detail::wait_step_steady(sem_, detail::since_epoch_saturated(deadline), err);
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
  if (n < 0)
    detail::throw_or_abort(std::invalid_argument("nob: release(n) needs n >= 0, got " +
                                                 std::to_string(n) + " for " + name_));
  std::error_code ec;
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
