///
// nob - who may unlink a name (implementation detail)
//
// Every kind's handle keeps its name and the rules of docs/semantics.md,
// "Ownership and unlink", in one `ownership`: the handle that created the
// name unlinks it on close, only in the process that opened the handle (a
// forked child never does, whatever it sets), at most once, and (where the
// kind can tell, by device and inode) only while the name still refers to
// the object the handle opened.
///

#ifndef NOB_DETAIL_OWNERSHIP_HPP
#define NOB_DETAIL_OWNERSHIP_HPP

#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace nob::detail {

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
    owner_pid = ::getpid();
    unlink_on_destroy = !linked;
  }
  /// True (and marked done) when the name should be unlinked now: asked
  /// for, not done yet, and this is the process that opened the handle.
  bool claim_unlink() noexcept {
    if (!unlink_on_destroy || unlinked || owner_pid != ::getpid()) return false;
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

}  // namespace nob::detail

#endif  // NOB_DETAIL_OWNERSHIP_HPP
