///
// nob - POSIX named IPC done right: what every kind of object shares
// Written in 2026 by the nob developers.
//
// The named semaphore, the robust semaphore, shared memory and the message
// queue all take the same names, the same existence policies, the same
// deadlines and raise the same errors. This header holds that common part
// once; each kind's header includes it:
//
//   * names: validated before any system call, normalised to one '/';
//   * existence_policy: what a constructor does when the name exists, or not;
//   * clocks: saturating deadlines, timespec conversion that never wraps;
//   * errors: std::system_error in the generic category with the name;
//   * files in /dev/shm: exclusive creation through a nameless file linked
//     into place (never seen half made, nothing left by a crash), exact
//     mode whatever the umask, no symlink followed, device and inode kept
//     so that a name re-created by someone else is recognised.
///

#ifndef NOB_COMMON_HPP
#define NOB_COMMON_HPP

#if !defined(__cplusplus) || (__cplusplus < 201703L && (!defined(_MSVC_LANG) || _MSVC_LANG < 201703L))
#error "nob needs C++17 or later (compile with -std=c++17)"
#endif

// The version of nob, the one in meson.build (meson setup refuses a mismatch).
#define NOB_VERSION_MAJOR 2
#define NOB_VERSION_MINOR 0
#define NOB_VERSION_PATCH 0

#include <fcntl.h>
#include <sys/stat.h>
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
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

///
// Configuration shared by the kinds (each kind's header has its own too).
///

/// Longest slice of one wait on CLOCK_REALTIME when a steady deadline is
/// emulated with a call that only knows the wall clock (sem_timedwait,
/// mq_timedsend, mq_timedreceive), in ms: bounds the harm of a clock jump.
#ifndef NOB_TIMEDWAIT_SLICE_MS
#define NOB_TIMEDWAIT_SLICE_MS 50
#endif

/// Longest name after the slash. 251 is Linux NAME_MAX minus "sem.", so one
/// name is valid for every kind. Darwin allows 31 (PSEMNAMLEN).
#ifndef NOB_MAX_NAME_LENGTH
#if defined(__APPLE__)
#define NOB_MAX_NAME_LENGTH 30
#else
#define NOB_MAX_NAME_LENGTH 251
#endif
#endif

/// 1: std::chrono::steady_clock reads CLOCK_MONOTONIC (libstdc++, and libc++
/// on Linux), so steady deadlines are waited on that clock directly. 0: it
/// may be another clock (libc++ on Apple uses CLOCK_UPTIME_RAW, which stops
/// while the machine sleeps): the time left is measured with
/// steady_clock::now(), waited on CLOCK_MONOTONIC and checked again.
#ifndef NOB_STEADY_IS_MONOTONIC
#if defined(__APPLE__)
#define NOB_STEADY_IS_MONOTONIC 0
#else
#define NOB_STEADY_IS_MONOTONIC 1
#endif
#endif

/// 1 when the compiler has C++ exceptions on. Without them (-fno-exceptions)
/// the non-throwing members still work; a call that would throw prints the
/// error and aborts instead.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define NOB_EXCEPTIONS 1
#else
#define NOB_EXCEPTIONS 0
#endif

