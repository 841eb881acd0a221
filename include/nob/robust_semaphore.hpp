///
// nob - robust named semaphores: nothing is lost when a process dies
// Written in 2026 by the nob developers.
//
// A counting semaphore shared by processes whose units have owners. A unit
// taken by acquire() belongs to the calling process; when that process ends
// in any way (return, exception, SIGKILL, a crash, exec) every unit it held
// becomes free again without anybody calling anything, and a process blocked
// in acquire() gets it within a wait slice (NOB_ROBUST_SLICE_MS).
//
//   #include <nob/robust_semaphore.hpp>
//   nob::robust_semaphore slots("/jobs", nob::existence_policy::link_or_create, 4);
//   std::unique_lock<nob::robust_semaphore> hold(slots);   // acquire ... release
//
// Errors are exceptions (nob/detail/errors.hpp); the same calls without
// them, for code built with -fno-exceptions: robust_semaphore::open(name,
// ec, ...), create_unique(ec, ...), try_acquire(ec), release(n, ec) and
// wait_once*(..., ec), which set a std::error_code (a call that would throw
// prints its error and aborts there).
//
// How (docs/robust.md has the protocol, its states and its crash points):
//  * the object is a file /dev/shm/nob.NAME: a header with a magic number,
//    a layout version and a 64-bit futex word, a table of users (one entry
//    per process that has it open) and one 64-bit slot per unit;
//  * a process registers a user entry (index, generation) and holds an OFD
//    lock on one byte of its own open file description of the file; the
//    kernel drops that lock when the process dies or execs, which is the
//    liveness test (pids are only shown, never trusted);
//  * acquiring is one compare-and-swap of a free slot from 0 to the caller's
//    token, so taking a unit and recording its owner are one atomic step;
//    releasing stores 0 back into a slot the process owns;
//  * waiters sleep on the futex word in bounded slices and, between them,
//    give back the slots of dead owners;
//  * the name lives while any live process has the file open (or while it
//    is persistent): the last close, or the first opener after the last user
//    died, removes it, under a file-wide OFD lock, so a pool never splits.
//
// Linux only (futex, OFD locks, /dev/shm).
//
// Configuration: define any of these before the include (their defaults
// and checks are in nob/detail/robust/config.hpp):
//   NOB_ROBUST_SLICE_MS         longest sleep of a waiter between two looks
//                               for dead holders (50 ms)
//   NOB_ROBUST_LOCK_TIMEOUT_MS  longest wait for the file-wide lock, which
//                               every open and close takes briefly (5000 ms)
//   NOB_ROBUST_MAX_USERS        processes that may have one semaphore open
//                               at once, for a file this process creates (4096)
//   NOB_ROBUST_TEST_HOOKS       test builds only: stop at the crash point
//                               named by the environment variable NOB_CRASH_AT
//
// This header is the class; its machinery is in nob/detail/robust/, one
// file per concern: layout.hpp (the two files and what is in them),
// locks.hpp (the OFD locks), futex.hpp (the wait word), liveness.hpp (who is
// alive; reclaim), units.hpp (taking and giving back units), table.hpp
// (registering, the process table, fork), stale.hpp (what is at a name;
// removing stale files), open.hpp (open by policy, last close) and wait.hpp
// (the wait step).
///

#ifndef NOB_ROBUST_SEMAPHORE_HPP
#define NOB_ROBUST_SEMAPHORE_HPP

#include <nob/common.hpp>

#if !defined(__linux__)
#error "nob::robust_semaphore needs Linux (futex and OFD locks)"
#endif

