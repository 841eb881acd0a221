///
// nob - POSIX named shared memory done right
// Written in 2026 by the nob developers.
//
// A header-only, move-only RAII handle over a POSIX shared memory object
// (what shm_open / shm_unlink name), mapped whole, with the conventions of
// nob::named_semaphore: existence policies, name rules, ownership, exact
// mode, std::system_error / std::invalid_argument.
//
//   #include <nob/shared_memory.hpp>
//   nob::named_shared_memory shm("/frames", nob::existence_policy::link_or_create, 4096);
//   auto* bytes = static_cast<unsigned char*>(shm.data());   // shm.size() bytes
//
// What it guarantees, in short:
//  * names are validated before any system call and normalised to one '/';
//  * creation is exclusive and race-free, and the handle knows whether it
//    created the object; on Linux the object is made with no name, sized,
//    given exactly `mode` (whatever the umask) and mapped, and only then
//    linked into place: nobody ever sees it half sized, and a crash at any
//    point leaves nothing behind (unlink_and_create that finds the name
//    re-created after its unlink replaces it in one step, through a
//    temporary name: see docs/semantics.md);
//  * the handle that created a name unlinks it on close, only in the
//    creating process, at most once, and only while the name still refers to
//    the very object it opened (device and inode are compared on Linux);
//  * `size` matters only when the call creates: linking maps the object as
//    it is (size() tells how big);
//  * read_only: opened O_RDONLY and mapped PROT_READ;
//  * owner_check::same_uid refuses (permission_denied, "owned by another
//    user") to open an existing object whose owner is not geteuid(): checked
//    with fstat on the open descriptor, before mapping, so it cannot be
//    raced; a refused open closes what it opened and unlinks nothing.
//
// On Linux the object is /dev/shm/NAME, exactly what glibc's shm_open uses,
// so C programs, posix_ipc and every other shm_open user see the same
// objects. nob opens that file itself (never following a symlink), which
// gives it the device and inode for the ownership check and an exact mode.
// Parameter order: as the Python NamedSharedMemory(name, size, read_only,
// handle_existence, ..., mode), with the policy second as in named_semaphore.
///

#ifndef NOB_SHARED_MEMORY_HPP
#define NOB_SHARED_MEMORY_HPP

#include <nob/common.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

///
// Configuration.
///

/// 1: open /dev/shm/NAME directly (Linux: exact mode, inode check, no half
/// sized object ever visible). 0: go through shm_open/shm_unlink (portable;
/// no inode check, the object is sized after it is named). The semaphore
/// header has the same macro with the same default.
#ifndef NOB_USE_DEV_SHM
#if defined(__linux__)
#define NOB_USE_DEV_SHM 1
#else
#define NOB_USE_DEV_SHM 0
#endif
#endif

namespace nob {

/// A handle on one POSIX shared memory object, mapped whole: move-only,
/// unmaps and closes on destruction and unlinks the name when it owns it
/// (see unlink_on_destroy()).
class named_shared_memory {
 public:
  /// Opens or creates `name` under `policy` and maps it whole. `size` (bytes)
  /// and `mode` only matter when this call creates (mode is applied exactly,
  /// whatever the umask); `read_only` opens O_RDONLY and maps PROT_READ.
  /// owner_check::same_uid refuses (permission_denied) to open an existing
  /// object another user owns; creating is not affected.
  explicit named_shared_memory(std::string_view name,
                               existence_policy policy = existence_policy::raise_if_not_exists,
                               std::size_t size = 0, bool read_only = false, mode_t mode = 0600,
                               owner_check check = owner_check::any_owner);
  /// Takes over `other`; the moved-from handle owns nothing.
  named_shared_memory(named_shared_memory&& other) noexcept;
  /// Closes this handle (as close()) and takes over `other`.
  named_shared_memory& operator=(named_shared_memory&& other) noexcept;
  named_shared_memory(const named_shared_memory&) = delete;
  named_shared_memory& operator=(const named_shared_memory&) = delete;
  /// Same as close().
  ~named_shared_memory();

  /// The first byte of the mapping; nullptr when size() is 0 or closed.
  void* data() const noexcept { return data_; }
  /// Bytes mapped: the object's size when it was opened (0 when closed).
  std::size_t size() const noexcept { return size_; }
  /// True when opened O_RDONLY and mapped PROT_READ.
  bool read_only() const noexcept { return read_only_; }

