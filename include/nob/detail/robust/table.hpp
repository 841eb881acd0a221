///
// nob - robust semaphore: registering a process, the process table and fork
// (implementation detail)
//
// A process registers in a user entry (its lock byte taken, then an odd
// generation published) and unregisters in the reverse order. Every record
// of this process is in one table under one mutex, whose fork handlers give
// a child its own open file description of each lock file and its own
// registered entry before fork() returns.
///

#ifndef NOB_DETAIL_ROBUST_TABLE_HPP
#define NOB_DETAIL_ROBUST_TABLE_HPP

#include <nob/detail/robust/config.hpp>
#include <nob/detail/robust/layout.hpp>
#include <nob/detail/robust/liveness.hpp>
#include <nob/detail/robust/locks.hpp>
#include <nob/detail/robust/units.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <vector>

namespace nob::detail::robust {

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

}  // namespace nob::detail::robust

#endif  // NOB_DETAIL_ROBUST_TABLE_HPP
