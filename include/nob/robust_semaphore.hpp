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
///

#ifndef NOB_ROBUST_SEMAPHORE_HPP
#define NOB_ROBUST_SEMAPHORE_HPP

#include <nob/common.hpp>
#include <nob/detail/deadline.hpp>
#include <nob/detail/files.hpp>
#include <nob/detail/open_by_policy.hpp>

#if !defined(__linux__)
#error "nob::robust_semaphore needs Linux (futex and OFD locks)"
#endif

#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

///
// Configuration. Each macro may be defined before the include.
///

/// Longest sleep of a waiter between two looks for dead holders, in ms: the
/// bound on how long a unit of a dead process stays unused while someone waits.
#ifndef NOB_ROBUST_SLICE_MS
#define NOB_ROBUST_SLICE_MS 50
#endif

/// Longest wait for the file-wide lock (held briefly by every open and
/// close), in ms. Anyone who may write the file can hold that lock forever;
/// past this bound an open fails (device_or_resource_busy) and a close leaves
/// the name to the next opener, which removes it once no live user remains.
#ifndef NOB_ROBUST_LOCK_TIMEOUT_MS
#define NOB_ROBUST_LOCK_TIMEOUT_MS 5000
#endif

/// Entries of the user table of a file this process creates: how many
/// processes may have one robust semaphore open at once (at most 65535).
#ifndef NOB_ROBUST_MAX_USERS
#define NOB_ROBUST_MAX_USERS 4096
#endif

/// Test-only: with NOB_ROBUST_TEST_HOOKS defined, the process stops itself
/// (SIGSTOP) at the numbered step whose name is in the environment variable
/// NOB_CRASH_AT, so that a test can SIGKILL it exactly there.
#ifdef NOB_ROBUST_TEST_HOOKS
#define NOB_ROBUST_STEP(step) ::nob::detail::robust::test_step(step)
#else
#define NOB_ROBUST_STEP(step) ((void)0)
#endif

#if NOB_ROBUST_LOCK_TIMEOUT_MS < 0
#error "NOB_ROBUST_LOCK_TIMEOUT_MS must be 0 or more"
#endif

#if NOB_ROBUST_MAX_USERS < 1 || NOB_ROBUST_MAX_USERS > 65535
#error "NOB_ROBUST_MAX_USERS must be 1..65535"
#endif

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

namespace detail {
namespace robust {
struct file;
}  // namespace robust
}  // namespace detail

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
  static constexpr unsigned int max_capacity() noexcept { return 65536; }

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
  void check_open(const char* what) const;
  [[noreturn]] void throw_errno(int err, const char* what) const;
  wait_result wait_step(std::chrono::nanoseconds deadline, int& err) noexcept;
  bool wait_until(std::chrono::nanoseconds deadline);

  detail::robust::file* f_ = nullptr;
  std::string name_;
  unsigned int capacity_ = 0;
  bool linked_existing_ = false;
};

///
// Implementation. Everything below is inline; nothing in detail is public.
///

namespace detail {
namespace robust {

#ifdef NOB_ROBUST_TEST_HOOKS
/// Test builds: stops the process at `step` when NOB_CRASH_AT names it.
inline void test_step(const char* step) noexcept {
  const char* want = std::getenv("NOB_CRASH_AT");
  if (want != nullptr && std::strcmp(want, step) == 0) ::raise(SIGSTOP);
}
#endif

/// "nob-rsem" in ASCII, little-endian: the first 8 bytes of every file.
inline constexpr std::uint64_t magic = 0x6d6573722d626f6eull;
/// Version of the layout below. 2: every lock lives in the lock file
/// (/dev/shm/nob~NAME), none in the data file (version 1, refused: there a
/// user with read access alone could take the locks, issue 19).
inline constexpr std::uint32_t layout_version = 2;
/// Header bytes (one cache line).
inline constexpr std::size_t header_bytes = 64;
/// Bit of header::flags: the name outlives its last user.
inline constexpr std::uint32_t flag_persistent = 1;
/// One registered waiter in the high half of the wait word.
inline constexpr std::uint64_t one_waiter = std::uint64_t(1) << 32;
/// Offset of the lock byte of user entry i in the lock file: lock_base + i
/// (byte 0 is the file-wide lock).
inline constexpr off_t lock_base = off_t(1) << 30;
/// Bits of a token that hold the generation (bits 48..63: entry index + 1).
inline constexpr std::uint64_t gen_mask = (std::uint64_t(1) << 47) - 1;
/// Bit 47 of a slot: its owner is giving it back as part of a release(n > 1)
/// (still owned: it counts as the token without the bit).
inline constexpr std::uint64_t claim_bit = std::uint64_t(1) << 47;

/// The start of the file. The creator writes it before the file has a name.
struct header {
  std::uint64_t magic;               ///< detail::robust::magic
  std::uint32_t version;             ///< layout_version
  std::uint32_t capacity;            ///< units (slots)
  std::uint32_t users;               ///< entries in the user table
  std::uint32_t header_size;         ///< header_bytes
  std::atomic<std::uint32_t> flags;  ///< flag_persistent
  std::uint32_t reserved0;
  std::atomic<std::uint64_t> wait_word;  ///< low: futex sequence, high: waiters
  std::uint64_t reserved[3];
};
static_assert(sizeof(header) == header_bytes, "header layout");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "64-bit atomics must be lock-free");
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "32-bit atomics must be lock-free");

/// One process that has the file open. gen is odd while registered and only
/// ever grows; a slot's token names (index, gen).
struct user {
  std::atomic<std::uint64_t> gen;  ///< odd: registered; even: free
  std::atomic<std::int32_t> pid;   ///< informational: pid in its own namespace
  std::atomic<std::uint32_t> waiters;  ///< its sleepers counted in the wait word
};
static_assert(sizeof(user) == 16, "user layout");

/// Bytes of a file with `capacity` slots and `users` entries.
inline std::size_t file_size(std::uint32_t capacity, std::uint32_t users) noexcept {
  return header_bytes + std::size_t(users) * sizeof(user) + std::size_t(capacity) * 8;
}

/// The token of entry `index` at generation `gen` (never 0).
inline std::uint64_t make_token(std::uint32_t index, std::uint64_t gen) noexcept {
  return (std::uint64_t(index) + 1) << 48 | (gen & gen_mask);
}

/// The process's record of one robust semaphore, shared by every handle of
/// the process on it (process table, keyed by the data file's device and
/// inode): the data file mapped (its descriptor is closed once mapped), and
/// the process's one open file description of the lock file, which holds
/// every lock of the process on this semaphore.
struct file {
  int fd = -1;                 ///< own open file description of the lock file (the OFD locks live on it)
  dev_t dev = 0;               ///< the data file
  ino_t ino = 0;
  dev_t lock_dev = 0;          ///< the lock file
  ino_t lock_ino = 0;
  std::string path;            ///< /dev/shm/nob.NAME, the data file
  std::string lock_path;       ///< /dev/shm/nob~NAME, the lock file
  void* map = nullptr;         ///< the whole data file
  std::size_t map_len = 0;
  header* head = nullptr;
  user* users = nullptr;
  std::atomic<std::uint64_t>* slots = nullptr;
  std::uint32_t capacity = 0;
  std::uint32_t nusers = 0;
  std::uint32_t index = 0;     ///< this process's entry
  std::uint64_t gen = 0;       ///< its generation
  std::uint64_t token = 0;     ///< make_token(index, gen); 0: not registered (broken)
  uid_t owner = 0;             ///< owner of the data file
  int broken = 0;              ///< errno that left this process unregistered (after fork)
  int child_fd = -1;           ///< during fork(): the child's descriptor of the lock file, registered
  std::uint32_t child_index = 0;  ///< during fork(): the child's entry
  std::uint64_t child_gen = 0;    ///< during fork(): its generation
  int child_err = 0;              ///< during fork(): why the child has no entry
  std::size_t refs = 0;        ///< handles of this process on it
  std::atomic<std::uint32_t> hint{0};  ///< where this process looks first
  /// When a thread of this process last looked for dead holders (steady
  /// clock, ns since its epoch): the reclaim schedule of every wait, kept
  /// here so that a wait step that a signal ends does not restart it.
  mutable std::atomic<std::int64_t> last_look{0};
  std::atomic<bool> giving_back{false};  ///< a release(n) of this process is claiming slots
};