  /// The normalised name, with its leading '/' (empty after a move).
  const std::string& name() const noexcept { return name_; }
  /// True when the constructor opened an object that existed; false when it created one.
  bool linked_existing() const noexcept { return linked_existing_; }
  /// True when close() will unlink the name (defaults to "this handle created it").
  bool unlink_on_destroy() const noexcept { return unlink_on_destroy_; }
  /// Chooses whether close() unlinks the name. Turning it on for a handle
  /// that linked makes the calling process the one allowed to unlink.
  void unlink_on_destroy(bool on) noexcept {
    if (on && owner_pid_ == 0) owner_pid_ = ::getpid();
    unlink_on_destroy_ = on;
  }
  /// Removes the name now (the memory lives on while mapped or open).
  void unlink();
  /// Removes `name`; returns false if there was none.
  static bool remove(std::string_view name);
  /// True when a shared memory object called `name` exists.
  static bool exists(std::string_view name);
  /// Unmaps, closes, and unlinks the name when unlink_on_destroy(); idempotent, never throws.
  void close() noexcept;
  /// True until close() or a move.
  bool is_open() const noexcept { return fd_ >= 0; }
  /// The file descriptor (for fstat, mmap of your own, ...; do not close it); -1 when closed.
  int native_handle() const noexcept { return fd_; }

 private:
  void check_open(const char* what) const;
  [[noreturn]] void throw_errno(int err, const char* what) const;
  bool still_same_object() const noexcept;

  void* data_ = nullptr;
  std::size_t size_ = 0;
  int fd_ = -1;
  std::string name_;
  pid_t owner_pid_ = 0;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool read_only_ = false;
  bool linked_existing_ = false;
  bool unlink_on_destroy_ = false;
  bool unlinked_ = false;
};

///
// Implementation. Everything below is inline; nothing here is public API
// except through the declarations above.
///

namespace detail {

/// What opening or creating a shared memory object gave.
struct shm_opened {
  file_result file;       ///< fd, dev, ino, size; err and step on failure
  void* data = nullptr;   ///< the mapping (null for size 0)
  std::size_t size = 0;   ///< bytes mapped
};

/// Maps `size` bytes of `fd` (nothing for 0); 0 or the errno.
inline int map_shm(int fd, std::size_t size, bool read_only, void*& data) noexcept {
  data = nullptr;
  if (size == 0) return 0;
  void* p = ::mmap(nullptr, size, read_only ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED,
                   fd, 0);
  if (p == MAP_FAILED) return errno;
  data = p;
  return 0;
}

/// Maps the whole of an opened object (its size from f.size); under
/// owner_check::same_uid an object owned by another uid (f.uid, from fstat
/// of the descriptor) is refused with EACCES before anything is mapped.
inline shm_opened map_whole(file_result f, bool read_only, owner_check check) noexcept {
  shm_opened o;
  if (f.err == 0 && !owner_allowed(f, check))
    f = file_error(f, EACCES, "open (owned by another user)");
  if (f.err == 0 && static_cast<std::uintmax_t>(f.size) > std::numeric_limits<std::size_t>::max())
    f = file_error(f, EFBIG, "mmap (object larger than the address space)");
  if (f.err == 0) {
    const int err = map_shm(f.fd, static_cast<std::size_t>(f.size), read_only, o.data);
    if (err != 0) f = file_error(f, err, "mmap");
  }
  if (f.err == 0) o.size = static_cast<std::size_t>(f.size);
  o.file = f;
  return o;
}

#if NOB_USE_DEV_SHM
/// "/dev/shm/NAME" for a normalised "/NAME" (where glibc's shm_open looks).
inline std::string shm_object_path(const std::string& normalized) {
  return "/dev/shm" + normalized;
}

/// "/dev/shm/NAME" for a normalised "/NAME" in a buffer of its own: opening
/// an existing object then allocates nothing for its path (glibc's shm_open
/// uses a stack buffer too).
class shm_path_buffer {
 public:
  explicit shm_path_buffer(const std::string& normalized) noexcept {
    constexpr std::size_t prefix = sizeof("/dev/shm") - 1;
    const std::size_t n = std::min(normalized.size(), sizeof(text_) - prefix - 1);
    std::memcpy(text_, "/dev/shm", prefix);
    std::memcpy(text_ + prefix, normalized.data(), n);
    text_[prefix + n] = '\0';
  }
  /// The path, NUL-terminated.
  const char* c_str() const noexcept { return text_; }

