///
// nob - POSIX named IPC done right: what every kind of object shares
// Written in 2026 by the nob developers.
//
// The named semaphore, the robust semaphore, shared memory and the message
// queue all take the same names, the same existence policies, the same
// deadlines and raise the same errors. This header is that shared
// vocabulary; each kind's header includes it:
//
//   * names: validated before any system call, normalised to one '/'
//     (normalize_name, is_valid_name; the rules are below);
//   * existence_policy: what a constructor does when the name exists, or not;
//   * owner_check: whether joining an existing object checks its owner;
//   * wait_result: the outcome of one low-level wait step;
//   * the configuration every kind shares (NOB_USE_DEV_SHM, clocks, names).
//
// The machinery behind it is in nob/detail/, one file per concern:
//   errors.hpp          std::system_error / std::invalid_argument, or abort
//                       without exceptions; the error_code twins
//   deadline.hpp        any clock, NaN, saturation, slices: the one engine
//                       every timed call waits through
//   open_by_policy.hpp  the four policies and the argument check, once
//   files.hpp           files in /dev/shm: exclusive creation through a
//                       nameless file linked into place, one-step replace,
//                       no symlink followed, device and inode kept
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

#include <nob/detail/errors.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

///
// Configuration shared by the kinds (each kind's header has its own too).
///

/// 1: semaphores and shared memory are the files in /dev/shm that glibc's
/// sem_open (/dev/shm/sem.NAME) and shm_open (/dev/shm/NAME) use, opened and
/// made by nob itself: exact mode whatever the umask, device and inode kept
/// for the ownership check, a semaphore file checked before it is mapped,
/// shared memory never seen half sized, and unlink_and_create in one step.
/// Linux with glibc only (musl names its semaphore files /dev/shm/NAME and
/// lays out sem_t differently). 0: sem_open / shm_open (portable).
#ifndef NOB_USE_DEV_SHM
#if defined(__linux__) && defined(__GLIBC__)
#define NOB_USE_DEV_SHM 1
#else
#define NOB_USE_DEV_SHM 0
#endif
#endif

/// Longest slice of one wait on CLOCK_REALTIME when a steady deadline is
/// emulated with a call that only knows the wall clock (sem_timedwait,
/// mq_timedsend, mq_timedreceive), and of one wait towards a deadline on a
/// clock nob cannot wait on (re-checked after each), in ms.
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
// The name rules. Everything in namespace detail is private to nob.
///

namespace detail {

/// Longest name after the slash.
inline constexpr std::size_t max_name_length = NOB_MAX_NAME_LENGTH;

inline constexpr bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.';
}

/// is_name_char() of every byte, as a table (one load per byte of a name).
struct name_char_table {
  bool ok[256];
  constexpr name_char_table() noexcept : ok() {
    for (int c = 0; c < 256; ++c) ok[c] = is_name_char(static_cast<char>(c));
  }
};
inline constexpr name_char_table name_chars{};

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
  for (char c : body) {
    if (!name_chars.ok[static_cast<unsigned char>(c)])
      return "may only hold ASCII letters, digits, '-', '_' and '.'";
  }
  if (body.find_first_not_of('.') == std::string_view::npos) return "is only dots";
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

/// "/" + the body of a valid name.
inline std::string slash_and(std::string_view body) {
  std::string out;
  out.reserve(body.size() + 1);
  out += '/';
  out += body;
  return out;
}

/// The checks of every non-throwing open(): true with `out` the normalised
/// name and `ec` clear when `name` is valid and `bad_argument` (the kind's
/// argument check) is null; else false with `ec` invalid_argument.
inline bool checked_name(std::string_view name, const char* bad_argument, std::string& out,
                         std::error_code& ec) noexcept {
  std::string_view body;
  if (check_name(name, body) != nullptr || bad_argument != nullptr) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return false;
  }
  ec.clear();
  out = slash_and(body);
  return true;
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
  return detail::slash_and(body);
}

}  // namespace nob

#endif  // NOB_COMMON_HPP