/// Sets up the views of a mapping.
/// (`capacity` and `users` as validated, never re-read from the shared header.)
inline void set_views(file& f, void* map, std::uint32_t capacity, std::uint32_t users) noexcept {
  f.map = map;
  f.map_len = file_size(capacity, users);
  f.head = static_cast<header*>(map);
  f.capacity = capacity;
  f.nusers = users;
  f.users = reinterpret_cast<user*>(static_cast<char*>(map) + header_bytes);
  f.slots = reinterpret_cast<std::atomic<std::uint64_t>*>(
      static_cast<char*>(map) + header_bytes + std::size_t(f.nusers) * sizeof(user));
}

///
// OFD locks and the futex.
///

/// The time from `now` to `deadline` (both saturated ns since one clock's
/// epoch), 0 when it has passed; never overflows. (The one place that
/// subtracts two time points here: the shared deadline engine replaces it.)
inline std::chrono::nanoseconds time_between(std::chrono::nanoseconds now,
                                             std::chrono::nanoseconds deadline) noexcept {
  using std::chrono::nanoseconds;
  if (deadline <= now) return nanoseconds(0);
  if (now < nanoseconds(0) && deadline > nanoseconds::max() + now) return nanoseconds::max();
  return deadline - now;
}

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

/// The futex half (low 32 bits) of the wait word.
inline std::uint32_t* futex_half(std::atomic<std::uint64_t>* w) noexcept {
  char* p = reinterpret_cast<char*>(w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  p += 4;
#endif
  return reinterpret_cast<std::uint32_t*>(p);
}

/// Sleeps while the futex half still reads `seen`, at most `rel`. 0, or errno
/// (ETIMEDOUT, EAGAIN when it had changed, EINTR).
inline int futex_wait(std::atomic<std::uint64_t>* w, std::uint32_t seen,
                      std::chrono::nanoseconds rel) noexcept {
  timespec ts = to_timespec(rel);
#if !defined(__x86_64__) && !defined(__aarch64__)
  // A 32-bit ABI built with a 64-bit time_t (_TIME_BITS=64, i386-t64): the
  // futex system call still reads the old 32-bit timespec, which would take
  // the 64-bit one's high half of seconds for the nanoseconds (a zero timeout:
  // the wait spun, and no signal ever ended it). Give it the old layout.
  if constexpr (sizeof(ts.tv_sec) > sizeof(long)) {
    struct {
      long tv_sec;
      long tv_nsec;
    } old{ts.tv_sec > LONG_MAX ? LONG_MAX : static_cast<long>(ts.tv_sec), static_cast<long>(ts.tv_nsec)};
    if (::syscall(SYS_futex, futex_half(w), FUTEX_WAIT, seen, &old, nullptr, 0) == 0) return 0;
    return errno;
  }
#endif
  if (::syscall(SYS_futex, futex_half(w), FUTEX_WAIT, seen, &ts, nullptr, 0) == 0) return 0;
  return errno;
}

/// Wake-ups in one sleep that find the futex word unchanged (FUTEX_WAKE
/// calls that are not nob's) before the rest of the sleep polls instead.
inline constexpr int spurious_limit = 8;

/// Sleeps until the futex half of `w` is no longer `seen` (a unit was freed
/// since), at most `rel`: 0 when it changed, ETIMEDOUT, EINTR (a signal
/// handler ran), or another errno of futex. Only processes that may write
/// the file change the word, but anyone who may read it can map it and send
/// FUTEX_WAKE: a wake-up that finds the word unchanged costs one load and
/// sleeps on (never a look at the slots), and after spurious_limit of them
/// the rest of the sleep polls the word once a millisecond (nanosleep, which
/// no FUTEX_WAKE ends), so a storm of them costs a waiter at most about a
/// thousand cheap wake-ups a second, and a real change is seen within 1 ms.
inline int sleep_for_change(std::atomic<std::uint64_t>* w, std::uint32_t seen,
                            std::chrono::nanoseconds rel) noexcept {
  using namespace std::chrono;
  const auto end = steady_clock::now() + rel;
  for (int spurious = 0;; ++spurious) {
    if (spurious < spurious_limit) {
      const int rc = futex_wait(w, seen, rel);
      if (rc == EAGAIN) return 0;  // it had changed before the sleep
      if (rc != 0) return rc;
    } else {
      const timespec ts = to_timespec(rel < milliseconds(1) ? rel : nanoseconds(milliseconds(1)));
      if (::nanosleep(&ts, nullptr) != 0 && errno == EINTR) return EINTR;
    }
    if (static_cast<std::uint32_t>(w->load(std::memory_order_seq_cst)) != seen) return 0;
    rel = duration_cast<nanoseconds>(end - steady_clock::now());
    if (rel <= nanoseconds(0)) return ETIMEDOUT;
  }
}

/// After units were freed: when anybody is registered as a waiter, changes
/// the futex half (without touching the high half) and wakes every sleeper.
inline void wake_waiters(header* h) noexcept {
  std::uint64_t w = h->wait_word.load(std::memory_order_seq_cst);
  if ((w >> 32) == 0) return;
  while (!h->wait_word.compare_exchange_weak(
      w, (w & ~std::uint64_t(0xffffffffu)) | std::uint32_t(w + 1), std::memory_order_seq_cst)) {
  }
  ::syscall(SYS_futex, futex_half(&h->wait_word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

///
// Liveness.
///

/// True when the process registered as entry i at generation g (odd) still
/// lives. The generation is read before and after the lock test: nobody but
/// g's registrant takes byte i while the entry is at g (a re-user first
/// moves gen past g, then locks), and the registrant locked before it
/// published g; so "gen == g, then byte unlocked" proves g's owner gone and
/// "byte locked while gen == g throughout" proves it alive.
inline bool alive(const file& f, std::uint32_t i, std::uint64_t g) noexcept {
  if (i == f.index && g == f.gen && f.token != 0) return true;
  if (f.users[i].gen.load(std::memory_order_acquire) != g) return false;
  if (!user_byte_locked(f.fd, i)) return false;
  return f.users[i].gen.load(std::memory_order_acquire) == g;
}

/// Takes entry i's waiters out of the wait word's count (the entry's owner
/// has ended, or the entry is being taken): its sleepers will never
/// subtract themselves. Never below zero.
inline void drop_waiters(const file& f, std::uint32_t i) noexcept {
  const std::uint64_t n = f.users[i].waiters.exchange(0, std::memory_order_seq_cst);
  if (n == 0) return;
  std::uint64_t w = f.head->wait_word.load(std::memory_order_seq_cst);
  for (;;) {
    const std::uint64_t k = (w >> 32) < n ? (w >> 32) : n;
    if (f.head->wait_word.compare_exchange_weak(w, w - (k << 32), std::memory_order_seq_cst))
      return;
  }
}

/// Under the file-wide lock: the entries of ended processes that still
/// count waiters (a waiter SIGKILLed in its sleep) are freed and their
/// waiters dropped. Only entries with waiters are asked about.
inline void drop_dead_waiters(const file& f) noexcept {
  for (std::uint32_t i = 0; i < f.nusers; ++i) {
    if (f.users[i].waiters.load(std::memory_order_relaxed) == 0) continue;
    std::uint64_t g = f.users[i].gen.load(std::memory_order_acquire);
    if ((g & 1) != 0) {
      if (alive(f, i, g)) continue;
      if (!f.users[i].gen.compare_exchange_strong(g, g + 1, std::memory_order_seq_cst)) continue;
    }
    drop_waiters(f, i);
  }
}

/// True when some process other than this one's entry `skip` is registered and alive.
/// With `sweep` (only under the file-wide lock, when nobody registers), the
/// entries of dead processes met on the way are freed (generation made
/// even), so that later looks and registrations skip them cheaply.
inline bool any_live_user(const file& f, std::uint32_t skip, bool sweep = false) noexcept {
  for (std::uint32_t i = 0; i < f.nusers; ++i) {
    if (i == skip) continue;
    std::uint64_t g = f.users[i].gen.load(std::memory_order_acquire);
    if ((g & 1) == 0) continue;
    if (alive(f, i, g)) return true;
    if (sweep && f.users[i].gen.compare_exchange_strong(g, g + 1, std::memory_order_seq_cst))
      drop_waiters(f, i);
  }
  return false;
}

/// What a look at every entry found: for entry i, the generation seen and
/// whether its owner lived. A slot token of entry i is dead when its
/// generation is older than the one seen, or equal and the owner was dead;
/// a newer one is asked about on its own (alive only if the entry is at
/// that generation now and its owner lives).
struct census {
  std::vector<std::uint64_t> gen;
  std::vector<signed char> live;  ///< -1: not looked at yet
  explicit census(const file& f) : gen(f.nusers, 0), live(f.nusers, -1) {}

  /// True when `token` (non-zero) belongs to a live process.
  bool owner_alive(const file& f, std::uint64_t token) {
    const std::uint64_t idx = token >> 48;
    const std::uint64_t g = token & gen_mask;  // without claim_bit
    if (idx == 0 || idx > f.nusers || (g & 1) == 0) return false;  // corrupt: free it
    const auto i = static_cast<std::uint32_t>(idx - 1);
    if (live[i] < 0) {
      gen[i] = f.users[i].gen.load(std::memory_order_acquire);
      live[i] = ((gen[i] & 1) != 0 && alive(f, i, gen[i])) ? 1 : 0;
    }
    if (g < gen[i]) return false;
    if (g == gen[i]) return live[i] == 1;
    // Newer than the look: registered since, or never issued. The slot was
    // read (acquire) after its owner published g, so the entry is at g or
    // past it now; behind g means no process ever had the token (a corrupt
    // or forged slot, which would otherwise count as held forever).
    const std::uint64_t now = f.users[i].gen.load(std::memory_order_acquire);
    return now == g && alive(f, i, g);
  }
};

/// Now on the steady clock, in ns since its epoch.
inline std::int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// True when no thread of this process has looked for dead holders for a
/// slice (NOB_ROBUST_SLICE_MS): a waiter looks then, whatever ended its last sleep.
inline bool look_due(const file& f) noexcept {
  constexpr std::int64_t slice_ns = std::int64_t(NOB_ROBUST_SLICE_MS) * 1000000;
  return steady_now_ns() - f.last_look.load(std::memory_order_relaxed) >= slice_ns;
}

/// Free units now: value(). Units of ended processes count as free. (`f` may
/// also be a copy of a file read with pread, f.token 0: nob-sem's inspection.)
inline int free_units(const file& f) {
  census c(f);
  int n = 0;
  for (std::uint32_t j = 0; j < f.capacity; ++j) {
    const std::uint64_t t = f.slots[j].load(std::memory_order_acquire);
    if (t == 0 || ((t & ~claim_bit) != f.token && !c.owner_alive(f, t))) ++n;
  }
  return n;
}

/// Live processes that hold units, with how many: holders().
inline std::vector<holder> live_holders(const file& f) {
  census c(f);
  std::vector<unsigned int> units(f.nusers, 0);
  for (std::uint32_t j = 0; j < f.capacity; ++j) {
    const std::uint64_t t = f.slots[j].load(std::memory_order_acquire) & ~claim_bit;
    if (t != 0 && (t == f.token || c.owner_alive(f, t))) ++units[(t >> 48) - 1];
  }
  std::vector<holder> out;
  for (std::uint32_t i = 0; i < f.nusers; ++i)
    if (units[i] != 0) out.push_back(holder{static_cast<pid_t>(f.users[i].pid.load()), units[i]});
  return out;
}

/// Frees the slots of dead owners; returns how many (waking waiters if any).
inline std::uint32_t reclaim(const file& f) {
  f.last_look.store(steady_now_ns(), std::memory_order_relaxed);
  census c(f);
  std::uint32_t freed = 0;
  for (std::uint32_t j = 0; j < f.capacity; ++j) {
    std::uint64_t t = f.slots[j].load(std::memory_order_acquire);
    if (t == 0 || (t & ~claim_bit) == f.token || c.owner_alive(f, t)) continue;
    NOB_ROBUST_STEP("reclaim.found");
    if (f.slots[j].compare_exchange_strong(t, 0, std::memory_order_seq_cst)) {
      ++freed;
      NOB_ROBUST_STEP("reclaim.freed");
    }
  }
  if (freed != 0) wake_waiters(f.head);
  return freed;
}

///
// Taking and giving back units.
///

/// One pass over the slots from this process's hint: takes a free one.
/// The slot loads are seq_cst: a waiter registers in the wait word (a
/// seq_cst read-modify-write) and then looks here, a releaser frees a slot
/// (seq_cst) and then reads the wait word (seq_cst); in the single total
/// order of those four, either the waiter sees the free slot or the releaser
/// sees the waiter and wakes it. (Free on x86; an ldar on Arm.)
inline bool take_free(file& f) noexcept {
  const std::uint32_t cap = f.capacity;
  std::uint32_t j = f.hint.load(std::memory_order_relaxed);
  if (j >= cap) j = 0;
  const std::uint32_t start = j;
  for (std::uint32_t k = 0; k < cap; ++k) {
    std::uint64_t t = f.slots[j].load(std::memory_order_seq_cst);
    if (t == 0 && f.slots[j].compare_exchange_strong(t, f.token, std::memory_order_seq_cst)) {
      NOB_ROBUST_STEP("acquire.taken");
      if (j != start) f.hint.store(j, std::memory_order_relaxed);
      return true;
    }
    if (++j == cap) j = 0;
  }
  return false;
}

/// Takes a free unit, else frees dead holders' units and tries again.
/// 1 taken, 0 none free, -1 error (err set).
inline int take(file& f, bool reclaim_first_if_full, int& err) noexcept {
  if (f.token == 0) {
    err = f.broken != 0 ? f.broken : EBADF;
    return -1;
  }
  if (take_free(f)) return 1;
  if (!reclaim_first_if_full) return 0;
  try {
    if (reclaim(f) == 0) return 0;
  } catch (const std::bad_alloc&) {
    err = ENOMEM;
    return -1;
  }
  return take_free(f) ? 1 : 0;
}

/// Units this process holds: its slots, claimed or not.
inline std::uint32_t count_own(const file& f) noexcept {
  std::uint32_t n = 0;
  if (f.token == 0) return 0;
  for (std::uint32_t j = 0; j < f.capacity; ++j)
    if ((f.slots[j].load(std::memory_order_relaxed) & ~claim_bit) == f.token) ++n;
  return n;
}

/// Serialises this process's slow releases (the only code that claims).
struct giving_back_guard {
  std::atomic<bool>& flag;
  explicit giving_back_guard(std::atomic<bool>& f) noexcept : flag(f) {
    while (flag.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
  }
  ~giving_back_guard() { flag.store(false, std::memory_order_release); }
  giving_back_guard(const giving_back_guard&) = delete;
  giving_back_guard& operator=(const giving_back_guard&) = delete;
};

/// Gives back `n` units of this process, all or none: true when given.
/// One unit whose slot is at the hint is one compare-and-swap. Otherwise,
/// with the process's other slow releases kept out, n slots are claimed
/// (token -> token|claim_bit: still ours for everybody) and then cleared; if
/// fewer than n are found, the claimed ones are restored and nothing is given.
inline bool give_back(file& f, std::uint64_t n) noexcept {
  const std::uint32_t cap = f.capacity;
  std::uint32_t j = f.hint.load(std::memory_order_relaxed);
  if (j >= cap) j = 0;
  if (n == 1) {
    std::uint64_t t = f.token;
    if (f.slots[j].load(std::memory_order_relaxed) == t &&
        f.slots[j].compare_exchange_strong(t, 0, std::memory_order_seq_cst)) {
      NOB_ROBUST_STEP("release.cleared");
      return true;
    }
  }
  if (n > cap) return false;
  giving_back_guard guard(f.giving_back);
  const std::uint64_t mine = f.token, claimed = f.token | claim_bit;
  std::uint64_t got = 0;
  for (std::uint32_t k = 0; k < cap && got < n; ++k) {
    std::uint64_t t = mine;
    if (f.slots[j].load(std::memory_order_relaxed) == t &&
        f.slots[j].compare_exchange_strong(t, claimed, std::memory_order_relaxed))
      ++got;
    if (++j == cap) j = 0;
  }
  NOB_ROBUST_STEP("release.claimed");
  const std::uint64_t to = got == n ? 0 : mine;
  for (std::uint32_t i = 0; i < cap; ++i) {
    std::uint64_t t = claimed;
    if (f.slots[i].load(std::memory_order_relaxed) == t &&
        f.slots[i].compare_exchange_strong(t, to, std::memory_order_seq_cst) && to == 0)
      NOB_ROBUST_STEP("release.cleared");
  }
  return got == n;
}

/// Clears every slot of this process (its last handle closes); how many.
inline std::uint32_t clear_all_own(file& f) noexcept {
  std::uint32_t n = 0;
  for (std::uint32_t j = 0; j < f.capacity; ++j) {
    std::uint64_t t = f.slots[j].load(std::memory_order_relaxed);
    if ((t & ~claim_bit) == f.token && f.token != 0 &&
        f.slots[j].compare_exchange_strong(t, 0, std::memory_order_seq_cst))
      ++n;
  }
  return n;
}

///
// Registering and unregistering a process (under the file-wide lock, or
// before the file has a name).
///

/// Takes a free entry (else the entry of a dead process) for the open file
/// description `fd`: lock its byte on `fd`, then publish an odd generation;
/// the entry and generation go to `index` and `gen`. 0 or an errno.
inline int register_entry(const file& f, int fd, std::uint32_t& index,
                          std::uint64_t& gen) noexcept {
  for (int pass = 0; pass < 2; ++pass) {
    for (std::uint32_t i = 0; i < f.nusers; ++i) {
      std::uint64_t g = f.users[i].gen.load(std::memory_order_acquire);
      if (pass == 0 && (g & 1) != 0) continue;
      if (pass == 1) {
        if ((g & 1) == 0) continue;
        // a registered entry: re-use it only when its owner is gone
        if (user_byte_locked(fd, i) || f.users[i].gen.load(std::memory_order_acquire) != g)
          continue;
        // move past g first: from now on no slot token of g counts as alive,
        // and nobody else may take byte i while the entry is at g
        f.users[i].gen.store(++g, std::memory_order_seq_cst);
      }
      if (ofd_lock(fd, lock_base + off_t(i), F_WRLCK, false) != 0) continue;
      NOB_ROBUST_STEP("open.user_locked");
      drop_waiters(f, i);  // a killed sleeper's, if its entry was not swept
      f.users[i].pid.store(static_cast<std::int32_t>(::getpid()), std::memory_order_relaxed);
      g = (g + 1) & gen_mask;
      if ((g & 1) == 0) g = 1;  // after 2^47 registrations of one entry
      f.users[i].gen.store(g, std::memory_order_seq_cst);
      index = i;
      gen = g;
      return 0;
    }
  }
  return EUSERS;
}

/// Registers this process through its own descriptor f.fd.
inline int register_user(file& f) noexcept {
  std::uint32_t i = 0;
  std::uint64_t g = 0;
  const int err = register_entry(f, f.fd, i, g);
  if (err != 0) return err;
  f.index = i;
  f.gen = g;
  f.token = make_token(i, g);
  f.broken = 0;
  return 0;
}

/// Gives back this process's units and its entry (its byte lock last).
inline void unregister_user(file& f) noexcept {
  if (f.token == 0) return;
  const std::uint32_t n = clear_all_own(f);
  if (n != 0) wake_waiters(f.head);
  NOB_ROBUST_STEP("close.freed");
  f.users[f.index].gen.fetch_add(1, std::memory_order_seq_cst);  // even: free
  NOB_ROBUST_STEP("close.unregistered");
  ofd_lock(f.fd, lock_base + off_t(f.index), F_UNLCK, false);
  f.token = 0;
}

/// When no live process has the file open, nobody can be waiting: every
/// waiter count left by killed waiters (or by outside waiters that died,
/// which no entry records) is dropped.
inline void reset_waiters(const file& f) noexcept {
  for (std::uint32_t i = 0; i < f.nusers; ++i) f.users[i].waiters.store(0, std::memory_order_relaxed);
  std::uint64_t w = f.head->wait_word.load();
  while ((w >> 32) != 0 && !f.head->wait_word.compare_exchange_weak(w, std::uint32_t(w + 1),
                                                                     std::memory_order_seq_cst)) {
  }
}

///
// Files: validating, mapping, creating, the process table.
///

/// Why an existing file is refused, or nullptr when its header is sound.
inline const char* check_header(int fd, off_t size, header& h) noexcept {
  if (size < static_cast<off_t>(header_bytes)) return "open (truncated robust semaphore file)";
  ssize_t n;
  do {
    n = ::pread(fd, &h, sizeof h, 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof h)) return "open (truncated robust semaphore file)";
  if (h.magic != magic) return "open (not a nob robust semaphore)";
  if (h.version != layout_version) return "open (unsupported robust semaphore layout version)";
  if (h.header_size != header_bytes || h.capacity == 0 ||
      h.capacity > robust_semaphore::max_capacity() || h.users == 0 || h.users > 65535)
    return "open (corrupt robust semaphore header)";
  const std::size_t want = file_size(h.capacity, h.users);
  if (size < static_cast<off_t>(want)) return "open (truncated robust semaphore file)";
  if (size > static_cast<off_t>(want)) return "open (corrupt robust semaphore file size)";
  return nullptr;
}

/// Maps an opened data file after checking it; 0, or an errno with `step`
/// set. The descriptor stays the caller's (the mapping keeps the file).
inline int map_checked(file& f, const file_result& r, const char*& step) noexcept {
  header h;
  if (const char* why = check_header(r.fd, r.size, h)) {
    step = why;
    return EINVAL;
  }
  const std::size_t len = file_size(h.capacity, h.users);
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
  if (p == MAP_FAILED) {
    step = "mmap";
    return errno;
  }
  set_views(f, p, h.capacity, h.users);
  f.dev = r.dev;
  f.ino = r.ino;
  f.owner = r.uid;
  return 0;
}

/// Ends this process's use of a file record: unmap, close, delete.
inline void dispose(file* f) noexcept {
  if (f->map != nullptr) ::munmap(f->map, f->map_len);
  if (f->fd >= 0) ::close(f->fd);
  delete f;
}

/// The process table: one record per file this process has open. Every
/// descriptor this header opens is opened and closed with its mutex held, so
/// that fork() (whose handlers take the mutex) never copies a descriptor
/// that is not in the table.
struct table {
  std::mutex mu;
  std::vector<file*> files;
};

inline void before_fork() noexcept;
inline void after_fork_in_parent() noexcept;
inline void after_fork_in_child() noexcept;

/// The table, with its fork handlers registered once.
inline table& the_table() {
  static table* t = [] {
    auto* made = new table;  // never destroyed: handles may outlive static destructors
    ::pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
    return made;
  }();
  return *t;
}

/// Between two wait slices: when another entry counts waiters, drop those of
/// ended processes, if the file-wide lock is free at once (never waits).
/// The table mutex is tried first: every other holder of the file-wide lock
/// in this process holds it, and an OFD lock does not keep out another
/// thread using the same descriptor (two waiting threads would both "hold"
/// it, and the first unlock would drop it under the second).
inline void drop_dead_waiters_if_free(const file& f) noexcept {
  bool others = false;
  for (std::uint32_t i = 0; i < f.nusers && !others; ++i)
    others = i != f.index && f.users[i].waiters.load(std::memory_order_relaxed) != 0;
  if (!others || f.fd < 0) return;
  std::unique_lock<std::mutex> own(the_table().mu, std::try_to_lock);
  if (!own.owns_lock() || ofd_lock(f.fd, 0, F_WRLCK, false) != 0) return;
  drop_dead_waiters(f);
  unlock_file(f.fd);
}

/// A new open file description of the lock file behind `f` (through
/// /proc/self/fd, else the path if it still names the file); -1 if none.
inline int reopen(const file& f) noexcept {
  char self[64];
  std::snprintf(self, sizeof self, "/proc/self/fd/%d", f.fd);
  for (const char* p : {static_cast<const char*>(self), f.lock_path.c_str()}) {
    const int fd = ::open(p, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_dev == f.lock_dev && st.st_ino == f.lock_ino)
      return fd;
    if (fd >= 0) ::close(fd);
  }
  return -1;
}

/// fork(), in the parent, first: with the table locked (no descriptor of
/// ours is being opened or closed), the child-to-be gets, for every file, its
/// own open file description of the lock file and an entry registered
/// through it. So the child is a live user from the moment fork() returns
/// (it keeps the name alive at once), and if it dies the kernel drops its
/// lock as for anyone.
inline void before_fork() noexcept {
  table& t = the_table();
  t.mu.lock();
  for (file* f : t.files) {
    f->child_fd = -1;
    f->child_err = 0;
    if (f->token == 0) {
      f->child_err = f->broken != 0 ? f->broken : EBADF;
      continue;
    }
    const int fd = reopen(*f);
    if (fd < 0) {
      f->child_err = ENOTRECOVERABLE;
      continue;
    }
    int err = lock_file(fd);
    if (err == 0) {
      drop_dead_waiters(*f);
      err = register_entry(*f, fd, f->child_index, f->child_gen);
      unlock_file(fd);
    }
    if (err != 0) {
      ::close(fd);
      f->child_err = err;
      continue;
    }
    f->child_fd = fd;
  }
  NOB_ROBUST_STEP("fork.prepared");
}

/// fork(), in the parent, after (also when fork failed): the parent's copy
/// of each child descriptor is closed; without a child that drops the entry's
/// lock, and the entry is dead for everybody.
inline void after_fork_in_parent() noexcept {
  table& t = the_table();
  for (file* f : t.files) {
    if (f->child_fd >= 0) ::close(f->child_fd);
    f->child_fd = -1;
  }
  t.mu.unlock();
}

/// fork(), in the child: every record switches to the child's own lock file
/// descriptor and entry, and holds nothing. The inherited descriptor of the
/// lock file (which holds the parent's locks) is closed, so the parent's
/// death is seen; the inherited mapping of the data file holds no lock and
/// stays (a mapping keeps only the data file's open file description).
inline void after_fork_in_child() noexcept {
  table& t = the_table();
  for (file* f : t.files) {
    f->token = 0;
    f->giving_back.store(false, std::memory_order_relaxed);  // a parent thread's, if any
    if (f->fd >= 0) ::close(f->fd);
    f->fd = f->child_fd;
    f->child_fd = -1;
    if (f->fd < 0) {  // no entry of our own: this handle is unusable in the child
      f->broken = f->child_err != 0 ? f->child_err : ENOTRECOVERABLE;
      continue;
    }
    f->index = f->child_index;
    f->gen = f->child_gen;
    f->token = make_token(f->child_index, f->child_gen);
    f->users[f->index].pid.store(static_cast<std::int32_t>(::getpid()), std::memory_order_relaxed);
    f->broken = 0;
  }
  t.mu.unlock();
  NOB_ROBUST_STEP("fork.child");
}

/// The two names of one semaphore.
struct names {
  std::string data;  ///< "/dev/shm/nob.NAME": header, users, slots
  std::string lock;  ///< "/dev/shm/nob~NAME": empty; every lock of the semaphore is on it
};

/// The names of a normalised "/NAME". ("nob~" is as long as "nob.", so every
/// valid name fits in NAME_MAX; '~' is in no valid name.)
inline names names_of(const std::string& normalized) {
  return names{"/dev/shm/nob." + normalized.substr(1), "/dev/shm/nob~" + normalized.substr(1)};
}

/// "/dev/shm/nob.NAME" for a normalised "/NAME".
inline std::string path_of(const std::string& normalized) { return names_of(normalized).data; }

/// The mode of the lock file of a semaphore whose data file has `mode`: read
/// and write for each class (owner, group, others) that may write the data
/// file, nothing for the others. Whoever may only read the data file cannot
/// open the lock file, so cannot take, wait for or hold any lock of it.
inline mode_t lock_mode(mode_t mode) noexcept {
  mode_t m = 0;
  if ((mode & S_IWUSR) != 0) m |= S_IRUSR | S_IWUSR;
  if ((mode & S_IWGRP) != 0) m |= S_IRGRP | S_IWGRP;
  if ((mode & S_IWOTH) != 0) m |= S_IROTH | S_IWOTH;
  return m;
}

/// "uid N", for messages about another user's file.
inline std::string uid_text(uid_t uid) {
  return "uid " + std::to_string(static_cast<unsigned long>(uid));
}

/// The owner of `path` (not followed), or -1 when it cannot be told.
inline long owner_of(const std::string& path) noexcept {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return -1;
  return static_cast<long>(st.st_uid);
}

/// True when nothing is at `path`.
inline bool absent_at(const std::string& path) noexcept {
  struct stat st {};
  return ::lstat(path.c_str(), &st) != 0 && errno == ENOENT;
}

/// For tools that look at a data file through a descriptor without opening
/// the semaphore (nob-sem): a read-only descriptor of its lock file, found
/// through /proc/self/fd, which is enough to ask about its locks (F_OFD_GETLK)
/// and can take none that matters (nob's are write locks). -1 with errno set:
/// EACCES, this user may not open it (so cannot tell live from stale);
/// ENOENT, there is none; EINVAL, not a robust semaphore's data file, or the
/// lock file is not its owner's.
inline int open_lock_of(int data_fd) noexcept {
  char self[64], path[PATH_MAX];
  std::snprintf(self, sizeof self, "/proc/self/fd/%d", data_fd);
  const ssize_t n = ::readlink(self, path, sizeof path - 1);
  if (n <= 0) return -1;
  path[n] = '\0';
  char* base = std::strrchr(path, '/');
  struct stat data {};
  if (base == nullptr || std::strncmp(base + 1, "nob.", 4) != 0 || ::fstat(data_fd, &data) != 0) {
    errno = EINVAL;
    return -1;
  }
  base[4] = '~';  // "/dev/shm/nob.NAME" -> "/dev/shm/nob~NAME"
  const file_result l = open_existing_file(path, O_RDONLY | O_NONBLOCK);
  if (l.err != 0) {
    errno = l.err;
    return -1;
  }
  if (l.uid != data.st_uid) {
    ::close(l.fd);
    errno = EINVAL;
    return -1;
  }
  return l.fd;
}

/// Outcome of one attempt to open or create.
enum class outcome { ok, failed, retry, absent };

/// Removes a lock file without its data file (an orphan: its creator or its
/// remover died between the two names), under its own file-wide lock, if the
/// data file is still absent then; with `wait`, waiting for that lock as an
/// open does (a creator holds it while it makes the pair), else only trying.
/// 0 (removed, absent, or not an orphan), or the errno that kept it: the
/// lock's (EBUSY, EINTR), the open's or the unlink's (EACCES, EPERM: another
/// user's file in the sticky /dev/shm), with `why` saying whose. With
/// `keep` (status(): a look that changes nothing), an orphan is left and
/// EEXIST returned for it.
inline int remove_orphan_lock(const names& n, bool wait, std::string& why, bool keep = false) {
  file_result l = open_existing_file(n.lock, O_RDWR | O_NONBLOCK);
  int err = l.err;
  if (err == 0) {
    err = wait ? lock_file(l.fd) : ofd_lock(l.fd, 0, F_WRLCK, false) == 0 ? 0 : EBUSY;
    if (err == 0) {
      if (same_file(n.lock, l.dev, l.ino) && absent_at(n.data)) {
        err = keep ? EEXIST : unlink_if_same(n.lock, l.dev, l.ino);
        if (err == ESTALE || err == ENOENT) err = 0;
      }
      unlock_file(l.fd);
    }
    ::close(l.fd);
  }
  if (err == ENOENT) return 0;
  if (err != 0 && err != EBUSY && err != EINTR) {
    const long uid = owner_of(n.lock);
    why = "create (a stale lock file" +
          (uid >= 0 ? " of " + uid_text(static_cast<uid_t>(uid)) : std::string()) +
          " is in the way and this user cannot remove it)";
  }
  return err;
}

/// Creates a semaphore: first its lock file, nameless, with its file-wide
/// lock taken, then linked into place; then, under that lock, its data file,
/// nameless, allocated in full (posix_fallocate: a full /dev/shm is ENOSPC
/// here, never SIGBUS later), mapped, written, with this process registered
/// in it, and only then linked into place. So nobody ever sees a data file
/// without its lock file or without a live user, and a crash leaves at most
/// a lock file without data file (removed by the next look). An orphan lock
/// file in the way is removed first. 0, or an errno (EEXIST: a semaphore is
/// at the name) with `step` (or `why`) set.
inline int create_new(file& f, const names& n, unsigned int capacity, mode_t mode,
                      const char*& step, std::string& why) {
  for (;;) {
    file_result l = create_exclusive_file(
        n.lock, "/dev/shm/nob~nob-XXXXXX", nullptr, 0, lock_mode(mode),
        [](const file_result& made) noexcept { return ofd_lock(made.fd, 0, F_WRLCK, false); });
    if (l.err == EEXIST) {
      const int err = remove_orphan_lock(n, true, why);
      if (err != 0) {
        step = lock_step(err);
        return err;
      }
      if (!absent_at(n.data)) {  // a semaphore is there: the caller looks at it
        step = "create";
        return EEXIST;
      }
      if (lock_wait_deadline != std::chrono::steady_clock::time_point{} &&
          std::chrono::steady_clock::now() >= lock_wait_deadline) {
        step = "create (the name kept changing)";
        return EBUSY;
      }
      continue;  // the orphan is gone: again
    }
    if (l.err != 0) {
      step = l.step;
      return l.err;
    }
    NOB_ROBUST_STEP("create.lock_linked");
    f.fd = l.fd;
    f.lock_dev = l.dev;
    f.lock_ino = l.ino;
    const auto users = static_cast<std::uint32_t>(NOB_ROBUST_MAX_USERS);
    const std::size_t len = file_size(capacity, users);
    void* mapped = nullptr;
    const char* made_step = nullptr;
    file_result r = create_exclusive_file(
        n.data, "/dev/shm/nob.nob-XXXXXX", nullptr, len, mode,
        [&](const file_result& made) noexcept -> int {
          void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, made.fd, 0);
          if (p == MAP_FAILED) return errno;
          mapped = p;
          auto* h = static_cast<header*>(p);
          h->version = layout_version;
          h->capacity = capacity;
          h->users = users;
          h->header_size = header_bytes;
          h->flags.store(0);
          h->wait_word.store(0);
          h->magic = magic;
          set_views(f, p, capacity, users);
          const int err = register_user(f);
          NOB_ROBUST_STEP("create.registered");
          if (err != 0) made_step = "register";
          return err;
        },
        /*replace=*/false, /*allocate=*/true);  // every page nob will touch exists before the mapping
    if (r.err != 0) {
      if (mapped != nullptr) ::munmap(mapped, len);
      f.map = nullptr;
      f.token = 0;
      unlink_if_same(n.lock, f.lock_dev, f.lock_ino);  // under its lock: nobody else uses it
      ::close(f.fd);
      f.fd = -1;
      step = made_step != nullptr ? made_step : r.step;
      return r.err;
    }
    NOB_ROBUST_STEP("create.linked");
    ::close(r.fd);  // the mapping keeps the data file
    f.dev = r.dev;
    f.ino = r.ino;
    f.owner = r.uid;
    unlock_file(f.fd);
    return 0;
  }
}

/// Removes the data file's name, then the lock file's, each only while it
/// still names this semaphore's file (under the file-wide lock). Returns
/// what removing the data file's name gave: 0, ENOENT or ESTALE (gone or
/// replaced already: the lock file's name goes too, if it is still this
/// one's), or EPERM / EACCES (another user's file in the sticky /dev/shm:
/// both names stay, so a data file never lacks its lock file).
inline int unlink_names(const file& f) noexcept {
  const int err = unlink_if_same(f.path, f.dev, f.ino);
  if (err == EPERM || err == EACCES) return err;
  NOB_ROBUST_STEP("close.unlinked");
  unlink_if_same(f.lock_path, f.lock_dev, f.lock_ino);
  return err;
}

/// Opens the lock file of an opened data file `r` into `f`: 0, or an errno
/// with `why` set (EACCES: this user may not open it, or it is not the data
/// file's owner's; ENOENT: there is none).
inline int open_lock(file& f, const file_result& r, std::string& why) {
  file_result l = open_existing_file(f.lock_path, O_RDWR | O_NONBLOCK);
  if (l.err != 0) {
    if (l.err != ENOENT)
      why = std::string("open (its lock file: ") + std::strerror(l.err) + ")";
    return l.err;
  }
  if (l.uid != r.uid) {
    ::close(l.fd);
    why = "open (its lock file is owned by " + uid_text(l.uid) + ", the semaphore by " +
          uid_text(r.uid) + ")";
    return EACCES;
  }
  f.fd = l.fd;
  f.lock_dev = l.dev;
  f.lock_ino = l.ino;
  return 0;
}

/// Opens the existing semaphore and registers this process in it, under the
/// file-wide lock, after checking that both names still name its files. A
/// semaphore whose users all ended (and not persistent) is stale: its names
/// are removed and the result is `absent`; when they cannot be removed
/// (another user's files in the sticky /dev/shm), it is joined instead with
/// `join_stale` (revived: its units are free, its waiter counts reset), and
/// `absent` otherwise. With owner_check::same_uid, a file another user owns
/// is refused (EACCES, checked on the open descriptor) before anything is
/// registered or removed.
inline outcome attach_existing(file*& out, const names& n, owner_check check, bool join_stale,
                               int& err, const char*& step, std::string& why) {
  file_result r = open_existing_file(n.data, O_RDWR);
  if (r.err != 0) {
    err = r.err;
    step = r.step;
    if (err != ENOENT) return outcome::failed;
    std::string ignored;
    remove_orphan_lock(n, false, ignored);  // whoever notices first
    return outcome::absent;
  }
  if (!owner_allowed(r, check)) {
    ::close(r.fd);
    err = EACCES;
    step = "open (owned by another user)";
    return outcome::failed;
  }
  NOB_ROBUST_STEP("open.opened");
  table& t = the_table();
  for (file* f : t.files) {
    if (f->dev == r.dev && f->ino == r.ino && f->token != 0) {
      ::close(r.fd);
      ++f->refs;
      out = f;
      return outcome::ok;
    }
  }
  auto* f = new (std::nothrow) file;
  if (f == nullptr) {
    ::close(r.fd);
    err = ENOMEM;
    step = "open";
    return outcome::failed;
  }
  f->path = n.data;
  f->lock_path = n.lock;
  err = map_checked(*f, r, step);
  if (err == 0) {
    err = open_lock(*f, r, why);
    if (err == ENOENT) {  // a data file without lock file: removed by hand, or both just now
      why.clear();
      err = 0;
      const bool still = same_file(n.data, r.dev, r.ino);
      ::close(r.fd);
      if (!still) {
        dispose(f);
        return outcome::retry;
      }
      const int gone = unlink_if_same(n.data, f->dev, f->ino);  // unusable: nobody can register
      const uid_t owner = f->owner;
      dispose(f);
      if (gone == 0 || gone == ENOENT || gone == ESTALE) return outcome::retry;
      err = gone;
      why = "open (a robust semaphore of " + uid_text(owner) +
            " without its lock file, which this user cannot remove)";
      return outcome::failed;
    }
  }
  ::close(r.fd);  // the mapping keeps the data file
  if (err != 0) {
    dispose(f);
    return outcome::failed;
  }
  if ((err = lock_file(f->fd)) != 0) {
    step = lock_step(err);
    dispose(f);
    return outcome::failed;
  }
  NOB_ROBUST_STEP("open.locked");
  outcome result = outcome::ok;
  if (!same_file(n.data, f->dev, f->ino) || !same_file(n.lock, f->lock_dev, f->lock_ino)) {
    result = outcome::retry;  // removed (and maybe re-created) meanwhile
  } else if (!any_live_user(*f, UINT32_MAX, true)) {
    reset_waiters(*f);
    if ((f->head->flags.load() & flag_persistent) == 0) {  // stale: every user ended
      const int gone = unlink_names(*f);
      if (gone == 0 || gone == ENOENT || gone == ESTALE) {
        result = outcome::absent;
      } else if (!join_stale) {
        result = outcome::absent;
        why = "open (no live robust semaphore: only a stale one of " + uid_text(f->owner) +
              ", which this user cannot remove)";
      }  // else joined: this process is its live user now
    }
  }
  if (result == outcome::ok) drop_dead_waiters(*f);
  if (result == outcome::ok && (err = register_user(*f)) != 0) {
    step = "register (too many processes have it open)";
    result = outcome::failed;
  }
  NOB_ROBUST_STEP("open.registered");
  unlock_file(f->fd);
  if (result != outcome::ok) {
    dispose(f);
    if (result == outcome::absent) {
      err = ENOENT;
      step = "open";
    }
    return result;
  }
  f->refs = 1;
  out = f;
  return outcome::ok;
}

/// What a look at a name without opening a handle found (absent: nothing;
/// stale: every user ended, or an orphan lock file that this look did not
/// remove; live: a live user, or persistent; other: a file that is not a
/// sound robust semaphore; unknown: this user may not open the files
/// read-write, so cannot tell live from stale).
enum class state { absent, stale, live, other, unknown };

/// Looks at the semaphore at `n` (with the table mutex held); removes it
/// when it is stale and `clean` is set (and an orphan lock file too). To
/// remove, the file-wide lock is tried, or waited for with `wait` (a creator
/// that must get past a stale semaphore sleeps instead of spinning while
/// another process holds the lock). `*err` gets why a stale semaphore (or an
/// orphan lock file) was kept: the lock's errno (with `wait`), or the
/// unlink's (EPERM, EACCES: another user's, in the sticky /dev/shm), and
/// `*owner` the data file's owner (an orphan lock file's, when that is what
/// was kept). A data file this user may not open read-write is `unknown`
/// (read-only, its header is still checked: `other` when it is not sound).
/// (O_NONBLOCK: a FIFO at a name, which a read-only open would wait on for
/// a writer forever, or a lease, is answered at once.)
inline state probe(const names& n, bool clean, bool wait = false, int* err = nullptr,
                   uid_t* owner = nullptr, mode_t* mode = nullptr) {
  file_result r = open_existing_file(n.data, O_RDWR | O_NONBLOCK);
  const bool writable = r.err != EACCES;
  if (!writable) r = open_existing_file(n.data, O_RDONLY | O_NONBLOCK);
  if (r.err == ENOENT) {  // an orphan lock file that stays (another user's, or a mere look) is stale
    std::string ignored;
    const int e = remove_orphan_lock(n, wait, ignored, !clean);
    if (clean && err != nullptr && (wait || e == EPERM || e == EACCES)) *err = e;
    struct stat st {};
    if ((e != EPERM && e != EACCES && e != EEXIST) || ::lstat(n.lock.c_str(), &st) != 0)
      return state::absent;
    if (owner != nullptr) *owner = st.st_uid;
    if (mode != nullptr) *mode = st.st_mode & 07777;
    return state::stale;
  }
  if (r.err == EACCES) return state::unknown;  // may not even read it
  if (r.err != 0) return state::other;
  if (owner != nullptr) *owner = r.uid;
  if (mode != nullptr) *mode = r.mode;
  if (!writable) {  // nobody who may not write it can tell live from stale
    header h;
    const bool sound = check_header(r.fd, r.size, h) == nullptr;
    ::close(r.fd);
    return sound ? state::unknown : state::other;
  }
  file f;
  f.path = n.data;
  f.lock_path = n.lock;
  const char* step = "";
  const int mapped = map_checked(f, r, step);
  std::string why;
  const int locked = mapped == 0 ? open_lock(f, r, why) : 0;
  const bool still = same_file(n.data, r.dev, r.ino);
  ::close(r.fd);
  if (mapped != 0) return state::other;
  state s = state::live;
  if (locked == ENOENT) {  // a data file without lock file: nobody can use it
    s = still ? state::stale : state::absent;
    const int gone = still && clean ? unlink_if_same(n.data, f.dev, f.ino) : 0;
    if (err != nullptr && (gone == EPERM || gone == EACCES)) *err = gone;
  } else if (locked != 0) {
    s = state::unknown;
  } else if ((f.head->flags.load() & flag_persistent) == 0 && !any_live_user(f, UINT32_MAX)) {
    s = state::stale;
    const int got = !clean ? -1 : wait ? lock_file(f.fd) : ofd_lock(f.fd, 0, F_WRLCK, false);
    if (wait && err != nullptr && got > 0) *err = got;
    if (got == 0) {
      if (same_file(n.data, f.dev, f.ino) && same_file(n.lock, f.lock_dev, f.lock_ino) &&
          !any_live_user(f, UINT32_MAX, true) && (f.head->flags.load() & flag_persistent) == 0) {
        reset_waiters(f);
        const int gone = unlink_names(f);
        if (err != nullptr && (gone == EPERM || gone == EACCES)) *err = gone;
      }
      unlock_file(f.fd);
    }
  }
  ::munmap(f.map, f.map_len);
  f.map = nullptr;
  if (f.fd >= 0) ::close(f.fd);
  f.fd = -1;
  return s;
}

/// Removes the names of the semaphore at `n` whatever its state (remove(),
/// unlink_and_create): under its file-wide lock when that is free at once,
/// else the data file's name alone. The lock file's name goes only while
/// this call holds that lock file's own file-wide lock (and the name is
/// still that file): a lock file whose lock is busy may be a creator's,
/// between its two names, or become one between a look at the name and
/// the unlink (its holder removes the orphan and a creator links a new one),
/// and removing it would let that creator link a data file without lock
/// file (which the next open deletes: two semaphores, one name). A lock
/// file left so is an orphan, which the next look at the name removes.
/// 0, or the errno of removing the data file's name (ENOENT: none).
inline int unlink_pair(const names& n) noexcept {
  file_result l = open_existing_file(n.lock, O_RDWR | O_NONBLOCK);
  const bool locked = l.err == 0 && ofd_lock(l.fd, 0, F_WRLCK, false) == 0;
  const int err = ::unlink(n.data.c_str()) == 0 ? 0 : errno;
  if (locked && (err == 0 || err == ENOENT)) unlink_if_same(n.lock, l.dev, l.ino);
  if (locked) unlock_file(l.fd);
  if (l.fd >= 0) ::close(l.fd);
  return err;
}

/// The process's last handle on `f` is closing: give back units and entry,
/// and remove the names when no live user remains (unless persistent).
inline void release_file(file* f) noexcept {
  table& t = the_table();
  if (f->fd >= 0 && lock_file(f->fd) == 0) {
    NOB_ROBUST_STEP("close.locked");
    const std::uint32_t me = f->token != 0 ? f->index : UINT32_MAX;
    unregister_user(*f);
    drop_dead_waiters(*f);
    NOB_ROBUST_STEP("close.unlocked_user");
    if (!any_live_user(*f, me, true)) {
      reset_waiters(*f);
      if ((f->head->flags.load() & flag_persistent) == 0) {
        unlink_names(*f);
        NOB_ROBUST_STEP("close.lock_unlinked");
      }
    }
    unlock_file(f->fd);
  }
  for (std::size_t i = 0; i < t.files.size(); ++i) {
    if (t.files[i] == f) {
      t.files.erase(t.files.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  dispose(f);
}

}  // namespace robust
}  // namespace detail

inline robust_semaphore::robust_semaphore(std::string_view name, existence_policy policy,
                                          unsigned int capacity, mode_t mode, owner_check check)
    : name_(normalize_name(name)) {
  namespace r = detail::robust;
  if (static_cast<unsigned>(policy) > static_cast<unsigned>(existence_policy::unlink_and_create))
    throw std::invalid_argument("nob: unknown existence_policy for " + name_);
  if (static_cast<unsigned>(check) > static_cast<unsigned>(owner_check::same_uid))
    throw std::invalid_argument("nob: unknown owner_check for " + name_);
  if (capacity == 0 || capacity > max_capacity())
    throw std::invalid_argument("nob: capacity " + std::to_string(capacity) +
                                " is outside 1.." + std::to_string(max_capacity()) + " for " +
                                name_);
  if ((mode & ~static_cast<mode_t>(0777)) != 0)
    throw std::invalid_argument("nob: mode must be permission bits (0 to 0777) for " + name_);

  const r::names n = r::names_of(name_);
  r::table& t = r::the_table();
  std::lock_guard<std::mutex> guard(t.mu);
  const r::one_lock_deadline bounded;  // every retry below shares it
  t.files.reserve(t.files.size() + 1);  // so that the insert below cannot throw
  int err = 0;
  const char* step = "";
  std::string why;  // a message made at run time (it names an owner), else `step`
  r::file* opened = nullptr;

  // No loop below runs past the open's one deadline: each retry follows a
  // change of the name by another process, and any that keeps changing it
  // gets this open EBUSY instead of a spin.
  auto too_late = [&] {
    if (std::chrono::steady_clock::now() < r::lock_wait_deadline) return false;
    err = EBUSY;
    step = "open (the name kept changing)";
    why.clear();
    return true;
  };
  // Creates; on EEXIST, a stale semaphore (every user ended) is removed and
  // the create tried again.
  auto create = [&](bool remove_stale) -> r::outcome {
    for (;;) {
      auto* f = new r::file;
      f->path = n.data;
      f->lock_path = n.lock;
      err = r::create_new(*f, n, capacity, mode, step, why);
      if (err == 0) {
        f->refs = 1;
        t.files.push_back(f);
        opened = f;
        return r::outcome::ok;
      }
      delete f;
      if (err != EEXIST || !remove_stale) return r::outcome::failed;
      int kept = 0;
      uid_t owner = 0;
      const r::state s = r::probe(n, true, true, &kept, &owner);
      if (kept == EPERM || kept == EACCES) {  // another user's, in the sticky /dev/shm
        err = kept;
        why = "create (a stale robust semaphore of " + r::uid_text(owner) +
              " is in the way and this user cannot remove it)";
        return r::outcome::failed;
      }
      if (kept != 0) {  // a stale semaphore whose file-wide lock somebody keeps
        err = kept;
        step = r::lock_step(kept);
        return r::outcome::failed;
      }
      if (s != r::state::stale && s != r::state::absent) return r::outcome::failed;
      if (too_late()) return r::outcome::failed;
    }
  };
  auto attach = [&](bool join_stale) -> r::outcome {
    const r::outcome o = r::attach_existing(opened, n, check, join_stale, err, step, why);
    if (o == r::outcome::ok && opened->refs == 1) t.files.push_back(opened);  // a new record
    return o;
  };

  r::outcome o = r::outcome::failed;
  switch (policy) {
    case existence_policy::raise_if_exists:
      o = create(true);
      break;
    case existence_policy::raise_if_not_exists:
      do {
        o = attach(false);
      } while (o == r::outcome::retry && !too_late());
      linked_existing_ = o == r::outcome::ok;
      break;
    case existence_policy::unlink_and_create:
      for (;;) {  // again while another process re-creates the name in between, up to the deadline
        if (const int gone = r::unlink_pair(n); gone != 0 && gone != ENOENT) {
          const long owner = r::owner_of(n.data);
          if ((gone == EPERM || gone == EACCES) && owner >= 0)
            detail::throw_system(gone, "nob: unlink (another user's file, " +
                                           r::uid_text(static_cast<uid_t>(owner)) + ") " + name_);
          throw_errno(gone, "unlink");
        }
        o = create(true);
        if (o == r::outcome::ok || err != EEXIST || too_late()) break;
      }
      break;
    case existence_policy::link_or_create:
      for (;;) {  // exclusive create, else open, else it vanished: again
        o = create(false);  // a stale semaphore is removed (or joined) by attach()
        if (o == r::outcome::ok || err != EEXIST) break;
        why.clear();
        o = attach(true);
        if (o == r::outcome::ok) {
          linked_existing_ = true;
          break;
        }
        if (o == r::outcome::failed || too_late()) {
          o = r::outcome::failed;
          break;
        }
        why.clear();
      }
      break;
  }
  if (o != r::outcome::ok) {
    if (!why.empty()) detail::throw_system(err, "nob: " + why + " " + name_);
    throw_errno(err, step);
  }
  f_ = opened;
  capacity_ = opened->capacity;
}

inline robust_semaphore robust_semaphore::create_unique(unsigned int capacity, mode_t mode) {
  if (const char* why = detail::check_open_arguments(existence_policy::raise_if_exists, mode,
                                                     owner_check::any_owner))
    detail::throw_invalid(why, "a fresh name");
  if (capacity == 0 || capacity > max_capacity())
    detail::throw_invalid(("capacity " + std::to_string(capacity) + " is outside 1.." +
                           std::to_string(max_capacity()))
                              .c_str(),
                          "a fresh name");
  std::string name;
  std::optional<robust_semaphore> made;
  const char* step = "";
  // The constructor creates exclusively (a stale file under the name is
  // removed first, as for any name); file_exists: a live one has the name.
  const int err = detail::create_under_fresh_name(
      name,
      [&]() {
        try {
          made.emplace(name, existence_policy::raise_if_exists, capacity, mode);
          return 0;
        } catch (const std::system_error& e) {
          if (e.code() != std::errc::file_exists) throw;
          return EEXIST;
        }
      },
      step);
  if (err != 0) detail::throw_fresh_name_error(err, step, name);
  return std::move(*made);
}

inline std::optional<robust_semaphore> robust_semaphore::create_unique(std::error_code& ec,
                                                                      unsigned int capacity,
                                                                      mode_t mode) noexcept {
  try {
    std::optional<robust_semaphore> s(create_unique(capacity, mode));
    ec.clear();
    return s;
  } catch (const std::system_error& e) {
    ec = e.code();
  } catch (const std::invalid_argument&) {
    ec = std::make_error_code(std::errc::invalid_argument);
  } catch (...) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  return std::nullopt;
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

inline bool robust_semaphore::try_acquire() {
  check_open("try_acquire");
  if (detail::robust::take_free(*f_)) return true;
  std::error_code ec;
  const bool ok = try_acquire(ec);
  if (ec) throw_errno(ec.value(), "try_acquire");
  return ok;
}

inline wait_result robust_semaphore::wait_step(std::chrono::nanoseconds deadline,
                                               int& err) noexcept {
  // Try; else register as a waiter, try again (a unit freed before the
  // registration was seen is found here; one freed after it changes the
  // futex word), and sleep one slice. Dead holders' units are looked for
  // (a few fcntl calls) only when a slice ended without a wake-up or no
  // thread of this process has looked for a slice (a schedule kept in the
  // file record, so that signals, which end a step, cannot starve it), and
  // always before reporting a timeout: a hand-over between live processes
  // costs no extra system call. Never reports timed_out before `deadline`.
  namespace r = detail::robust;
  using namespace std::chrono;
  r::file& f = *f_;
  err = 0;
  const nanoseconds slice = milliseconds(NOB_ROBUST_SLICE_MS);
  bool look_for_dead = r::look_due(f);
  for (;;) {
    const int got = r::take(f, look_for_dead, err);
    if (got != 0) return got > 0 ? wait_result::acquired : wait_result::timed_out;
    nanoseconds nap = slice;
    if (!detail::is_forever(deadline)) {
      const nanoseconds left = detail::steady_left(deadline);
      if (left <= nanoseconds(0)) {
        if (look_for_dead) return wait_result::timed_out;
        look_for_dead = true;  // one last try, dead holders included
        continue;
      }
      if (left < nap) nap = left;
    }
    // registered in the word first, in the entry second; the other way
    // round after: a kill between the two leaves the word one too high
    // (extra wake calls), never the entry above the word
    std::atomic<std::uint32_t>& mine = f.users[f.index].waiters;
    const std::uint64_t w = f.head->wait_word.fetch_add(r::one_waiter) + r::one_waiter;
    mine.fetch_add(1, std::memory_order_relaxed);
    if (r::take_free(f)) {
      mine.fetch_sub(1, std::memory_order_relaxed);
      f.head->wait_word.fetch_sub(r::one_waiter);
      return wait_result::acquired;
    }
    NOB_ROBUST_STEP("wait.registered");
    const int rc = r::sleep_for_change(&f.head->wait_word, static_cast<std::uint32_t>(w), nap);
    mine.fetch_sub(1, std::memory_order_relaxed);
    f.head->wait_word.fetch_sub(r::one_waiter);
    if (rc == EINTR) return wait_result::interrupted;
    if (rc != 0 && rc != ETIMEDOUT) {
      err = rc;
      return wait_result::timed_out;
    }
    look_for_dead = rc == ETIMEDOUT || r::look_due(f);
    if (look_for_dead) r::drop_dead_waiters_if_free(f);
  }
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
  const wait_result r = wait_step(detail::since_epoch_saturated(deadline), err);
  if (err != 0) ec.assign(err, std::generic_category());
  return r;
}

inline bool robust_semaphore::wait_until(std::chrono::nanoseconds deadline) {
  for (;;) {
    int err = 0;
    switch (wait_step(deadline, err)) {
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
  if (n < 0)
    throw std::invalid_argument("nob: release(n) needs n >= 0, got " + std::to_string(n) +
                                " for " + name_);
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
  return detail::robust::live_holders(*f_);
}

inline std::atomic<std::uint64_t>* robust_semaphore::wait_word() const noexcept {
  return f_ == nullptr ? nullptr : &f_->head->wait_word;
}

inline int robust_semaphore::liveness_handle() const noexcept {
  return f_ == nullptr ? -1 : f_->fd;  // the lock file's: every lock of the process is on it
}

}  // namespace nob

#endif  // NOB_ROBUST_SEMAPHORE_HPP
