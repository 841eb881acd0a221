///
// nob - robust semaphore: open by policy and last close (implementation detail)
//
// What robust_semaphore's constructor does under each existence policy:
// create (lock file first, then the data file, each nameless until it is
// complete: files.hpp), attach to an existing semaphore (registering under
// the file-wide lock, after removing a stale one or joining it), and what
// the process's last handle does on close (release_file).
///

#ifndef NOB_DETAIL_ROBUST_OPEN_HPP
#define NOB_DETAIL_ROBUST_OPEN_HPP

#include <nob/common.hpp>
#include <nob/detail/errors.hpp>
#include <nob/detail/files.hpp>
#include <nob/detail/open_by_policy.hpp>
#include <nob/detail/robust/config.hpp>
#include <nob/detail/robust/layout.hpp>
#include <nob/detail/robust/liveness.hpp>
#include <nob/detail/robust/locks.hpp>
#include <nob/detail/robust/stale.hpp>
#include <nob/detail/robust/table.hpp>

#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <new>
#include <string>

namespace nob::detail::robust {

/// Outcome of one attempt to open or create.
enum class outcome { ok, failed, retry, absent };

/// Creates a semaphore: first its lock file, nameless, with its file-wide
/// lock taken, then linked into place; then, under that lock, its data file,
/// nameless, allocated in full (posix_fallocate: a full /dev/shm is ENOSPC
/// here, never SIGBUS later), mapped, written, with this process registered
/// in it, and only then linked into place. So nobody ever sees a data file
/// without its lock file or without a live user, and a crash leaves at most
/// a lock file without data file (removed by the next look). An orphan lock
/// file in the way is removed first. 0, or an errno (EEXIST: a semaphore is
/// at the name) with `step` (or `why`) set.
inline int create_new(file& f, const names& n, unsigned int capacity, mode_t mode,
                      const char*& step, std::string& why) {
  for (;;) {
    file_result l = create_exclusive_file(
        n.lock, "/dev/shm/nob~nob-XXXXXX", nullptr, 0, lock_mode(mode),
        [](const file_result& made) noexcept { return ofd_lock(made.fd, 0, F_WRLCK, false); });
    if (l.err == EEXIST) {
      const int err = remove_orphan_lock(n, true, why);
      if (err != 0) {
        step = lock_step(err);
        return err;
      }
      if (!absent_at(n.data)) {  // a semaphore is there: the caller looks at it
        step = "create";
        return EEXIST;
      }
      if (lock_wait_deadline != std::chrono::steady_clock::time_point{} &&
          std::chrono::steady_clock::now() >= lock_wait_deadline) {
        step = "create (the name kept changing)";
        return EBUSY;
      }
      continue;  // the orphan is gone: again
    }
    if (l.err != 0) {
      step = l.step;
      return l.err;
    }
    NOB_ROBUST_STEP("create.lock_linked");
    f.fd = l.fd;
    f.lock_dev = l.dev;
    f.lock_ino = l.ino;
    const auto users = static_cast<std::uint32_t>(NOB_ROBUST_MAX_USERS);
    const std::size_t len = file_size(capacity, users);
    void* mapped = nullptr;
    const char* made_step = nullptr;
    file_result r = create_exclusive_file(
        n.data, "/dev/shm/nob.nob-XXXXXX", nullptr, len, mode,
        [&](const file_result& made) noexcept -> int {
          void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, made.fd, 0);
          if (p == MAP_FAILED) return errno;
          mapped = p;
          auto* h = static_cast<header*>(p);
          h->version = layout_version;
          h->capacity = capacity;
          h->users = users;
          h->header_size = header_bytes;
          h->flags.store(0);
          h->wait_word.store(0);
          h->magic = magic;
          set_views(f, p, capacity, users);
          const int err = register_user(f);
          NOB_ROBUST_STEP("create.registered");
          if (err != 0) made_step = "register";
          return err;
        },
        /*replace=*/false, /*allocate=*/true);  // every page nob will touch exists before the mapping
    if (r.err != 0) {
      if (mapped != nullptr) ::munmap(mapped, len);
      f.map = nullptr;
      f.token = 0;
      unlink_if_same(n.lock, f.lock_dev, f.lock_ino);  // under its lock: nobody else uses it
      ::close(f.fd);
      f.fd = -1;
      step = made_step != nullptr ? made_step : r.step;
      return r.err;
    }
    NOB_ROBUST_STEP("create.linked");
    ::close(r.fd);  // the mapping keeps the data file
    f.dev = r.dev;
    f.ino = r.ino;
    f.owner = r.uid;
    unlock_file(f.fd);
    return 0;
  }
}

