///
// nob - robust semaphore: the files at a name (implementation detail)
//
// Looking at a name without opening it (probe: absent, stale, live, not a
// robust semaphore, unknown), and removing what no live user keeps: a stale
// semaphore (every user ended), an orphan lock file (its maker died between
// the two names), the names of a semaphore (unlink_names, unlink_pair), each
// only while the name is still that file, under its file-wide lock.
///

#ifndef NOB_DETAIL_ROBUST_STALE_HPP
#define NOB_DETAIL_ROBUST_STALE_HPP

#include <nob/detail/files.hpp>
#include <nob/detail/robust/config.hpp>
#include <nob/detail/robust/layout.hpp>
#include <nob/detail/robust/liveness.hpp>
#include <nob/detail/robust/locks.hpp>

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace nob::detail::robust {

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

}  // namespace nob::detail::robust

#endif  // NOB_DETAIL_ROBUST_STALE_HPP