namespace nob {

/// Whether opening an existing object checks who owns it (a trailing
/// constructor argument; creating is never affected).
enum class owner_check {
  any_owner,  ///< join whatever exists under the name (POSIX behaviour)
  same_uid,   ///< refuse (permission_denied) an object owned by another uid than geteuid()
};

/// What a constructor does when the name exists, or does not.
enum class existence_policy {
  raise_if_exists,      ///< create; std::errc::file_exists if the name exists
  link_or_create,       ///< open if it exists, else create (race-free)
  raise_if_not_exists,  ///< open; std::errc::no_such_file_or_directory if absent
  unlink_and_create,    ///< remove any existing name, then create exclusively
};

/// Outcome of one low-level wait step (wait_once* of the waiting kinds).
enum class wait_result {
  acquired,     ///< a unit was taken (or a message moved)
  timed_out,    ///< the deadline passed, nothing taken
  interrupted,  ///< a signal handler ran (EINTR), nothing taken
};

/// Validates and normalises a name: "jobs", "/jobs", "//jobs" all give
/// "/jobs". Throws std::invalid_argument for anything else.
std::string normalize_name(std::string_view name);

/// True when normalize_name(name) would succeed; never throws.
bool is_valid_name(std::string_view name) noexcept;

///
// Implementation. Everything below is inline; nothing in detail is public.
///

namespace detail {

/// Longest name after the slash.
inline constexpr std::size_t max_name_length = NOB_MAX_NAME_LENGTH;

inline bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.';
}

/// The part after the leading slashes, or an explanation of why it is bad.
inline const char* check_name(std::string_view name, std::string_view& body) noexcept {
  std::size_t i = 0;
  while (i < name.size() && name[i] == '/') ++i;
  body = name.substr(i);
  if (body.empty()) return "is empty";
  if (body.size() > max_name_length) {
    return max_name_length == 251 ? "is longer than 251 bytes"
                                  : "is longer than this platform allows";
  }
  bool only_dots = true;
  for (char c : body) {
    if (!is_name_char(c)) return "may only hold ASCII letters, digits, '-', '_' and '.'";
    if (c != '.') only_dots = false;
  }
  if (only_dots) return "is only dots";
  return nullptr;
}

/// Printable copy of a (possibly bad or hostile) name for messages: every
/// byte outside printable ASCII, and '"' and '\\', becomes \xNN.
inline std::string quote(std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < 64; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > 64) out += "...";
  return out + "\"";
}

/// Throws `e`; without exceptions, prints its what() and aborts.
template <class E>
[[noreturn]] void throw_or_abort(const E& e) {
#if NOB_EXCEPTIONS
  throw e;
#else
  std::fprintf(stderr, "%s\n", e.what());
  std::abort();
#endif
}

[[noreturn]] inline void throw_system(int err, const std::string& what) {
  throw_or_abort(std::system_error(err, std::generic_category(), what));
}

/// "nob: <what> <name>", the text of every system error of a handle.
[[noreturn]] inline void throw_errno_for(int err, const char* what, const std::string& name,
                                         bool closed) {
  std::string msg = "nob: ";
  msg += what;
  msg += ' ';
  msg += name.empty() ? std::string("(closed handle)") : name;
  if (err == EBADF && closed) msg += " (the handle is closed)";
  throw_system(err, msg);
}

/// A time since a clock's epoch as a timespec, floored for times before the
/// epoch and clamped to what time_t holds (a 32-bit time_t ends in 2038: a
/// later deadline becomes the last representable second, never a negative
/// one that would end a wait at once).
inline timespec to_timespec(std::chrono::nanoseconds since_epoch) noexcept {
  using namespace std::chrono;
  auto s = duration_cast<seconds>(since_epoch);
  auto ns = since_epoch - s;
  if (ns.count() < 0) {  // floor for times before the epoch
    s -= seconds(1);
    ns += seconds(1);
  }
  timespec ts{};
  using sec_t = decltype(ts.tv_sec);
  constexpr auto hi = static_cast<long long>(std::numeric_limits<sec_t>::max());
  constexpr auto lo = static_cast<long long>(std::numeric_limits<sec_t>::min());
  const long long sc = s.count();  // seconds::rep is at least 35 bits: long or long long
  if (sc > hi) {
    ts.tv_sec = std::numeric_limits<sec_t>::max();
    ts.tv_nsec = 999999999L;
  } else if (sc < lo) {
    ts.tv_sec = std::numeric_limits<sec_t>::min();
    ts.tv_nsec = 0;
  } else {
    ts.tv_sec = static_cast<sec_t>(sc);
    ts.tv_nsec = static_cast<long>(ns.count() + 0LL);  // + 0LL: no useless cast where count() is long
  }
  return ts;
}

