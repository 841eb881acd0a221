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
// NOB_USE_DEV_SHM (common.hpp) chooses between /dev/shm and shm_open.
//
// This header is the class; the machinery is in nob/detail/ (shm.hpp for
// opening, making and mapping; files.hpp, open_by_policy.hpp, errors.hpp).
///

#ifndef NOB_SHARED_MEMORY_HPP
#define NOB_SHARED_MEMORY_HPP

#include <nob/common.hpp>
#include <nob/detail/errors.hpp>
#include <nob/detail/files.hpp>
#include <nob/detail/open_by_policy.hpp>
#include <nob/detail/ownership.hpp>
#include <nob/detail/shm.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace nob {

namespace detail { struct shm_opener; }  // the kind's calls, defined below

/// A handle on one POSIX shared memory object, mapped whole: move-only,
/// unmaps and closes on destruction and unlinks the name when it owns it
/// (see unlink_on_destroy()).
class named_shared_memory : public detail::named_object<detail::shm_opener> {
 public:
  /// Opens or creates `name` under `policy` and maps it whole. `size` (bytes)
  /// and `mode` only matter when this call creates (mode is applied exactly,
  /// whatever the umask); `read_only` opens O_RDONLY and maps PROT_READ.
  /// owner_check::same_uid refuses (permission_denied) to open an existing
  /// object another user owns; creating is not affected.
  /// shm_allocation::at_create allocates every byte when this call creates
  /// (a full /dev/shm: no_space_on_device, nothing left); the default, lazy,
  /// leaves pages to their first touch, which raises SIGBUS when none is free.
  explicit named_shared_memory(std::string_view name,
                               existence_policy policy = existence_policy::raise_if_not_exists,
                               std::size_t size = 0, bool read_only = false, mode_t mode = 0600,
                               owner_check check = owner_check::any_owner,
                               shm_allocation allocation = shm_allocation::lazy);
  /// As the constructor, without exceptions: the handle, or std::nullopt
  /// with `ec` set (invalid_argument for a bad argument, else the errno).
  static std::optional<named_shared_memory> open(
      std::string_view name, std::error_code& ec,
      existence_policy policy = existence_policy::raise_if_not_exists, std::size_t size = 0,
      bool read_only = false, mode_t mode = 0600, owner_check check = owner_check::any_owner,
      shm_allocation allocation = shm_allocation::lazy) noexcept;
  /// Creates an object of `size` bytes under a fresh name that no shared
  /// memory object has ("/nob-" and 16 random hex digits; name() tells it):
  /// exclusively, drawing another name while one exists, and maps it
  /// (`allocation` as for the constructor: at_create allocates every byte
  /// first, so a full /dev/shm is ENOSPC here rather than SIGBUS later). The
  /// handle owns the name (unlink_on_destroy() is true). Throws file_exists
  /// after a bounded number of names that all existed, and the random
  /// source's errno when it has none (docs/semantics.md, "Fresh names").
  static named_shared_memory create_unique(std::size_t size = 0, bool read_only = false,
                                           mode_t mode = 0600,
                                           shm_allocation allocation = shm_allocation::lazy);
  /// As create_unique(), without exceptions: the handle, or std::nullopt
  /// with `ec` set (invalid_argument for a bad argument, else the errno).
  static std::optional<named_shared_memory> create_unique(std::error_code& ec,
                                                          std::size_t size = 0,
                                                          bool read_only = false,
                                                          mode_t mode = 0600,
                                                          shm_allocation allocation =
                                                              shm_allocation::lazy) noexcept;
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

  // name(), linked_existing(), unlink_on_destroy() and the static remove(name)
  // and exists(name): detail::named_object (nob/detail/ownership.hpp), the same for every kind.
  /// Removes the name now (the memory lives on while mapped or open).
  void unlink();
  /// Unmaps, closes, and unlinks the name when unlink_on_destroy(); idempotent, never throws.
  void close() noexcept;
  /// True until close() or a move.
  bool is_open() const noexcept { return fd_ >= 0; }
  /// The file descriptor (for fstat, mmap of your own, ...; do not close it); -1 when closed.
  int native_handle() const noexcept { return fd_; }

 private:
  named_shared_memory() noexcept = default;
  static const char* check_arguments(existence_policy policy, std::size_t size, mode_t mode,
                                     shm_allocation allocation,
                                     owner_check check) noexcept;
  int open_as(existence_policy policy, std::size_t size, mode_t mode, owner_check check,
              shm_allocation allocation,
              const char*& step) noexcept;
  int create_unique_as(std::size_t size, mode_t mode, shm_allocation allocation,
                       const char*& step) noexcept;
  void check_open(const char* what) const;
  [[noreturn]] void throw_errno(int err, const char* what) const;

