///
// nob - robust semaphore: the file format (implementation detail)
//
// The two files of a semaphore NAME and what is in them:
//  * /dev/shm/nob.NAME, the data file: a header (magic number, layout
//    version, sizes, flags, the 64-bit wait word), a table of users (one
//    entry per process that has it open: generation, pid, waiters) and one
//    64-bit slot per unit (0: free; else the token of the owner's entry);
//  * /dev/shm/nob~NAME, the lock file: empty; every OFD lock of the
//    semaphore is on it (byte 0 file-wide, lock_base + i for entry i).
// Also the process's record of one semaphore (`file`), and checking and
// mapping an existing data file.
///

#ifndef NOB_DETAIL_ROBUST_LAYOUT_HPP
#define NOB_DETAIL_ROBUST_LAYOUT_HPP

#include <nob/detail/files.hpp>
#include <nob/detail/robust/config.hpp>

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>

namespace nob::detail::robust {

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

/// Units of a semaphore at most (robust_semaphore::max_capacity()).
inline constexpr std::uint32_t max_units = 65536;

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
      h.capacity > max_units || h.users == 0 || h.users > 65535)
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

}  // namespace nob::detail::robust

#endif  // NOB_DETAIL_ROBUST_LAYOUT_HPP
