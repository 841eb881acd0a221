///
// nob - files in /dev/shm (implementation detail)
//
// Where nob makes and opens its objects' files itself (semaphores with
// NOB_USE_DEV_SHM, shared memory, robust semaphores), it does it here:
//   * exclusive creation through a nameless file (O_TMPFILE) that is
//     written, given its exact mode (whatever the umask) and mapped before
//     it is linked into place: never seen half made, nothing left by a crash;
//   * or the same file put in place of an existing name in one step
//     (rename(2), for unlink_and_create);
//   * opening never follows a symlink and refuses anything but a regular
//     file;
//   * device and inode kept, so that a name re-created by someone else is
//     recognised (same_file, unlink_if_same).
///

#ifndef NOB_DETAIL_FILES_HPP
#define NOB_DETAIL_FILES_HPP

#include <nob/common.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace nob::detail {

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

/// A path in a buffer of its own, "<dir>/<prefix><name>" for a normalised
/// "/name": no allocation on the open and close paths of short-lived handles.
class path_buffer {
 public:
  path_buffer(std::string_view dir, std::string_view prefix, std::string_view normalized) noexcept {
    append(dir);
    append("/");
    append(prefix);
    append(normalized.substr(normalized.empty() || normalized[0] != '/' ? 0 : 1));
  }
  /// The path, NUL-terminated.
  const char* c_str() const noexcept { return text_; }

 private:
  void append(std::string_view s) noexcept {
    const std::size_t n = s.size() < sizeof(text_) - 1 - len_ ? s.size() : sizeof(text_) - 1 - len_;
    std::memcpy(text_ + len_, s.data(), n);
    len_ += n;
    text_[len_] = '\0';
  }
  char text_[64 + NOB_MAX_NAME_LENGTH + 1];  // a directory, a prefix, the name (not zeroed)
  std::size_t len_ = 0;
};

/// "/proc/self/fd/N" for a descriptor.
class proc_fd_path {
 public:
  explicit proc_fd_path(int fd) noexcept {
    char digits[16];
    int n = 0;
    unsigned v = static_cast<unsigned>(fd);
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    std::memcpy(text_, "/proc/self/fd/", 14);
    for (int i = 0; i < n; ++i) text_[14 + i] = digits[n - 1 - i];
    text_[14 + n] = '\0';
  }
  const char* c_str() const noexcept { return text_; }

 private:
  char text_[32];
};

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

/// Set once linkat(fd, "", ..., AT_EMPTY_PATH) was refused (it needs
/// CAP_DAC_READ_SEARCH before Linux 6.10): later links go through /proc
/// at once.
inline std::atomic<bool> empty_path_link_refused{false};