/// Now on `clock`, in ns since that clock's epoch.
inline std::chrono::nanoseconds now_on(clockid_t clock) noexcept {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

/// `base + d`, rounded up to whole nanoseconds and saturated at the largest
/// representable point instead of overflowing (duration::max() included).
template <class Rep, class Period>
std::chrono::nanoseconds saturating_add(std::chrono::nanoseconds base,
                                        const std::chrono::duration<Rep, Period>& d) noexcept {
  using namespace std::chrono;
  using ld = duration<long double, std::nano>;
  const ld room = ld(nanoseconds::max()) - ld(base);
  const ld want = duration_cast<ld>(d);
  if (!(want < room - ld(1))) return nanoseconds::max();
  if (want < ld(nanoseconds::min()) - ld(base) + ld(1)) return nanoseconds::min();
  return base + ceil<nanoseconds>(want);
}

/// true for the deadline that means "never".
inline bool is_forever(std::chrono::nanoseconds deadline) noexcept {
  return deadline == std::chrono::nanoseconds::max();
}

/// A steady_clock deadline `rel` from now, in ns since steady_clock's epoch
/// (saturated; nanoseconds::max() means forever). Measured with
/// steady_clock::now() itself, so it is right whatever clock the library's
/// steady_clock is built on.
template <class Rep, class Period>
std::chrono::nanoseconds steady_deadline_after(const std::chrono::duration<Rep, Period>& rel) noexcept {
  using namespace std::chrono;
  const nanoseconds now = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch());
  return saturating_add(now, rel);
}

/// Time left until a steady_clock deadline (ns since its epoch), never negative.
inline std::chrono::nanoseconds steady_left(std::chrono::nanoseconds deadline) noexcept {
  using namespace std::chrono;
  const nanoseconds now = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch());
  return deadline > now ? deadline - now : nanoseconds(0);
}

/// A time_point of any clock as ns since its epoch, saturated instead of
/// overflowing (and without float-to-int undefined behaviour for floating
/// or coarse durations such as time_point<..., hours>::min()).
template <class Clock, class Duration>
std::chrono::nanoseconds since_epoch_saturated(
    const std::chrono::time_point<Clock, Duration>& t) noexcept {
  return saturating_add(std::chrono::nanoseconds(0), t.time_since_epoch());
}