  void* data_ = nullptr;
  std::size_t size_ = 0;
  int fd_ = -1;
  bool read_only_ = false;
};

///
// Implementation: short inline bodies over nob/detail/. Everything in
// namespace detail is private to nob.
///

namespace detail {

/// named_shared_memory's three calls for open_by_policy(), and what they opened.
struct shm_opener {
  /// link_or_create creates first (exclusive create, else open), the
  /// contract's order: making an object writes no data, so unlike a
  /// semaphore file it is not stopped by a full /dev/shm.
  static constexpr bool opens_first = false;
#if NOB_USE_DEV_SHM
  /// nob makes the file itself: a fresh file can be renamed over a name.
  static constexpr bool replace_in_one_step = true;
  static constexpr const char* remove_step = "unlink";
  path_buffer path;
#else
  /// shm_open cannot put an object in place of a name.
  static constexpr bool replace_in_one_step = false;
  /// Bounded, so that two such callers cannot make each other spin for ever.
  static constexpr int unlink_rounds = unlink_and_create_tries;
  static constexpr const char* remove_step = "shm_unlink";
  const char* path;
#endif
  std::size_t size;
  bool read_only;
  mode_t mode;
  owner_check check;
  bool allocate;  ///< shm_allocation::at_create
  shm_opened got{};

  int open(const char*& step) noexcept {
#if NOB_USE_DEV_SHM
    return take(open_shm_file(path.c_str(), read_only, check), step);
#else
    return take(shm_open_and_map(path, read_only ? O_RDONLY : O_RDWR, 0, read_only, 0, check, false),
                step);
#endif
  }
  int create(bool replace, const char*& step) noexcept {
#if NOB_USE_DEV_SHM
    return take(create_shm_file(path.c_str(), size, read_only, mode, replace, allocate), step);
#else
    // Creating needs a writable descriptor to size the object; a read-only
    // handle then keeps it (there is no /proc to reopen through portably).
    (void)replace;
    return take(shm_open_and_map(path, O_RDWR | O_CREAT | O_EXCL, size, read_only, mode,
                                 owner_check::any_owner, allocate),
                step);
#endif
  }
  int remove_name() noexcept {
#if NOB_USE_DEV_SHM
    return errno_unless(::unlink(path.c_str()) == 0);
#else
    return errno_unless(::shm_unlink(path) == 0);
#endif
  }
  /// remove(name) and exists(name).
  static int unlink_name(const std::string& n) noexcept {
#if NOB_USE_DEV_SHM
    return errno_unless(::unlink(shm_file_path(n).c_str()) == 0);
#else
    return errno_unless(::shm_unlink(n.c_str()) == 0);
#endif
  }
#if NOB_USE_DEV_SHM
  static constexpr const char* probe_step = "stat";
#else
  static constexpr const char* probe_step = "shm_open";
#endif
  static int probe_name(const std::string& n) noexcept {
#if NOB_USE_DEV_SHM
    struct stat st {};
    return errno_unless(::lstat(shm_file_path(n).c_str(), &st) == 0);
#else
    const int fd = ::shm_open(n.c_str(), O_RDONLY, 0);
    if (fd >= 0) ::close(fd);
    return fd >= 0 || errno == EACCES ? 0 : errno;  // EACCES: someone else's
#endif
  }
  int take(const shm_opened& o, const char*& step) noexcept {
    got = o;
    if (o.file.err != 0) step = o.file.step;
    return o.file.err;
  }
};

}  // namespace detail

inline const char* named_shared_memory::check_arguments(existence_policy policy, std::size_t size,
                                                        mode_t mode, shm_allocation allocation,
                                                        owner_check check) noexcept {
  if (const char* why = detail::check_open_arguments(policy, mode, check)) return why;
  if (allocation != shm_allocation::lazy && allocation != shm_allocation::at_create)
    return "invalid shm_allocation";
  if (static_cast<std::uintmax_t>(size) >
      static_cast<std::uintmax_t>(std::numeric_limits<off_t>::max()))
    return "size is larger than off_t holds";
  return nullptr;
}

inline named_shared_memory::named_shared_memory(std::string_view name, existence_policy policy,
                                                std::size_t size, bool read_only, mode_t mode,
                                                owner_check check, shm_allocation allocation)
    : read_only_(read_only) {
  own_.name = normalize_name(name);
  if (const char* why = check_arguments(policy, size, mode, allocation, check))
    detail::throw_invalid(why, own_.name);
  const char* step = "";
  if (const int err = open_as(policy, size, mode, check, allocation, step)) throw_errno(err, step);
}

