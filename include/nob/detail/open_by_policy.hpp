///
// nob - the one open-by-policy engine and the one argument check
// (implementation detail)
//
// Every kind's constructor and open() come here: check_open_arguments()
// refuses a bad policy, owner check or mode before any system call, and
// open_by_policy() carries out the existence_policy with the kind's own
// three calls. What a kind does differently is a named constant of its
// `Kind` (each with its reason, listed in docs/semantics.md):
//
//   opens_first          link_or_create tries to open before it creates
//   replace_in_one_step  unlink_and_create can put its new object in place
//                        of a re-created name in one step (rename(2))
//   unlink_rounds        where it cannot: how many unlink-then-create rounds
//                        before EEXIST (unlink_and_create_tries), or 0 for
//                        no count (the robust semaphore: its open's one
//                        deadline ends every loop, with EBUSY)
//
// A kind's open and create may do more inside (the robust semaphore's
// stale semaphores: its create removes one in the way and creates again,
// its open removes one it finds and says ENOENT, or joins it; its per-open
// deadline, kept in the Kind object: a result that would send the engine
// round again is EBUSY once it has passed): the engine only sequences them.
//
// create_under_fresh_name() is the same engine for an object made without a
// name (every kind's create_unique(); Python's name=None): a fresh random
// name (fresh_name.hpp), an exclusive create under it, and another name
// while the one drawn exists, a bounded number of times.
///

#ifndef NOB_DETAIL_OPEN_BY_POLICY_HPP
#define NOB_DETAIL_OPEN_BY_POLICY_HPP

#include <nob/common.hpp>
#include <nob/detail/errors.hpp>
#include <nob/detail/fresh_name.hpp>

#include <sys/types.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace nob::detail {

/// Why the arguments every kind takes are bad, or nullptr: a policy or
/// owner check outside its enum, a mode with more than permission bits.
/// Checked before any system call, by every constructor and open().
inline const char* check_open_arguments(existence_policy policy, mode_t mode,
                                        owner_check check) noexcept {
  if (static_cast<unsigned>(policy) > static_cast<unsigned>(existence_policy::unlink_and_create))
    return "unknown existence_policy";
  if (static_cast<unsigned>(check) > static_cast<unsigned>(owner_check::same_uid))
    return "unknown owner_check";
  if ((mode & ~static_cast<mode_t>(0777)) != 0) return "mode must be permission bits (0 to 0777)";
  return nullptr;
}

/// How many rounds unlink_and_create makes where a name can only be removed
/// and then created, in two steps (sem_open, shm_open, message queues): it
/// unlinks and creates again while someone re-creates the name in between,
/// and fails with EEXIST only after losing this many rounds in a row
/// (bounded, so that two such callers cannot make each other spin for ever).
inline constexpr int unlink_and_create_tries = 100;

/// unlink_and_create in two steps: `remove_name()` (0 or the errno; ENOENT
/// counts as done), then `create()` (0 or the errno; EEXIST: the name came
/// back), up to `rounds` rounds (0: no count; `create()` ends the loop with
/// another errno). 0 or the errno; `step` is set to `unlink_step` when the
/// unlink failed.
template <class RemoveName, class Create>
int unlink_then_create(RemoveName&& remove_name, Create&& create, int rounds,
                       const char* unlink_step,
                       const char*& step) noexcept(noexcept(remove_name()) && noexcept(create())) {
  for (int round = 1;; round += rounds != 0) {  // no count (rounds 0): no overflow either
    const int gone = remove_name();
    if (gone != 0 && gone != ENOENT) {
      step = unlink_step;
      return gone;
    }
    const int err = create();
    if (err != EEXIST || round == rounds) return err;
  }
}

