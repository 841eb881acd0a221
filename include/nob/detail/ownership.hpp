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
// exists(name) through the kind's opener.
///

#ifndef NOB_DETAIL_OWNERSHIP_HPP
#define NOB_DETAIL_OWNERSHIP_HPP

#include <nob/common.hpp>
#include <nob/detail/errors.hpp>

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
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