inline std::optional<named_shared_memory> named_shared_memory::open(
    std::string_view name, std::error_code& ec, existence_policy policy, std::size_t size,
    bool read_only, mode_t mode, owner_check check, shm_allocation allocation) noexcept {
  named_shared_memory m;
  m.read_only_ = read_only;
  const char* step = "";
  if (detail::checked_name(name, check_arguments(policy, size, mode, allocation, check), m.own_.name, ec))
    detail::set_error(ec, m.open_as(policy, size, mode, check, allocation, step));
  if (ec) return std::nullopt;
  return std::optional<named_shared_memory>(std::move(m));
}

inline int named_shared_memory::open_as(existence_policy policy, std::size_t size, mode_t mode,
                                        owner_check check, shm_allocation allocation,
                                        const char*& step) noexcept {
#if NOB_USE_DEV_SHM
  detail::shm_opener k{detail::shm_file_path(own_.name), size, read_only_, mode, check,
                       allocation == shm_allocation::at_create};
#else
  detail::shm_opener k{own_.name.c_str(), size, read_only_, mode, check,
                       allocation == shm_allocation::at_create};
#endif
  bool linked = false;
  if (const int err = detail::open_by_policy(k, policy, linked, step)) return err;
  fd_ = k.got.file.fd;
  own_.dev = k.got.file.dev;
  own_.ino = k.got.file.ino;
  data_ = k.got.data;
  size_ = k.got.size;
  own_.opened(linked);
  return 0;
}

inline named_shared_memory named_shared_memory::create_unique(std::size_t size, bool read_only,
                                                              mode_t mode,
                                                              shm_allocation allocation) {
  if (const char* why = check_arguments(existence_policy::raise_if_exists, size, mode, allocation,
                                        owner_check::any_owner))
    detail::throw_invalid(why, "a fresh name");
  named_shared_memory m;
  m.read_only_ = read_only;
  const char* step = "";
  if (const int err = m.create_unique_as(size, mode, allocation, step))
    detail::throw_fresh_name_error(err, step, m.own_.name);
  return m;
}

inline std::optional<named_shared_memory> named_shared_memory::create_unique(
    std::error_code& ec, std::size_t size, bool read_only, mode_t mode,
    shm_allocation allocation) noexcept {
  named_shared_memory m;
  m.read_only_ = read_only;
  const char* step = "";
  if (detail::checked_fresh(
          check_arguments(existence_policy::raise_if_exists, size, mode, allocation,
                          owner_check::any_owner),
          ec))
    detail::set_error(ec, m.create_unique_as(size, mode, allocation, step));
  if (ec) return std::nullopt;
  return std::optional<named_shared_memory>(std::move(m));
}

inline int named_shared_memory::create_unique_as(std::size_t size, mode_t mode,
                                                 shm_allocation allocation,
                                                 const char*& step) noexcept {
  return detail::create_under_fresh_name(
      own_.name,
      [&]() noexcept {
        return open_as(existence_policy::raise_if_exists, size, mode, owner_check::any_owner,
                       allocation, step);
      },
      step);
}

inline named_shared_memory::named_shared_memory(named_shared_memory&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)),
      read_only_(other.read_only_) {
  own_.take(other.own_);
}

inline named_shared_memory& named_shared_memory::operator=(named_shared_memory&& other) noexcept {
  if (this != &other) {
    close();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
    read_only_ = other.read_only_;
    own_.take(other.own_);
  }
  return *this;
}

inline named_shared_memory::~named_shared_memory() { close(); }

inline void named_shared_memory::check_open(const char* what) const {
  if (fd_ < 0) throw_errno(EBADF, what);
}

inline void named_shared_memory::throw_errno(int err, const char* what) const {
  detail::throw_errno_for(err, what, own_.name, fd_ < 0);
}

inline void named_shared_memory::close() noexcept {
  if (fd_ < 0) return;
  if (own_.claim_unlink()) {
#if NOB_USE_DEV_SHM
    // The inode check and the unlink are two calls, back to back (see
    // detail::unlink_if_same).
    detail::unlink_if_same(detail::shm_file_path(own_.name).c_str(), own_.dev, own_.ino);
#else
    ::shm_unlink(own_.name.c_str());  // no way to tell: trust the name
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
  const int rc = ::unlink(detail::shm_file_path(own_.name).c_str());
#else
  const int rc = ::shm_unlink(own_.name.c_str());
#endif
  if (rc != 0) throw_errno(errno, "unlink");
  own_.unlinked = true;
}

}  // namespace nob

#endif  // NOB_SHARED_MEMORY_HPP