 private:
  char text_[sizeof("/dev/shm") + NOB_MAX_NAME_LENGTH + 1];  // + '/' of the name
};

/// Opens an existing object without following a symlink and maps it whole.
/// Read-only opens add O_NONBLOCK: a FIFO put in place of the name would
/// otherwise block the open until a writer came (it is then refused as not
/// a regular file, as anything else is).
inline shm_opened open_existing_shm(const char* path, bool read_only,
                                    owner_check check) noexcept {
  return map_whole(open_existing_file(path, read_only ? O_RDONLY | O_NONBLOCK : O_RDWR),
                   read_only, check);
}

/// Creates the object exclusively (detail::create_exclusive_file): sized,
/// exact mode and mapped before its name appears. With read_only, the
/// descriptor kept is a read-only one of the same file (through
/// /proc/self/fd; the creating one is kept when /proc is missing).
/// `replace`: an existing name is replaced in one step instead of EEXIST.
inline shm_opened create_exclusive_shm(const std::string& path, std::size_t size, bool read_only,
                                       mode_t mode, bool replace = false) noexcept {
  shm_opened o;
  o.file = create_exclusive_file(
      path, "/dev/shm/nob-shm-XXXXXX", nullptr, size, mode,
      [&o, size, read_only](const file_result& made) noexcept {
        return map_shm(made.fd, size, read_only, o.data);
      },
      replace);
  if (o.file.err != 0) {
    if (o.data != nullptr) ::munmap(o.data, size);
    o.data = nullptr;
    return o;
  }
  o.size = size;
  if (read_only) {
    const std::string self = "/proc/self/fd/" + std::to_string(o.file.fd);
    const int ro = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
    if (ro >= 0) {
      ::close(o.file.fd);
      o.file.fd = ro;
    }
  }
  return o;
}
#else
/// shm_open, then the whole object mapped; `oflag` holds the access and
/// O_CREAT | O_EXCL when creating (then sized, and its mode made exact);
/// `check` applies to an object that existed (map_whole).
inline shm_opened shm_open_and_map(const std::string& name, int oflag, std::size_t size,
                                   bool read_only, mode_t mode, owner_check check) noexcept {
  file_result f;
  f.fd = ::shm_open(name.c_str(), oflag, mode);
  if (f.fd < 0) return shm_opened{file_error(f, errno, "shm_open")};
  const bool creating = (oflag & O_CREAT) != 0;
  if (creating && ::fchmod(f.fd, mode) != 0) {
    f = file_error(f, errno, "fchmod");
  } else if (creating && size > 0 && ::ftruncate(f.fd, static_cast<off_t>(size)) != 0) {
    f = file_error(f, errno, "ftruncate");
  } else if (!fill_stat(f)) {
    f = file_error(f, errno, "fstat");
  }
  if (f.err != 0) {
    if (creating) ::shm_unlink(name.c_str());
    return shm_opened{f};
  }
  shm_opened o = map_whole(f, read_only, creating ? owner_check::any_owner : check);
  if (o.file.err != 0 && creating) ::shm_unlink(name.c_str());
  return o;
}
#endif  // NOB_USE_DEV_SHM

}  // namespace detail

inline named_shared_memory::named_shared_memory(std::string_view name, existence_policy policy,
                                                std::size_t size, bool read_only, mode_t mode,
                                                owner_check check)
    : name_(normalize_name(name)), read_only_(read_only) {
  if (static_cast<unsigned>(policy) > static_cast<unsigned>(existence_policy::unlink_and_create))
    throw std::invalid_argument("nob: unknown existence_policy for " + name_);
  if (static_cast<unsigned>(check) > static_cast<unsigned>(owner_check::same_uid))
    throw std::invalid_argument("nob: unknown owner_check for " + name_);
  if ((mode & ~static_cast<mode_t>(0777)) != 0)
    throw std::invalid_argument("nob: mode must be permission bits (0 to 0777) for " + name_);
  if (static_cast<std::uintmax_t>(size) >
      static_cast<std::uintmax_t>(std::numeric_limits<off_t>::max()))
    throw std::invalid_argument("nob: size " + std::to_string(size) + " is too large for " + name_);

#if NOB_USE_DEV_SHM
  const detail::shm_path_buffer path(name_);
  auto create = [&](bool replace = false) {
    return detail::create_exclusive_shm(path.c_str(), size, read_only, mode, replace);
  };
  auto open = [&] { return detail::open_existing_shm(path.c_str(), read_only, check); };
  auto remove_name = [&] { return ::unlink(path.c_str()); };
#else
  const int access = read_only ? O_RDONLY : O_RDWR;
  // Creating needs a writable descriptor to size the object; a read-only
  // handle then keeps it (there is no /proc to reopen through portably).
  auto create = [&] {
    return detail::shm_open_and_map(name_, O_RDWR | O_CREAT | O_EXCL, size, read_only, mode,
                                    owner_check::any_owner);
  };
  auto open = [&] { return detail::shm_open_and_map(name_, access, 0, read_only, 0, check); };
  auto remove_name = [&] { return ::shm_unlink(name_.c_str()); };
#endif
  detail::shm_opened o;
  switch (policy) {
    case existence_policy::raise_if_exists:
      o = create();
      break;
    case existence_policy::raise_if_not_exists:
      o = open();
      linked_existing_ = o.file.err == 0;
      break;
    case existence_policy::unlink_and_create: {
#if NOB_USE_DEV_SHM
      // Unlink, then create; a name someone re-created in between is
      // replaced in one step (rename), so this never fails with EEXIST.
      if (remove_name() != 0 && errno != ENOENT) throw_errno(errno, "unlink");
      o = create(true);
#else
      // shm_open cannot replace a name: a bounded number of rounds.
      const char* step = "";
      if (const int err = detail::unlink_then_create(
              [&] { return remove_name() == 0 ? 0 : errno; },
              [&] { return (o = create()).file.err; }, "unlink", step);
          err != 0 && *step != '\0')
        throw_errno(err, step);
#endif
      break;
    }
    case existence_policy::link_or_create:
      for (;;) {  // exclusive create, else open, else it vanished: again
        o = create();
        if (o.file.err != EEXIST) break;
        o = open();
        if (o.file.err != ENOENT) {
          linked_existing_ = o.file.err == 0;
          break;
        }
      }
      break;
  }
  if (o.file.err != 0) throw_errno(o.file.err, o.file.step);
  fd_ = o.file.fd;
  dev_ = o.file.dev;
  ino_ = o.file.ino;
  data_ = o.data;
  size_ = o.size;
  if (!linked_existing_) owner_pid_ = ::getpid();  // a linker pays no getpid()
  unlink_on_destroy_ = !linked_existing_;
}

inline named_shared_memory::named_shared_memory(named_shared_memory&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      owner_pid_(other.owner_pid_),
      dev_(other.dev_),
      ino_(other.ino_),
      read_only_(other.read_only_),
      linked_existing_(other.linked_existing_),
      unlink_on_destroy_(std::exchange(other.unlink_on_destroy_, false)),
      unlinked_(other.unlinked_) {
  other.name_.clear();
}

inline named_shared_memory& named_shared_memory::operator=(named_shared_memory&& other) noexcept {
  if (this != &other) {
    close();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
    other.name_.clear();
    owner_pid_ = other.owner_pid_;
    dev_ = other.dev_;
    ino_ = other.ino_;
    read_only_ = other.read_only_;
    linked_existing_ = other.linked_existing_;
    unlink_on_destroy_ = std::exchange(other.unlink_on_destroy_, false);
    unlinked_ = other.unlinked_;
  }
  return *this;
}

inline named_shared_memory::~named_shared_memory() { close(); }

inline void named_shared_memory::check_open(const char* what) const {
  if (fd_ < 0) throw_errno(EBADF, what);
}

inline void named_shared_memory::throw_errno(int err, const char* what) const {
  detail::throw_errno_for(err, what, name_, fd_ < 0);
}

inline bool named_shared_memory::still_same_object() const noexcept {
#if NOB_USE_DEV_SHM
  return detail::same_file(detail::shm_object_path(name_), dev_, ino_);
#else
  return true;  // no way to tell: trust the name
#endif
}

inline void named_shared_memory::close() noexcept {
  if (fd_ < 0) return;
  if (unlink_on_destroy_ && !unlinked_ && owner_pid_ == ::getpid() && still_same_object()) {
#if NOB_USE_DEV_SHM
    ::unlink(detail::shm_object_path(name_).c_str());
#else
    ::shm_unlink(name_.c_str());
#endif
  }
  if (data_ != nullptr) ::munmap(data_, size_);
  ::close(fd_);
  data_ = nullptr;
  size_ = 0;
  fd_ = -1;
}

inline void named_shared_memory::unlink() {
  check_open("unlink");
#if NOB_USE_DEV_SHM
  const int rc = ::unlink(detail::shm_object_path(name_).c_str());
#else
  const int rc = ::shm_unlink(name_.c_str());
#endif
  if (rc != 0) throw_errno(errno, "unlink");
  unlinked_ = true;
}

inline bool named_shared_memory::remove(std::string_view name) {
  const std::string n = normalize_name(name);
#if NOB_USE_DEV_SHM
  const int rc = ::unlink(detail::shm_object_path(n).c_str());
#else
  const int rc = ::shm_unlink(n.c_str());
#endif
  if (rc == 0) return true;
  if (errno == ENOENT) return false;
  detail::throw_system(errno, "nob: unlink " + n);
}

inline bool named_shared_memory::exists(std::string_view name) {
  const std::string n = normalize_name(name);
#if NOB_USE_DEV_SHM
  struct stat st {};
  if (::lstat(detail::shm_object_path(n).c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  detail::throw_system(errno, "nob: stat " + n);
#else
  const int fd = ::shm_open(n.c_str(), O_RDONLY, 0);
  if (fd >= 0) {
    ::close(fd);
    return true;
  }
  if (errno == ENOENT) return false;
  if (errno == EACCES) return true;
  detail::throw_system(errno, "nob: shm_open " + n);
#endif
}

}  // namespace nob

#endif  // NOB_SHARED_MEMORY_HPP
