///
// nob - shared memory objects opened, made and mapped (implementation detail)
//
// What shared_memory.hpp calls: with NOB_USE_DEV_SHM the object is the file
// /dev/shm/NAME, opened or made by nob itself (files.hpp: no symlink
// followed, made nameless, sized, given its exact mode and mapped before its
// name appears); without, shm_open. Either way the whole object is mapped,
// and an owner check refuses another user's object before anything is mapped.
///

#ifndef NOB_DETAIL_SHM_HPP
#define NOB_DETAIL_SHM_HPP

#include <nob/detail/files.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

namespace nob::detail {

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
/// "/dev/shm/NAME" for a normalised "/NAME" (where glibc's shm_open looks),
/// in a buffer of its own: no allocation for the path (glibc's shm_open
/// uses a stack buffer too).
inline path_buffer shm_file_path(std::string_view normalized) noexcept {
  return path_buffer("/dev/shm", "", normalized);
}

/// Opens an existing object without following a symlink and maps it whole.
/// Read-only opens add O_NONBLOCK: a FIFO put in place of the name would
/// otherwise block the open until a writer came (it is then refused as not
/// a regular file, as anything else is).
inline shm_opened open_shm_file(const char* path, bool read_only, owner_check check) noexcept {
  return map_whole(open_existing_file(path, read_only ? O_RDONLY | O_NONBLOCK : O_RDWR),
                   read_only, check);
}

/// Creates the object exclusively (create_exclusive_file): sized, exact
/// mode and mapped before its name appears. With read_only, the descriptor
/// kept is a read-only one of the same file (through /proc/self/fd; the
/// creating one is kept when /proc is missing). `replace`: an existing name
/// is replaced in one step instead of EEXIST. `allocate`: every byte is
/// allocated (posix_fallocate) before the name appears, so a full file
/// system is ENOSPC here rather than SIGBUS at the first write.
inline shm_opened create_shm_file(const char* path, std::size_t size, bool read_only, mode_t mode,
                                  bool replace, bool allocate) noexcept {
  shm_opened o;
  o.file = create_exclusive_file(
      path, "/dev/shm/nob-shm-XXXXXX", nullptr, size, mode,
      [&o, size, read_only](const file_result& made) noexcept {
        return map_shm(made.fd, size, read_only, o.data);
      },
      replace, allocate);
  if (o.file.err != 0) {
    if (o.data != nullptr) ::munmap(o.data, size);
    o.data = nullptr;
    return o;
  }
  o.size = size;
  if (read_only) {
    const int ro = ::open(proc_fd_path(o.file.fd).c_str(), O_RDONLY | O_CLOEXEC);
    if (ro >= 0) {
      ::close(o.file.fd);
      o.file.fd = ro;
    }
  }
  return o;
}
#else
/// Allocates the first `size` bytes of a new object: 0 or the error
/// (ENOTSUP where there is no posix_fallocate: Darwin).
inline int allocate_object(int fd, std::size_t size) noexcept {
#if defined(__APPLE__)
  (void)fd;
  (void)size;
  return ENOTSUP;
#else
  return ::posix_fallocate(fd, 0, static_cast<off_t>(size));
#endif
}

/// shm_open, then the whole object mapped; `oflag` holds the access and
/// O_CREAT | O_EXCL when creating (then sized, and its mode made exact);
/// `check` applies to an object that existed (map_whole); `allocate` sizes a
/// new object with posix_fallocate (every byte allocated: ENOSPC now, not
/// SIGBUS later) instead of ftruncate.
inline shm_opened shm_open_and_map(const char* name, int oflag, std::size_t size, bool read_only,
                                   mode_t mode, owner_check check, bool allocate) noexcept {
  file_result f;
  f.fd = ::shm_open(name, oflag, mode);
  if (f.fd < 0) return shm_opened{file_error(f, errno, "shm_open"), nullptr, 0};
  const bool creating = (oflag & O_CREAT) != 0;
  int err = 0;
  if (creating && ::fchmod(f.fd, mode) != 0) {
    f = file_error(f, errno, "fchmod");
  } else if (creating && size > 0 && allocate &&
             (err = allocate_object(f.fd, size)) != 0) {
    f = file_error(f, err, err == ENOSPC ? "allocate (no space left)" : "allocate");
  } else if (creating && size > 0 && !allocate && ::ftruncate(f.fd, static_cast<off_t>(size)) != 0) {
    f = file_error(f, errno, "ftruncate");
  } else if (!fill_stat(f)) {
    f = file_error(f, errno, "fstat");
  }
  if (f.err != 0) {
    if (creating) ::shm_unlink(name);
    return shm_opened{f, nullptr, 0};
  }
  shm_opened o = map_whole(f, read_only, creating ? owner_check::any_owner : check);
  if (o.file.err != 0 && creating) ::shm_unlink(name);
  return o;
}
#endif  // NOB_USE_DEV_SHM

}  // namespace nob::detail

#endif  // NOB_DETAIL_SHM_HPP