/// Opens the existing semaphore and registers this process in it, under the
/// file-wide lock, after checking that both names still name its files. A
/// semaphore whose users all ended (and not persistent) is stale: its names
/// are removed and the result is `absent`; when they cannot be removed
/// (another user's files in the sticky /dev/shm), it is joined instead with
/// `join_stale` (revived: its units are free, its waiter counts reset), and
/// `absent` otherwise. With owner_check::same_uid, a file another user owns
/// is refused (EACCES, checked on the open descriptor) before anything is
/// registered or removed.
inline outcome attach_existing(file*& out, const names& n, owner_check check, bool join_stale,
                               int& err, const char*& step, std::string& why) {
  file_result r = open_existing_file(n.data, O_RDWR);
  if (r.err != 0) {
    err = r.err;
    step = r.step;
    if (err != ENOENT) return outcome::failed;
    std::string ignored;
    remove_orphan_lock(n, false, ignored);  // whoever notices first
    return outcome::absent;
  }
  if (!owner_allowed(r, check)) {
    ::close(r.fd);
    err = EACCES;
    step = "open (owned by another user)";
    return outcome::failed;
  }
  NOB_ROBUST_STEP("open.opened");
  table& t = the_table();
  for (file* f : t.files) {
    if (f->dev == r.dev && f->ino == r.ino && f->token != 0) {
      ::close(r.fd);
      ++f->refs;
      out = f;
      return outcome::ok;
    }
  }
  auto* f = new (std::nothrow) file;
  if (f == nullptr) {
    ::close(r.fd);
    err = ENOMEM;
    step = "open";
    return outcome::failed;
  }
  f->path = n.data;
  f->lock_path = n.lock;
  err = map_checked(*f, r, step);
  if (err == 0) {
    err = open_lock(*f, r, why);
    if (err == ENOENT) {  // a data file without lock file: removed by hand, or both just now
      why.clear();
      err = 0;
      const bool still = same_file(n.data, r.dev, r.ino);
      ::close(r.fd);
      if (!still) {
        dispose(f);
        return outcome::retry;
      }
      const int gone = unlink_if_same(n.data, f->dev, f->ino);  // unusable: nobody can register
      const uid_t owner = f->owner;
      dispose(f);
      if (gone == 0 || gone == ENOENT || gone == ESTALE) return outcome::retry;
      err = gone;
      why = "open (a robust semaphore of " + uid_text(owner) +
            " without its lock file, which this user cannot remove)";
      return outcome::failed;
    }
  }
  ::close(r.fd);  // the mapping keeps the data file
  if (err != 0) {
    dispose(f);
    return outcome::failed;
  }
  if ((err = lock_file(f->fd)) != 0) {
    step = lock_step(err);
    dispose(f);
    return outcome::failed;
  }
  NOB_ROBUST_STEP("open.locked");
  outcome result = outcome::ok;
  if (!same_file(n.data, f->dev, f->ino) || !same_file(n.lock, f->lock_dev, f->lock_ino)) {
    result = outcome::retry;  // removed (and maybe re-created) meanwhile
  } else if (!any_live_user(*f, UINT32_MAX, true)) {
    reset_waiters(*f);
    if ((f->head->flags.load() & flag_persistent) == 0) {  // stale: every user ended
      const int gone = unlink_names(*f);
      if (gone == 0 || gone == ENOENT || gone == ESTALE) {
        result = outcome::absent;
      } else if (!join_stale) {
        result = outcome::absent;
        why = "open (no live robust semaphore: only a stale one of " + uid_text(f->owner) +
              ", which this user cannot remove)";
      }  // else joined: this process is its live user now
    }
  }
  if (result == outcome::ok) drop_dead_waiters(*f);
  if (result == outcome::ok && (err = register_user(*f)) != 0) {
    step = "register (too many processes have it open)";
    result = outcome::failed;
  }
  NOB_ROBUST_STEP("open.registered");
  unlock_file(f->fd);
  if (result != outcome::ok) {
    dispose(f);
    if (result == outcome::absent) {
      err = ENOENT;
      step = "open";
    }
    return result;
  }
  f->refs = 1;
  out = f;
  return outcome::ok;
}