#include <nob/detail/deadline.hpp>
#include <nob/detail/errors.hpp>
#include <nob/detail/open_by_policy.hpp>
#include <nob/detail/robust/config.hpp>
#include <nob/detail/robust/layout.hpp>
#include <nob/detail/robust/liveness.hpp>
#include <nob/detail/robust/locks.hpp>
#include <nob/detail/robust/open.hpp>
#include <nob/detail/robust/stale.hpp>
#include <nob/detail/robust/table.hpp>
#include <nob/detail/robust/units.hpp>
#include <nob/detail/robust/wait.hpp>

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace nob {

/// One live process that holds units of a robust semaphore.
struct holder {
  pid_t pid;           ///< its pid, as seen in its own PID namespace
  unsigned int units;  ///< units it holds
};

/// What robust_semaphore::status() found at a name.
enum class robust_state {
  absent,      ///< nothing at the name
  live,        ///< a live process has it open, or it is persistent
  stale,       ///< every user ended: it counts as absent; its files stay until a user
               ///< who may remove them looks (another user's, in the sticky /dev/shm,
               ///< only its owner or root may remove; link_or_create joins it). Also an
               ///< orphan lock file (its maker killed between the two names), with its owner
  not_robust,  ///< a file at the name that is not a sound robust semaphore
  unknown,     ///< this user may not open its files read-write, so cannot tell live from stale
};

/// The state of a name and the owner and permission bits of its file.
struct robust_status {
  robust_state state;  ///< what is there
  uid_t owner;         ///< owner of /dev/shm/nob.NAME (0 when absent)
  mode_t mode;         ///< its permission bits (0 when absent)
};

/// A handle on one robust named semaphore: move-only, closes on destruction.
/// Units belong to processes: a process that ends frees what it held.
class robust_semaphore {
 public:
  /// Opens or creates `name` under `policy`; `capacity` (1..max_capacity(),
  /// the number of units, all free at creation) and `mode` (applied exactly,
  /// whatever the umask) only matter when this call creates.
  /// owner_check::same_uid refuses (permission_denied) to open an existing
  /// semaphore whose file another user owns.
  explicit robust_semaphore(std::string_view name,
                            existence_policy policy = existence_policy::raise_if_not_exists,
                            unsigned int capacity = 1, mode_t mode = 0600,
                            owner_check check = owner_check::any_owner);
  /// As the constructor, without exceptions: the handle, or std::nullopt
  /// with `ec` set (invalid_argument for a bad argument, else the errno the
  /// constructor's exception carries).
  static std::optional<robust_semaphore> open(
      std::string_view name, std::error_code& ec,
      existence_policy policy = existence_policy::raise_if_not_exists, unsigned int capacity = 1,
      mode_t mode = 0600, owner_check check = owner_check::any_owner) noexcept;
  /// Creates a robust semaphore under a fresh name that no robust semaphore
  /// has ("/nob-" and 16 random hex digits; name() tells it, for other
  /// processes to open it by): exclusively, drawing another name while one
  /// exists. Throws file_exists after a bounded number of names that all
  /// existed, and the random source's errno when it has none
  /// (docs/semantics.md, "Fresh names").
  static robust_semaphore create_unique(unsigned int capacity = 1, mode_t mode = 0600);
  /// As create_unique(), without exceptions: the handle, or std::nullopt
  /// with `ec` set (invalid_argument for a bad argument, else the errno).
  static std::optional<robust_semaphore> create_unique(std::error_code& ec,
                                                       unsigned int capacity = 1,
                                                       mode_t mode = 0600) noexcept;
  /// Takes over `other`; the moved-from handle owns nothing.
  robust_semaphore(robust_semaphore&& other) noexcept;
  /// Closes this handle (as close()) and takes over `other`.
  robust_semaphore& operator=(robust_semaphore&& other) noexcept;
  robust_semaphore(const robust_semaphore&) = delete;
  robust_semaphore& operator=(const robust_semaphore&) = delete;
  /// Same as close().
  ~robust_semaphore();

  /// Takes one unit for this process, waiting as long as needed; signals do not end the wait.
  void acquire();
  /// Takes one unit if one is free now (after freeing dead holders' units); never blocks.
  bool try_acquire();
  /// Takes one unit, waiting at most `rel_time` on the steady clock.
  template <class Rep, class Period>
  bool try_acquire_for(const std::chrono::duration<Rep, Period>& rel_time);
  /// Takes one unit, waiting until `abs_time` on the clock of that time point.
  template <class Clock, class Duration>
  bool try_acquire_until(const std::chrono::time_point<Clock, Duration>& abs_time);
  /// Gives back `n` units this process holds; operation_not_permitted, giving back nothing, when n > held().
  void release(std::ptrdiff_t n = 1);
  /// Free units now (units of ended processes count as free); a snapshot.
  int value() const;
  /// The number of units the semaphore was created with (0 after a move).
  unsigned int capacity() const noexcept { return capacity_; }
  /// Units the calling process holds (through any handle on this semaphore).
  unsigned int held() const;
  /// Live processes that hold units, one entry per process, with how many.
  std::vector<holder> holders() const;
  /// The largest capacity a robust semaphore can have.
  static constexpr unsigned int max_capacity() noexcept { return detail::robust::max_units; }

  /// Lockable: same as acquire().
  void lock() { acquire(); }
  /// Lockable: same as try_acquire().
  bool try_lock() { return try_acquire(); }
  /// Lockable: gives back one unit; never throws (a refused release is ignored).
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
  /// True when the name outlives its last user (until unlink() or remove()).
  bool persistent() const;
  /// Chooses whether the name outlives its last user; shared by every handle in every process.
  void persistent(bool on);
  /// Removes the name now; open handles keep working on the unnamed object.
  void unlink();
  /// Removes `name`; false if there was none (an object whose users all ended counts as none).
  static bool remove(std::string_view name);
  /// True when a robust semaphore called `name` exists and has a live user (or is persistent).
  static bool exists(std::string_view name);
  /// What is at `name`, with the owner and mode of its file: a look that
  /// changes nothing (tools such as nob-sem show stale semaphores and whose
  /// they are with it).
  static robust_status status(std::string_view name);
  /// Ends the handle; the process's last handle on the object gives back its units,
  /// and removes the name when no live user remains and it is not persistent.
  /// Idempotent, never throws.
  void close() noexcept;
  /// True until close() or a move.
  bool is_open() const noexcept { return f_ != nullptr; }

  /// Low-level: one blocking wait step; returns wait_result::interrupted on
  /// EINTR instead of retrying; internally waits in bounded slices and frees
  /// dead holders' units between them. Never throws.
  wait_result wait_once(std::error_code& ec) noexcept;
  /// Low-level: as wait_once(), giving up at `deadline` (steady clock).
  wait_result wait_once_until(std::chrono::steady_clock::time_point deadline,
                              std::error_code& ec) noexcept;
  /// Non-throwing try_acquire(): false with `ec` clear when no unit is free
  /// (after freeing dead holders' units).
  bool try_acquire(std::error_code& ec) noexcept;
  /// Non-throwing release(): `ec` is operation_not_permitted when n > held()
  /// (nothing given back), invalid_argument for n < 0.
  void release(std::ptrdiff_t n, std::error_code& ec) noexcept;
  /// Low-level, for event loops: a 64-bit word in the shared file whose low
  /// 32 bits are a futex word that changes whenever a unit is freed, and whose
  /// high 32 bits count registered waiters. An outside waiter adds (1ull<<32)
  /// before sleeping on the low half (shared futex: FUTEX_WAIT without
  /// FUTEX_PRIVATE_FLAG) and subtracts it after. Any unit freed while the high
  /// half is non-zero bumps the low half and wakes every sleeper. nullptr when closed.
  std::atomic<std::uint64_t>* wait_word() const noexcept;
  /// Low-level: the descriptor of this process's open file description of the
  /// semaphore's lock file (/dev/shm/nob~NAME), whose lock keeps the process's
  /// registration (and every unit it holds) alive; -1 when closed. A process that gets a duplicate of
  /// it without FD_CLOEXEC (dup, then fork and exec) keeps that registration
  /// alive for as long as it holds the duplicate, even after this process has
  /// ended (nob-sem run lends it to its command so). Do not close or lock it.
  int liveness_handle() const noexcept;

 private:
  robust_semaphore() noexcept = default;  // closed: what open() and create_unique() fill in
  // The one open of the constructor, open() and create_unique(): false with
  // `fail` set when it could not (name_ is the normalised name).
  bool open_as(existence_policy policy, unsigned int capacity, mode_t mode, owner_check check,
               detail::failure& fail);
  // create_unique()'s engine: 0, or the errno with `fail` set when a create
  // failed otherwise than EEXIST, else `step` (the fresh-name engine's).
  int create_unique_as(unsigned int capacity, mode_t mode, const char*& step,
                       detail::failure& fail);
  void check_open(const char* what) const;
  [[noreturn]] void throw_errno(int err, const char* what) const;
  // The slow paths of the hot calls, out of line and cold (see below).
  bool try_acquire_slow();
  void acquire_slow();
  void release_slow(std::ptrdiff_t n);
  bool wait_until(std::chrono::nanoseconds deadline);

  detail::robust::file* f_ = nullptr;
  std::string name_;
  unsigned int capacity_ = 0;
  bool linked_existing_ = false;
};

///
// The members: short bodies over nob/detail/robust/ (all inline).
///

inline bool robust_semaphore::open_as(existence_policy policy, unsigned int capacity,
                                      mode_t mode, owner_check check, detail::failure& fail) {
  f_ = detail::robust::open_file(name_, policy, capacity, mode, check, linked_existing_, fail);
  if (f_ == nullptr) return false;
  capacity_ = f_->capacity;
  return true;
}

inline robust_semaphore::robust_semaphore(std::string_view name, existence_policy policy,
                                          unsigned int capacity, mode_t mode, owner_check check)
    : name_(normalize_name(name)) {
  detail::failure fail;
  if (!open_as(policy, capacity, mode, check, fail)) fail.raise();
}

inline std::optional<robust_semaphore> robust_semaphore::open(std::string_view name,
                                                             std::error_code& ec,
                                                             existence_policy policy,
                                                             unsigned int capacity, mode_t mode,
                                                             owner_check check) noexcept {
  robust_semaphore s;
  if (!detail::checked_name(name, nullptr, s.name_, ec)) return std::nullopt;
  detail::failure fail;  // the arguments are checked with the open, as in the constructor
  if (!s.open_as(policy, capacity, mode, check, fail)) {
    ec = fail.code();
    return std::nullopt;
  }
  return std::optional<robust_semaphore>(std::move(s));
}

inline int robust_semaphore::create_unique_as(unsigned int capacity, mode_t mode,
                                              const char*& step, detail::failure& fail) {
  // An exclusive create (a stale file under the name is removed first, as
  // for any name); EEXIST: a live one has the name, draw another.
  return detail::create_under_fresh_name(
      name_,
      [&] {
        return open_as(existence_policy::raise_if_exists, capacity, mode, owner_check::any_owner,
                       fail)
                   ? 0
                   : fail.err;
      },
      step);
}

inline robust_semaphore robust_semaphore::create_unique(unsigned int capacity, mode_t mode) {
  if (detail::failure bad = detail::robust::check_arguments(
          existence_policy::raise_if_exists, capacity, mode, owner_check::any_owner,
          "a fresh name"))
    bad.raise();
  robust_semaphore s;
  const char* step = "";
  detail::failure fail;
  if (const int err = s.create_unique_as(capacity, mode, step, fail)) {
    if (fail.err != 0 && fail.err != EEXIST) fail.raise();  // the create's own error
    detail::throw_fresh_name_error(err, step, s.name_);
  }
  return s;
}

inline std::optional<robust_semaphore> robust_semaphore::create_unique(std::error_code& ec,
                                                                      unsigned int capacity,
                                                                      mode_t mode) noexcept {
  robust_semaphore s;
  const char* step = "";
  detail::failure fail;
  if (detail::failure bad = detail::robust::check_arguments(
          existence_policy::raise_if_exists, capacity, mode, owner_check::any_owner, ""))
    ec = bad.code();
  else
    detail::set_error(ec, s.create_unique_as(capacity, mode, step, fail));
  if (ec) return std::nullopt;
  return std::optional<robust_semaphore>(std::move(s));
}

inline robust_semaphore::robust_semaphore(robust_semaphore&& other) noexcept
    : f_(std::exchange(other.f_, nullptr)),
      name_(std::move(other.name_)),
      capacity_(std::exchange(other.capacity_, 0u)),
      linked_existing_(other.linked_existing_) {
  other.name_.clear();
}

inline robust_semaphore& robust_semaphore::operator=(robust_semaphore&& other) noexcept {
  if (this != &other) {
    close();
    f_ = std::exchange(other.f_, nullptr);
    name_ = std::move(other.name_);
    other.name_.clear();
    capacity_ = std::exchange(other.capacity_, 0u);
    linked_existing_ = other.linked_existing_;
  }
  return *this;
}

inline robust_semaphore::~robust_semaphore() { close(); }

inline void robust_semaphore::check_open(const char* what) const {
  if (f_ == nullptr) throw_errno(EBADF, what);
  if (f_->token == 0) throw_errno(f_->broken != 0 ? f_->broken : EBADF, what);  // after a failed fork setup
}

inline void robust_semaphore::throw_errno(int err, const char* what) const {
  detail::throw_errno_for(err, what, name_, f_ == nullptr);
}

inline void robust_semaphore::close() noexcept {
  if (f_ == nullptr) return;
  detail::robust::table& t = detail::robust::the_table();
  std::lock_guard<std::mutex> guard(t.mu);
  if (--f_->refs == 0) detail::robust::release_file(f_);
  f_ = nullptr;
}

inline bool robust_semaphore::persistent() const {
  check_open("persistent");
  return (f_->head->flags.load() & detail::robust::flag_persistent) != 0;
}

inline void robust_semaphore::persistent(bool on) {
  check_open("persistent");
  if (on)
    f_->head->flags.fetch_or(detail::robust::flag_persistent);
  else
    f_->head->flags.fetch_and(~detail::robust::flag_persistent);
}

inline void robust_semaphore::unlink() {
  namespace r = detail::robust;
  check_open("unlink");
  r::table& t = r::the_table();
  std::lock_guard<std::mutex> guard(t.mu);  // the file-wide lock is this process's, on one descriptor
  if (const int locked = r::lock_file(f_->fd)) throw_errno(locked, r::lock_step(locked));
  const int err = r::unlink_names(*f_);
  r::unlock_file(f_->fd);
  if (err != 0) throw_errno(err == ESTALE ? ENOENT : err, "unlink");
}

inline bool robust_semaphore::remove(std::string_view name) {
  namespace r = detail::robust;
  const std::string normalized = normalize_name(name);
  const r::names n = r::names_of(normalized);
  r::table& t = r::the_table();
  std::lock_guard<std::mutex> guard(t.mu);
  int kept = 0;
  uid_t owner = 0;
  switch (r::probe(n, true, false, &kept, &owner)) {
    case r::state::absent:
      return false;
    case r::state::stale:
      if (kept == EPERM || kept == EACCES)
        detail::throw_system(kept, "nob: remove (a stale robust semaphore of " + r::uid_text(owner) +
                                       ", which this user cannot remove) " + normalized);
      return false;
    case r::state::live:
    case r::state::other:
    case r::state::unknown:
      break;
  }
  NOB_ROBUST_STEP("remove.probed");
  const int err = r::unlink_pair(n);
  if (err == 0) return true;
  if (err == ENOENT) return false;
  detail::throw_system(err, "nob: unlink " + normalized);
}

inline bool robust_semaphore::exists(std::string_view name) {
  namespace r = detail::robust;
  const r::names n = r::names_of(normalize_name(name));
  r::table& t = r::the_table();
  std::lock_guard<std::mutex> guard(t.mu);
  const r::state s = r::probe(n, true);
  return s == r::state::live || s == r::state::other || s == r::state::unknown;
}

inline robust_status robust_semaphore::status(std::string_view name) {
  namespace r = detail::robust;
  const r::names n = r::names_of(normalize_name(name));
  r::table& t = r::the_table();
  std::lock_guard<std::mutex> guard(t.mu);
  robust_status out{robust_state::absent, 0, 0};
  out.owner = static_cast<uid_t>(-1);
  switch (r::probe(n, false, false, nullptr, &out.owner, &out.mode)) {
    case r::state::absent:
      return robust_status{robust_state::absent, 0, 0};
    case r::state::stale:
      out.state = robust_state::stale;
      break;
    case r::state::live:
      out.state = robust_state::live;
      break;
    case r::state::other:
      out.state = robust_state::not_robust;
      break;
    case r::state::unknown:
      out.state = robust_state::unknown;
      break;
  }
  if (out.owner == static_cast<uid_t>(-1)) {  // not opened: the name's own owner and mode
    struct stat st {};
    if (::lstat(n.data.c_str(), &st) != 0) return robust_status{robust_state::absent, 0, 0};
    out.owner = st.st_uid;
    out.mode = st.st_mode & 07777;
  }
  return out;
}

inline bool robust_semaphore::try_acquire(std::error_code& ec) noexcept {
  ec.clear();
  if (f_ == nullptr) {
    ec.assign(EBADF, std::generic_category());
    return false;
  }
  int err = 0;
  const int r = detail::robust::take(*f_, true, err);
  if (r < 0) ec.assign(err, std::generic_category());
  return r > 0;
}

// The hot paths (try_acquire, acquire, release, unlock): on success one
// load and one compare-and-swap of the slot at the hint, the rest out of line.

inline bool robust_semaphore::try_acquire() {
  if (__builtin_expect(f_ != nullptr && detail::robust::take_at_hint(*f_), 1)) return true;
  return try_acquire_slow();
}

[[gnu::cold, gnu::noinline]] inline bool robust_semaphore::try_acquire_slow() {
  check_open("try_acquire");
  if (detail::robust::take_free(*f_)) return true;
  std::error_code ec;
  const bool ok = try_acquire(ec);
  if (ec) throw_errno(ec.value(), "try_acquire");
  return ok;
}

inline wait_result robust_semaphore::wait_once(std::error_code& ec) noexcept {
  return wait_once_until(std::chrono::steady_clock::time_point::max(), ec);
}

inline wait_result robust_semaphore::wait_once_until(
    std::chrono::steady_clock::time_point deadline, std::error_code& ec) noexcept {
  ec.clear();
  if (f_ == nullptr) {
    ec.assign(EBADF, std::generic_category());
    return wait_result::timed_out;
  }
  int err = 0;
  const wait_result r = detail::robust::wait_step(*f_, detail::since_epoch_saturated(deadline), err);
  if (err != 0) ec.assign(err, std::generic_category());
  return r;
}

inline bool robust_semaphore::wait_until(std::chrono::nanoseconds deadline) {
  for (;;) {
    int err = 0;
    switch (detail::robust::wait_step(*f_, deadline, err)) {
      case wait_result::acquired:
        return true;
      case wait_result::interrupted:
        continue;
      case wait_result::timed_out:
        if (err != 0) throw_errno(err, "acquire");
        return false;
    }
  }
}

inline void robust_semaphore::acquire() {
  if (__builtin_expect(f_ != nullptr && detail::robust::take_at_hint(*f_), 1)) return;
  acquire_slow();
}

[[gnu::cold, gnu::noinline]] inline void robust_semaphore::acquire_slow() {
  check_open("acquire");
  if (detail::robust::take_free(*f_)) return;  // most acquires never wait
  wait_until(std::chrono::nanoseconds::max());
}

template <class Rep, class Period>
bool robust_semaphore::try_acquire_for(const std::chrono::duration<Rep, Period>& rel_time) {
  check_open("acquire");
  if (!(rel_time > std::chrono::duration<Rep, Period>::zero())) return try_acquire();
  return wait_until(detail::steady_deadline_after(rel_time));
}

template <class Clock, class Duration>
bool robust_semaphore::try_acquire_until(
    const std::chrono::time_point<Clock, Duration>& abs_time) {
  using namespace std::chrono;
  check_open("acquire");
  // Everything in saturated ns since the clock's epoch: compared or
  // subtracted as they are, a coarse far time point (time_point<..., hours>::max())
  // and now() would overflow (undefined behaviour) in their common type.
  const nanoseconds deadline = detail::since_epoch_saturated(abs_time);
  if constexpr (std::is_same_v<Clock, steady_clock>) {
    if (detail::robust::time_between(detail::since_epoch_saturated(steady_clock::now()),
                                     deadline) == nanoseconds(0))
      return try_acquire();
    return wait_until(deadline);
  } else {
    // Any other clock: wait on the steady clock for what is left (at most a
    // slice, so a jump of that clock costs at most a slice), then ask the
    // deadline's own clock again; only it can say the time is up.
    for (;;) {
      nanoseconds left =
          detail::robust::time_between(detail::since_epoch_saturated(Clock::now()), deadline);
      if (left == nanoseconds(0)) return try_acquire();
      const nanoseconds slice = milliseconds(NOB_ROBUST_SLICE_MS);
      if (left > slice) left = slice;
      if (wait_until(detail::steady_deadline_after(left))) return true;
    }
  }
}

inline void robust_semaphore::release(std::ptrdiff_t n, std::error_code& ec) noexcept {
  namespace r = detail::robust;
  ec.clear();
  if (f_ == nullptr) {
    ec.assign(EBADF, std::generic_category());
    return;
  }
  if (n < 0) {
    ec.assign(EINVAL, std::generic_category());
    return;
  }
  if (n == 0) return;
  r::file& f = *f_;
  if (f.token == 0) {
    ec.assign(f.broken != 0 ? f.broken : EBADF, std::generic_category());
    return;
  }
  if (!r::give_back(f, static_cast<std::uint64_t>(n))) {
    ec.assign(EPERM, std::generic_category());
    return;
  }
  r::wake_waiters(f.head);
}

inline void robust_semaphore::release(std::ptrdiff_t n) {
  if (__builtin_expect(n == 1 && f_ != nullptr && detail::robust::give_back_at_hint(*f_), 1)) {
    detail::robust::wake_waiters(f_->head);
    return;
  }
  release_slow(n);
}

[[gnu::cold, gnu::noinline]] inline void robust_semaphore::release_slow(std::ptrdiff_t n) {
  if (n < 0)
    detail::throw_invalid(("release(n) needs n >= 0, got " + std::to_string(n)).c_str(), name_);
  std::error_code ec;
  release(n, ec);
  if (ec) {
    if (ec.value() == EPERM)
      throw_errno(EPERM, ("release (" + std::to_string(n) + " units, this process holds " +
                          std::to_string(detail::robust::count_own(*f_)) + ")")
                             .c_str());
    throw_errno(ec.value(), "release");
  }
}

inline void robust_semaphore::unlock() noexcept {
  if (__builtin_expect(f_ != nullptr && detail::robust::give_back_at_hint(*f_), 1)) {
    detail::robust::wake_waiters(f_->head);
    return;
  }
  std::error_code ec;
  release(1, ec);
}

inline int robust_semaphore::value() const {
  check_open("value");
  return detail::robust::free_units(*f_);
}

inline unsigned int robust_semaphore::held() const {
  check_open("held");
  return detail::robust::count_own(*f_);
}

inline std::vector<holder> robust_semaphore::holders() const {
  check_open("holders");
  return detail::robust::live_holders<holder>(*f_);
}

inline std::atomic<std::uint64_t>* robust_semaphore::wait_word() const noexcept {
  return f_ == nullptr ? nullptr : &f_->head->wait_word;
}

inline int robust_semaphore::liveness_handle() const noexcept {
  return f_ == nullptr ? -1 : f_->fd;  // the lock file's: every lock of the process is on it
}

}  // namespace nob

#endif  // NOB_ROBUST_SEMAPHORE_HPP