/// Links the nameless file `fd` as `path`: 0, or -1 with errno (EEXIST when
/// the name exists). linkat(AT_EMPTY_PATH) where allowed, else through
/// /proc/self/fd (ENOENT there: /proc is not mounted).
inline int link_nameless(int fd, const char* path) noexcept {
#ifdef AT_EMPTY_PATH
  if (!empty_path_link_refused.load(std::memory_order_relaxed)) {
    if (::linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0) return 0;
    if (errno != ENOENT) return -1;
    empty_path_link_refused.store(true, std::memory_order_relaxed);
  }
#endif
  const proc_fd_path self(fd);
  return ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

/// Puts the nameless file `fd` in place of whatever `path` names, in one
/// step: linked under a fresh temporary name made from `tmp_template` (same
/// directory, ending in XXXXXX), then renamed over `path` (rename(2)
/// replaces atomically: `path` names the old file or the new one, never
/// nothing). A crash between the two calls leaves the complete new file
/// under the temporary name and `path` as it was. 0, or -1 with errno.
inline int replace_with_nameless(int fd, const char* path, const char* tmp_template) noexcept {
  std::string tmp;
  for (int attempt = 0;; ++attempt) {
    tmp = tmp_template;
    randomize_suffix(tmp);
    if (link_nameless(fd, tmp.c_str()) == 0) break;
    if (errno != EEXIST || attempt == 100) return -1;
  }
  if (::rename(tmp.c_str(), path) == 0) return 0;
  const int err = errno;
  ::unlink(tmp.c_str());
  errno = err;
  return -1;
}

/// The directory part of `path` ("/dev/shm" of "/dev/shm/x").
class dir_of {
 public:
  explicit dir_of(const char* path) noexcept {
    const char* slash = std::strrchr(path, '/');
    std::size_t n = slash == nullptr ? 0 : static_cast<std::size_t>(slash - path);
    if (n >= sizeof(text_)) n = sizeof(text_) - 1;
    std::memcpy(text_, path, n);
    text_[n] = '\0';
  }
  const char* c_str() const noexcept { return text_; }

 private:
  char text_[256];
};

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
file_result create_exclusive_file(const char* path, const char* tmp_template, const void* init,
                                  std::size_t len, mode_t mode, BeforeLink&& before_link,
                                  bool replace = false) noexcept {
  file_result r;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool named = attempt == 1;
    std::string tmp;
    r = file_result{};
#ifdef O_TMPFILE
    // Made with `mode` itself: fchmod below only where the umask took bits away.
    if (!named) r.fd = ::open(dir_of(path).c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
#endif
    if (!named && r.fd < 0) continue;  // no O_TMPFILE here: use a named file
    if (named) {
      tmp = tmp_template;
      r.fd = ::mkostemp(&tmp[0], O_CLOEXEC);
    }
    if (r.fd < 0) return file_error(r, errno, "create (temporary file)");
    int err = 0;
    const char* step = "";
    bool tmp_named = named;  // the temporary name still exists
    if (!fill_stat(r)) {
      err = errno;
      step = "fstat";
    } else if ((r.mode & 07777) != mode && ::fchmod(r.fd, mode) != 0) {
      err = errno;
      step = "fchmod";
    } else if (init != nullptr ? !write_all(r.fd, init, len)
                               : len > 0 && ::ftruncate(r.fd, static_cast<off_t>(len)) != 0) {
      err = errno;
      step = "write";
    } else {
      r.mode = mode;
      r.size = static_cast<off_t>(len);
      if ((err = before_link(static_cast<const file_result&>(r))) != 0) {
        step = "mmap";
      } else {
        int rc;
        if (named) {
          rc = ::link(tmp.c_str(), path);
          if (rc != 0 && errno == EEXIST && replace && (rc = ::rename(tmp.c_str(), path)) == 0)
            tmp_named = false;
        } else {
          rc = link_nameless(r.fd, path);
          if (rc != 0 && errno == EEXIST && replace)
            rc = replace_with_nameless(r.fd, path, tmp_template);
        }
        if (rc != 0) {
          err = errno;
          step = "create";
        }
      }
    }
    if (tmp_named) ::unlink(tmp.c_str());
    if (err == 0) return r;
    r = file_error(r, err, step);
    // ENOENT from linkat: /proc is not mounted; try once more with a named file.
    if (named || err != ENOENT || std::strcmp(step, "create") != 0) return r;
  }
  return r;
}

/// As create_exclusive_file() for a path in a std::string.
template <class BeforeLink>
file_result create_exclusive_file(const std::string& path, const char* tmp_template,
                                  const void* init, std::size_t len, mode_t mode,
                                  BeforeLink&& before_link, bool replace = false) noexcept {
  return create_exclusive_file(path.c_str(), tmp_template, init, len, mode, before_link, replace);
}

/// As create_exclusive_file() with nothing to do before the link.
inline file_result create_exclusive_file(const std::string& path, const char* tmp_template,
                                         const void* init, std::size_t len,
                                         mode_t mode) noexcept {
  return create_exclusive_file(path.c_str(), tmp_template, init, len, mode,
                               [](const file_result&) noexcept { return 0; });
}

/// True when an opened file may be joined under `check` (same_uid: its
/// owner is the effective uid of this process).
inline bool owner_allowed(const file_result& f, owner_check check) noexcept {
  return check != owner_check::same_uid || f.uid == ::geteuid();
}

/// True when `path` (not followed if a symlink) is the file (dev, ino).
inline bool same_file(const char* path, dev_t dev, ino_t ino) noexcept {
  struct stat st {};
  if (::lstat(path, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

/// As same_file(const char*, dev_t, ino_t).
inline bool same_file(const std::string& path, dev_t dev, ino_t ino) noexcept {
  return same_file(path.c_str(), dev, ino);
}

/// Removes `path` only while it is still the file (dev, ino): the check and
/// the unlink are two calls, so a re-create by someone who may write the
/// directory could land between them; the window is the few instructions
/// between lstat and unlink. Returns 0, or the errno (ESTALE: another file).
inline int unlink_if_same(const char* path, dev_t dev, ino_t ino) noexcept {
  struct stat st {};
  if (::lstat(path, &st) != 0) return errno;
  if (st.st_dev != dev || st.st_ino != ino) return ESTALE;
  return ::unlink(path) == 0 ? 0 : errno;
}

/// As unlink_if_same(const char*, dev_t, ino_t).
inline int unlink_if_same(const std::string& path, dev_t dev, ino_t ino) noexcept {
  return unlink_if_same(path.c_str(), dev, ino);
}

}  // namespace nob::detail

#endif  // NOB_DETAIL_FILES_HPP