/// Carries out `policy` with the calls of `kind`, which provides
///
///   static constexpr bool opens_first, replace_in_one_step  (see the top)
///   static constexpr int unlink_rounds  (see the top; only when not
///                                   replace_in_one_step)
///   static constexpr const char* remove_step   what remove_name() calls
///   int open(const char*& step)     0, or the errno (ENOENT: no such name)
///   int create(bool replace, const char*& step)
///                                   0, or the errno (EEXIST: the name
///                                   exists; with `replace` it never is)
///   int remove_name()               0, or the errno (ENOENT: nothing there)
///
/// and keeps what they opened. Returns 0, or the errno with `step` naming
/// the call that failed; `linked` is true when an existing object was opened.
/// Not noexcept where the kind's calls may throw (the robust semaphore's
/// messages are strings made at run time).
template <class Kind>
int open_by_policy(Kind& kind, existence_policy policy, bool& linked, const char*& step) noexcept(
    noexcept(kind.open(step)) && noexcept(kind.create(false, step)) &&
    noexcept(kind.remove_name())) {
  linked = false;
  switch (policy) {
    case existence_policy::raise_if_exists:
      return kind.create(false, step);
    case existence_policy::raise_if_not_exists: {
      const int err = kind.open(step);
      linked = err == 0;
      return err;
    }
    case existence_policy::link_or_create:
      // Race-free: exclusive create, else open, else the name vanished in
      // between: again (in the kind's order; never a plain O_CREAT that
      // would hide who created it).
      for (bool first = true;; first = false) {
        if (Kind::opens_first || !first) {
          const int err = kind.open(step);
          if (err != ENOENT) {
            linked = err == 0;
            return err;
          }
        }
        const int err = kind.create(false, step);
        if (err != EEXIST) return err;
      }
    case existence_policy::unlink_and_create:
      if constexpr (Kind::replace_in_one_step) {
        // Unlink first, so that an ordinary call needs no temporary name;
        // a name re-created after the unlink is replaced in one step.
        const int gone = kind.remove_name();
        if (gone != 0 && gone != ENOENT) {
          step = Kind::remove_step;
          return gone;
        }
        return kind.create(true, step);
      } else {
        return unlink_then_create(
            [&]() noexcept(noexcept(kind.remove_name())) { return kind.remove_name(); },
            [&]() noexcept(noexcept(kind.create(false, step))) { return kind.create(false, step); },
            Kind::unlink_rounds, Kind::remove_step, step);
      }
  }
  step = "open";
  return EINVAL;  // not reached: check_open_arguments() refused the policy
}

/// How many fresh names create_under_fresh_name() draws before it gives up
/// with EEXIST. 64 random bits make even a second draw that hits an
/// existing name a sign of a broken random source or of names guessed by
/// someone else: the bound turns that into an error instead of a loop.
inline constexpr int fresh_name_tries = 100;

/// The step create_under_fresh_name() reports when every name it drew existed.
inline constexpr const char* fresh_names_taken_step =
    "create_unique (every fresh name drawn already existed: is the random source repeating?)";

/// Creates an object under a fresh name: `name` = fresh_name(), then
/// `create()` (the kind's exclusive create under `name`: 0 or the errno;
/// EEXIST: the name exists), again with a new name while the name drawn
/// exists, up to fresh_name_tries names. Nothing is ever opened or removed
/// under a name drawn. 0, or the errno with `step` naming what failed (the
/// random source, the kind's call, or fresh_names_taken_step); `name` is
/// the last name drawn (empty when none could be drawn).
template <class Create>
int create_under_fresh_name(std::string& name, Create&& create,
                            const char*& step) noexcept(noexcept(create())) {
  for (int round = 1;; ++round) {
    if (const int err = fresh_name(name)) {
      step = fresh_name_step;
      return err;
    }
    const int err = create();
    if (err != EEXIST) return err;
    if (round == fresh_name_tries) {
      step = fresh_names_taken_step;
      return EEXIST;
    }
  }
}

/// The argument check of every non-throwing create_unique(): true with `ec`
/// clear when `bad_argument` (the kind's check) is null; else false with
/// `ec` invalid_argument.
inline bool checked_fresh(const char* bad_argument, std::error_code& ec) noexcept {
  if (bad_argument != nullptr) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return false;
  }
  ec.clear();
  return true;
}

/// The std::system_error of a failed create_unique(): "nob: <step> <name>",
/// the name being the last one drawn, or "(no name drawn)".
[[noreturn]] inline void throw_fresh_name_error(int err, const char* step,
                                                const std::string& name) {
  throw_system(err, std::string("nob: ") + step + ' ' + (name.empty() ? "(no name drawn)" : name));
}

}  // namespace nob::detail

#endif  // NOB_DETAIL_OPEN_BY_POLICY_HPP