/// Writes all of `len` bytes, retrying short writes and EINTR.
inline bool write_all(int fd, const void* data, std::size_t len) noexcept {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

/// Closes a descriptor, keeping errno as it was.
inline void close_keep_errno(int fd) noexcept {
  const int saved = errno;
  ::close(fd);
  errno = saved;
}

/// What opening or creating a file in /dev/shm gave.
struct file_result {
  int fd = -1;            ///< open O_RDWR (or as asked) and O_CLOEXEC; -1 on failure
  dev_t dev = 0;          ///< device of the file, for same_file()
  ino_t ino = 0;          ///< inode of the file, for same_file()
  uid_t uid = 0;          ///< owner of the file
  mode_t mode = 0;        ///< permission bits of the file
  off_t size = 0;         ///< size when opened
  int err = 0;            ///< errno of the failure, 0 on success
  const char* step = "";  ///< the call that failed
};

/// A failed file_result: err and step set, the descriptor (if any) closed.
inline file_result file_error(file_result r, int err, const char* step) noexcept {
  if (r.fd >= 0) ::close(r.fd);
  r.fd = -1;
  r.err = err;
  r.step = step;
  return r;
}

/// Fills dev/ino/uid/mode/size of an open descriptor; false (errno set) on failure.
inline bool fill_stat(file_result& r) noexcept {
  struct stat st {};
  if (::fstat(r.fd, &st) != 0) return false;
  r.dev = st.st_dev;
  r.ino = st.st_ino;
  r.uid = st.st_uid;
  r.mode = st.st_mode;
  r.size = st.st_size;
  return true;
}

/// Opens an existing regular file without following a symlink. `oflags` is
/// O_RDONLY or O_RDWR (plus O_NONBLOCK where a reader must not stall on a
/// lease); anything that is not a regular file is refused with EINVAL.
/// The path may be in a caller's buffer (no allocation: the shm open path of
/// short-lived handles).
inline file_result open_existing_file(const char* path, int oflags) noexcept {
  file_result r;
  r.fd = ::open(path, oflags | O_NOFOLLOW | O_CLOEXEC);
  if (r.fd < 0) return file_error(r, errno, "open");
  if (!fill_stat(r)) return file_error(r, errno, "fstat");
  if (!S_ISREG(r.mode)) return file_error(r, EINVAL, "open (not a regular file)");
  r.mode &= 07777;
  return r;
}

/// As open_existing_file(const char*, int).
inline file_result open_existing_file(const std::string& path, int oflags) noexcept {
  return open_existing_file(path.c_str(), oflags);
}

/// Replaces the trailing XXXXXX of `name` with random letters and digits
/// (for temporary names: a collision only costs another try).
inline void randomize_suffix(std::string& name) noexcept {
  static std::atomic<std::uint64_t> calls{0};
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  std::uint64_t x = (static_cast<std::uint64_t>(::getpid()) << 32) ^
                    static_cast<std::uint64_t>(ts.tv_nsec) ^
                    (static_cast<std::uint64_t>(ts.tv_sec) << 30) ^
                    (calls.fetch_add(1, std::memory_order_relaxed) * 0x9e3779b97f4a7c15u);
  static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (std::size_t i = name.size(); i > 0 && name[i - 1] == 'X'; --i) {
    x += 0x9e3779b97f4a7c15u;  // splitmix64
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    name[i - 1] = chars[z % (sizeof chars - 1)];
  }
}

/// Puts the nameless file `self` (its /proc/self/fd path) in place of
/// whatever `path` names, in one step: linked under a fresh temporary name
/// made from `tmp_template` (same directory), then renamed over `path`
/// (rename(2) replaces atomically: `path` names the old file or the new one,
/// never nothing). A crash between the two calls leaves the complete new
/// file under the temporary name and `path` as it was. 0, or -1 with errno.
inline int replace_with_nameless(const std::string& self, const std::string& path,
                                 const char* tmp_template) noexcept {
  std::string tmp;
  for (int attempt = 0;; ++attempt) {
    tmp = tmp_template;
    randomize_suffix(tmp);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW) == 0) break;
    if (errno != EEXIST || attempt == 100) return -1;
  }
  if (::rename(tmp.c_str(), path.c_str()) == 0) return 0;
  const int err = errno;
  ::unlink(tmp.c_str());
  errno = err;
  return -1;
}

/// Creates `path` exclusively, holding exactly `len` bytes of `init` (or
/// `len` zero bytes when `init` is null), with permission bits exactly `mode`
/// whatever the umask. The file is made with no name (O_TMPFILE), written,
/// given its mode, handed to `before_link(const file_result&)` (which may map
/// it and returns 0 or an errno), and only then linked into place: nobody
/// ever sees it half made, and a crash at any point leaves nothing behind.
/// Where O_TMPFILE or /proc is missing, a named temporary file made from
/// `tmp_template` (ending in XXXXXX, in the same directory) stands in.
/// EEXIST when the name exists, unless `replace`: then the new file takes
/// the name's place in one step (rename(2); see replace_with_nameless() for
/// what a crash in that step leaves). On failure nothing is left under any
/// name.
template <class BeforeLink>
file_result create_exclusive_file(const std::string& path, const char* tmp_template,
                                  const void* init, std::size_t len, mode_t mode,
                                  BeforeLink&& before_link, bool replace = false) noexcept {
  file_result r;
  const std::string dir = path.substr(0, path.rfind('/'));
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool named = attempt == 1;
    std::string tmp = tmp_template;
    r = file_result{};
#ifdef O_TMPFILE
    if (!named) r.fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (!named && r.fd < 0) continue;  // no O_TMPFILE here: use a named file
    if (named) r.fd = ::mkostemp(&tmp[0], O_CLOEXEC);
    if (r.fd < 0) return file_error(r, errno, "create (temporary file)");
    int err = 0;
    const char* step = "";
    bool tmp_named = named;  // the temporary name still exists
    if (init != nullptr ? !write_all(r.fd, init, len) : ::ftruncate(r.fd, static_cast<off_t>(len)) != 0) {
      err = errno;
      step = "write";
    } else if (::fchmod(r.fd, mode) != 0) {
      err = errno;
      step = "fchmod";
    } else if (!fill_stat(r)) {
      err = errno;
      step = "fstat";
    } else if ((err = before_link(static_cast<const file_result&>(r))) != 0) {
      step = "mmap";
    } else {
      int rc;
      if (named) {
        rc = ::link(tmp.c_str(), path.c_str());
        if (rc != 0 && errno == EEXIST && replace && (rc = ::rename(tmp.c_str(), path.c_str())) == 0)
          tmp_named = false;
      } else {
        const std::string self = "/proc/self/fd/" + std::to_string(r.fd);
        rc = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW);
        if (rc != 0 && errno == EEXIST && replace) rc = replace_with_nameless(self, path, tmp_template);
      }
      if (rc != 0) {
        err = errno;
        step = "create";
      }
    }
    if (tmp_named) ::unlink(tmp.c_str());
    if (err == 0) {
      r.mode &= 07777;
      return r;
    }
    r = file_error(r, err, step);
    // ENOENT from linkat: /proc is not mounted; try once more with a named file.
    if (named || err != ENOENT || std::strcmp(step, "create") != 0) return r;
  }
  return r;
}