/// The process's last handle on `f` is closing: give back units and entry,
/// and remove the names when no live user remains (unless persistent).
inline void release_file(file* f) noexcept {
  table& t = the_table();
  if (f->fd >= 0 && lock_file(f->fd) == 0) {
    NOB_ROBUST_STEP("close.locked");
    const std::uint32_t me = f->token != 0 ? f->index : UINT32_MAX;
    unregister_user(*f);
    drop_dead_waiters(*f);
    NOB_ROBUST_STEP("close.unlocked_user");
    if (!any_live_user(*f, me, true)) {
      reset_waiters(*f);
      if ((f->head->flags.load() & flag_persistent) == 0) {
        unlink_names(*f);
        NOB_ROBUST_STEP("close.lock_unlinked");
      }
    }
    unlock_file(f->fd);
  }
  for (std::size_t i = 0; i < t.files.size(); ++i) {
    if (t.files[i] == f) {
      t.files.erase(t.files.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  dispose(f);
}

/// The check of every robust open and create_unique() (the one argument
/// check of every kind, then the capacity), before any system call: an
/// empty failure, or the argument error for `name`.
inline failure check_arguments(existence_policy policy, unsigned int capacity, mode_t mode,
                               owner_check check, const std::string& name) {
  if (const char* why = check_open_arguments(policy, mode, check))
    return failure::argument(why, name);
  if (capacity == 0 || capacity > max_units)
    return failure::argument("capacity " + std::to_string(capacity) + " is outside 1.." +
                                 std::to_string(max_units),
                             name);
  return failure{};
}

/// robust_semaphore's constructor and open(): the process's record of the
/// semaphore at `name` (normalised), opened or created under `policy` after
/// the arguments are checked, with its handle counted; `linked_existing`
/// set when it opened one that existed. nullptr with `fail` set (the errno
/// and the text the constructor throws) when it could not.
inline file* open_file(const std::string& name, existence_policy policy, unsigned int capacity,
                       mode_t mode, owner_check check, bool& linked_existing, failure& fail) {
  namespace r = nob::detail::robust;
  if ((fail = check_arguments(policy, capacity, mode, check, name))) return nullptr;

  const r::names n = r::names_of(name);
  r::table& t = r::the_table();
  std::lock_guard<std::mutex> guard(t.mu);
  const r::one_lock_deadline bounded;  // every retry below shares it
  t.files.reserve(t.files.size() + 1);  // so that the insert below cannot throw
  int err = 0;
  const char* step = "";
  std::string why;  // a message made at run time (it names an owner), else `step`
  r::file* opened = nullptr;

  // No loop below runs past the open's one deadline: each retry follows a
  // change of the name by another process, and any that keeps changing it
  // gets this open EBUSY instead of a spin.
  auto too_late = [&] {
    if (std::chrono::steady_clock::now() < r::lock_wait_deadline) return false;
    err = EBUSY;
    step = "open (the name kept changing)";
    why.clear();
    return true;
  };
  // Creates; on EEXIST, a stale semaphore (every user ended) is removed and
  // the create tried again.
  auto create = [&](bool remove_stale) -> r::outcome {
    for (;;) {
      auto* f = new (std::nothrow) r::file;
      if (f == nullptr) {
        err = ENOMEM;
        step = "create";
        return r::outcome::failed;
      }
      f->path = n.data;
      f->lock_path = n.lock;
      err = r::create_new(*f, n, capacity, mode, step, why);
      if (err == 0) {
        f->refs = 1;
        t.files.push_back(f);
        opened = f;
        return r::outcome::ok;
      }
      delete f;
      if (err != EEXIST || !remove_stale) return r::outcome::failed;
      int kept = 0;
      uid_t owner = 0;
      const r::state s = r::probe(n, true, true, &kept, &owner);
      if (kept == EPERM || kept == EACCES) {  // another user's, in the sticky /dev/shm
        err = kept;
        why = "create (a stale robust semaphore of " + r::uid_text(owner) +
              " is in the way and this user cannot remove it)";
        return r::outcome::failed;
      }
      if (kept != 0) {  // a stale semaphore whose file-wide lock somebody keeps
        err = kept;
        step = r::lock_step(kept);
        return r::outcome::failed;
      }
      if (s != r::state::stale && s != r::state::absent) return r::outcome::failed;
      if (too_late()) return r::outcome::failed;
    }
  };
  auto attach = [&](bool join_stale) -> r::outcome {
    const r::outcome o = r::attach_existing(opened, n, check, join_stale, err, step, why);
    if (o == r::outcome::ok && opened->refs == 1) t.files.push_back(opened);  // a new record
    return o;
  };

  r::outcome o = r::outcome::failed;
  switch (policy) {
    case existence_policy::raise_if_exists:
      o = create(true);
      break;
    case existence_policy::raise_if_not_exists:
      do {
        o = attach(false);
      } while (o == r::outcome::retry && !too_late());
      linked_existing = o == r::outcome::ok;
      break;
    case existence_policy::unlink_and_create:
      for (;;) {  // again while another process re-creates the name in between, up to the deadline
        if (const int gone = r::unlink_pair(n); gone != 0 && gone != ENOENT) {
          const long owner = r::owner_of(n.data);
          if ((gone == EPERM || gone == EACCES) && owner >= 0)
            fail = failure::system(gone, "nob: unlink (another user's file, " +
                                             r::uid_text(static_cast<uid_t>(owner)) + ") " + name);
          else
            fail = failure::of_errno(gone, "unlink", name, /*closed=*/true);
          return nullptr;
        }
        o = create(true);
        if (o == r::outcome::ok || err != EEXIST || too_late()) break;
      }
      break;
    case existence_policy::link_or_create:
      for (;;) {  // exclusive create, else open, else it vanished: again
        o = create(false);  // a stale semaphore is removed (or joined) by attach()
        if (o == r::outcome::ok || err != EEXIST) break;
        why.clear();
        o = attach(true);
        if (o == r::outcome::ok) {
          linked_existing = true;
          break;
        }
        if (o == r::outcome::failed || too_late()) {
          o = r::outcome::failed;
          break;
        }
        why.clear();
      }
      break;
  }
  if (o != r::outcome::ok) {
    fail = !why.empty() ? failure::system(err, "nob: " + why + " " + name)
                        : failure::of_errno(err, step, name, /*closed=*/true);
    return nullptr;
  }
  return opened;
}

}  // namespace nob::detail::robust

#endif  // NOB_DETAIL_ROBUST_OPEN_HPP
