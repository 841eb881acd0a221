///
// nob - who may unlink a name (implementation detail)
//
// Every kind's handle keeps its name and the rules of docs/semantics.md,
// "Ownership and unlink", in one `ownership`: the handle that created the
// name unlinks it on close, only in the process that opened the handle (a
// forked child never does, whatever it sets), at most once, and (where the
// kind can tell, by device and inode) only while the name still refers to
// the object the handle opened. `named_object` gives every kind's handle
// the same members over that record, and the same static remove(name) and
// exists(name) through the kind's opener. current_pid() tells the process
// without a system call on the open and close paths.
///

#ifndef NOB_DETAIL_OWNERSHIP_HPP
#define NOB_DETAIL_OWNERSHIP_HPP

#include <nob/common.hpp>
#include <nob/detail/errors.hpp>

#include <pthread.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace nob::detail {

#ifdef MADV_WIPEONFORK
/// The page that keeps this process's id for current_pid(): nullptr until
/// first used, &pid_page_refused where the kernel has no MADV_WIPEONFORK
/// (before Linux 4.14). The kernel zeroes the page in every child that does
/// not share this process's memory, however it was made (fork(), _Fork(),
/// clone(), syscall(SYS_fork)). A pthread_atfork child handler zeroes it
/// too: some runtimes accept the advice and ignore it (qemu-user 7.2 says 0
/// and its children still read the parent's id), and fork() is the common way.
inline std::atomic<std::atomic<pid_t>*> pid_page{nullptr};
inline std::atomic<pid_t> pid_page_refused{0};

/// The pthread_atfork child handler: this process's id is not known yet.
inline void forget_pid_in_child() noexcept {
  std::atomic<pid_t>* slot = pid_page.load(std::memory_order_relaxed);
  if (slot != nullptr && slot != &pid_page_refused) slot->store(0, std::memory_order_relaxed);
}

/// Maps and publishes pid_page (once per process; a thread that loses the
/// race unmaps its own page).
[[gnu::cold, gnu::noinline]] inline std::atomic<pid_t>* make_pid_page() noexcept {
  const long page = ::sysconf(_SC_PAGESIZE);
  const std::size_t len = page > 0 ? static_cast<std::size_t>(page) : 4096;
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  std::atomic<pid_t>* made = &pid_page_refused;
  if (p != MAP_FAILED) {
    if (::madvise(p, len, MADV_WIPEONFORK) == 0) {
      made = new (p) std::atomic<pid_t>(0);  // all zero bits: what a child finds
    } else {
      ::munmap(p, len);
    }
  }
  std::atomic<pid_t>* expected = nullptr;
  if (pid_page.compare_exchange_strong(expected, made, std::memory_order_acq_rel)) {
    if (made != &pid_page_refused) ::pthread_atfork(nullptr, nullptr, forget_pid_in_child);
    return made;
  }
  if (made != &pid_page_refused) ::munmap(p, len);
  return expected;
}
#endif

/// getpid(), without a system call after the first in each process (glibc
/// no longer caches it): read from a page the kernel wipes in a child (see
/// pid_page), so a child asks getpid() once again. A child that shares this
/// process's memory (vfork(), clone(CLONE_VM)) reads the parent's id: POSIX
/// lets such a child only exec or _exit, so it never reaches nob.
inline pid_t current_pid() noexcept {
#ifdef MADV_WIPEONFORK
  std::atomic<pid_t>* slot = pid_page.load(std::memory_order_acquire);
  if (slot == nullptr) slot = make_pid_page();
  if (slot != &pid_page_refused) {
    pid_t pid = slot->load(std::memory_order_relaxed);
    if (pid == 0) {
      pid = ::getpid();
      slot->store(pid, std::memory_order_relaxed);
    }
    return pid;
  }
#endif
  return ::getpid();
}

struct ownership {
  std::string name;           ///< normalised, "/NAME"; empty after a move
  pid_t owner_pid = 0;        ///< the process that opened the handle
  dev_t dev = 0;              ///< the object's device and inode (0: unknown)
  ino_t ino = 0;
  bool linked_existing = false;
  bool unlink_on_destroy = false;
  bool unlinked = false;      ///< unlinked through this handle already

  /// After an open: this process opened the handle; it unlinks on close
  /// when it created the object.
  void opened(bool linked) noexcept {
    linked_existing = linked;
    owner_pid = current_pid();
    unlink_on_destroy = !linked;
  }
  /// True (and marked done) when the name should be unlinked now: asked
  /// for, not done yet, and this is the process that opened the handle.
  bool claim_unlink() noexcept {
    if (!unlink_on_destroy || unlinked || owner_pid != current_pid()) return false;
    unlinked = true;
    return true;
  }
  /// Takes over `other`, which is left nameless and owning nothing.
  void take(ownership& other) noexcept {
    *this = std::move(other);
    other.name.clear();
    other.unlink_on_destroy = false;
  }
};

/// What every kind's static remove(name) and exists(name) do: `name`
/// checked (std::invalid_argument before any system call) and normalised,
/// then `call_with(normalised)`: 0 gives true, ENOENT false, any other
/// errno throws "nob: <call> <name>".
template <class CallWith>
bool ask_by_name(std::string_view name, const char* call, CallWith&& call_with) {
  const std::string n = normalize_name(name);
  const int err = call_with(n);
  if (err == 0) return true;
  if (err != ENOENT) throw_system(err, std::string("nob: ") + call + " " + n);
  return false;
}

/// The public members every kind's handle has about its name, over its
/// `ownership` record (the handle's constructors, moves and close() keep
/// it). `Opener` is the kind's opener: its static unlink_name(n) and
/// probe_name(n) return 0 or an errno, remove_step and probe_step name the
/// calls they make (for messages).
template <class Opener>
class named_object {
 public:
  /// The normalised name, with its leading '/' (empty after a move).
  const std::string& name() const noexcept { return own_.name; }
  /// True when the constructor opened an object that existed; false when it created one.
  bool linked_existing() const noexcept { return own_.linked_existing; }
  /// True when close() will unlink the name (defaults to "this handle created it").
  bool unlink_on_destroy() const noexcept { return own_.unlink_on_destroy; }
  /// Chooses whether close() unlinks the name (only ever in the process
  /// that opened the handle).
  void unlink_on_destroy(bool on) noexcept { own_.unlink_on_destroy = on; }
  /// Removes `name`; returns false if there was none.
  static bool remove(std::string_view name);
  /// True when an object of this kind called `name` exists.
  static bool exists(std::string_view name);

 protected:
  ownership own_;  // the name, and who may unlink it
};

template <class Opener>
bool named_object<Opener>::remove(std::string_view name) {
  return ask_by_name(name, Opener::remove_step,
                     [](const std::string& n) { return Opener::unlink_name(n); });
}

template <class Opener>
bool named_object<Opener>::exists(std::string_view name) {
  return ask_by_name(name, Opener::probe_step,
                     [](const std::string& n) { return Opener::probe_name(n); });
}

}  // namespace nob::detail

#endif  // NOB_DETAIL_OWNERSHIP_HPP