/// As create_exclusive_file() with nothing to do before the link.
inline file_result create_exclusive_file(const std::string& path, const char* tmp_template,
                                         const void* init, std::size_t len,
                                         mode_t mode) noexcept {
  return create_exclusive_file(path, tmp_template, init, len, mode,
                               [](const file_result&) noexcept { return 0; });
}

/// How many rounds unlink_and_create makes where a name can only be removed
/// and then created, in two steps (sem_open, shm_open, message queues): it
/// unlinks and creates again while someone re-creates the name in between,
/// and fails with EEXIST only after losing this many rounds in a row.
inline constexpr int unlink_and_create_tries = 100;

/// unlink_and_create in two steps: `remove_name()` (0 or the errno; ENOENT
/// counts as done), then `create()` (0 or the errno; EEXIST: the name came
/// back), up to unlink_and_create_tries rounds. 0 or the errno; `step` is
/// set to `unlink_step` when the unlink failed.
template <class RemoveName, class Create>
int unlink_then_create(RemoveName&& remove_name, Create&& create, const char* unlink_step,
                       const char*& step) noexcept {
  for (int round = 1;; ++round) {
    const int gone = remove_name();
    if (gone != 0 && gone != ENOENT) {
      step = unlink_step;
      return gone;
    }
    const int err = create();
    if (err != EEXIST || round == unlink_and_create_tries) return err;
  }
}

/// True when an opened file may be joined under `check` (same_uid: its
/// owner is the effective uid of this process).
inline bool owner_allowed(const file_result& f, owner_check check) noexcept {
  return check != owner_check::same_uid || f.uid == ::geteuid();
}

/// True when `path` (not followed if a symlink) is the file (dev, ino).
inline bool same_file(const std::string& path, dev_t dev, ino_t ino) noexcept {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

/// Removes `path` only while it is still the file (dev, ino): the check and
/// the unlink are two calls, so a re-create by someone who may write the
/// directory could land between them; the window is the few instructions
/// between lstat and unlink. Returns 0, or the errno (ESTALE: another file).
inline int unlink_if_same(const std::string& path, dev_t dev, ino_t ino) noexcept {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno;
  if (st.st_dev != dev || st.st_ino != ino) return ESTALE;
  return ::unlink(path.c_str()) == 0 ? 0 : errno;
}

}  // namespace detail

inline bool is_valid_name(std::string_view name) noexcept {
  std::string_view body;
  return detail::check_name(name, body) == nullptr;
}

inline std::string normalize_name(std::string_view name) {
  std::string_view body;
  if (const char* why = detail::check_name(name, body))
    detail::throw_or_abort(std::invalid_argument("nob: name " + detail::quote(name) + " " + why));
  std::string out;
  out.reserve(body.size() + 1);
  out += '/';
  out += body;
  return out;
}

}  // namespace nob

#endif  // NOB_COMMON_HPP
