///
// nob - fresh names for objects made without one (implementation detail)
//
// Every kind's create_unique() (Python: name=None) asks here for a name that
// no object has yet: "/nob-" and 16 lowercase hex digits, 64 bits from the
// kernel's random source. open_by_policy.hpp's create_under_fresh_name()
// creates exclusively under it and draws again while the name exists.
//
// The random source, in this order:
//   * getrandom(2), through syscall() (no libc symbol needed: glibc before
//     2.25 has no wrapper); it waits only until the kernel's pool is first
//     seeded, early in boot, so a name is never drawn from an unseeded pool;
//   * /dev/urandom, where getrandom is missing (Linux before 3.17) or
//     refused (a seccomp filter, ENOSYS or EPERM);
//   * arc4random_buf on macOS and the BSDs.
// Nothing else: no pid, time or address stands in. A process where every
// source fails gets that errno instead of a name. Guessable names would let
// another user take them first; exclusive creation makes that cost only a
// retry, and the limit on retries makes it an error, never a shared object.
///

#ifndef NOB_DETAIL_FRESH_NAME_HPP
#define NOB_DETAIL_FRESH_NAME_HPP

#include <nob/common.hpp>

#include <fcntl.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/syscall.h>
#endif
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#include <stdlib.h>  // arc4random_buf
#endif

#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>

namespace nob::detail {

/// The start of every fresh name, after the slash.
inline constexpr std::string_view fresh_name_prefix = "nob-";
/// Random bytes in a fresh name (each written as two hex digits).
inline constexpr std::size_t fresh_name_random_bytes = 8;
/// Length of a fresh name after the slash: 20 bytes.
inline constexpr std::size_t fresh_name_length =
    fresh_name_prefix.size() + 2 * fresh_name_random_bytes;

static_assert(fresh_name_length <= max_name_length,
              "NOB_MAX_NAME_LENGTH must leave room for the 20-byte names of create_unique()");

/// What fresh_name() reports as its failing step.
inline constexpr const char* fresh_name_step = "create_unique (no random source: getrandom, /dev/urandom)";

/// Fills `len` bytes from /dev/urandom: 0 or the errno (EIO when it ends early).
inline int read_dev_urandom(unsigned char* out, std::size_t len) noexcept {
  int fd;
  do {
    fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  int err = 0;
  while (len > 0) {
    const ssize_t got = ::read(fd, out, len);
    if (got > 0) {
      out += got;
      len -= static_cast<std::size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      err = got < 0 ? errno : EIO;  // an end of file is no random source
      break;
    }
  }
  ::close(fd);
  return err;
}

/// Fills `len` bytes from the kernel's random source (see the top): 0 or the errno.
inline int random_bytes(unsigned char* out, std::size_t len) noexcept {
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
  ::arc4random_buf(out, len);
  return 0;
#else
#if defined(__linux__) && defined(SYS_getrandom)
  std::size_t done = 0;
  while (done < len) {
    const long got = ::syscall(SYS_getrandom, out + done, len - done, 0);
    if (got > 0) {
      done += static_cast<std::size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // ENOSYS or EPERM: no getrandom here; /dev/urandom then
    }
  }
  if (done == len) return 0;
#endif
  return read_dev_urandom(out, len);
#endif
}

/// Sets `name` to a fresh name, "/nob-" and 16 lowercase hex digits: 0, or
/// the errno of the random source (`name` unchanged).
inline int fresh_name(std::string& name) noexcept {
  unsigned char bytes[fresh_name_random_bytes];
  if (const int err = random_bytes(bytes, sizeof bytes)) return err;
  static const char hex[] = "0123456789abcdef";
  char text[1 + fresh_name_length];
  text[0] = '/';
  fresh_name_prefix.copy(text + 1, fresh_name_prefix.size());
  char* p = text + 1 + fresh_name_prefix.size();
  for (unsigned char b : bytes) {
    *p++ = hex[b >> 4];
    *p++ = hex[b & 15];
  }
  name.assign(text, sizeof text);
  return 0;
}

}  // namespace nob::detail

#endif  // NOB_DETAIL_FRESH_NAME_HPP
