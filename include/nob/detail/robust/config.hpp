///
// nob - robust semaphore: its configuration macros (implementation detail)
//
// The macros robust_semaphore.hpp lists in its banner, with their defaults
// and checks; any of them may be defined before the first nob include. And
// the test hook: NOB_ROBUST_STEP(step), a stop at a named crash point in
// test builds (NOB_ROBUST_TEST_HOOKS), nothing in every other build.
///

#ifndef NOB_DETAIL_ROBUST_CONFIG_HPP
#define NOB_DETAIL_ROBUST_CONFIG_HPP

#include <signal.h>

#include <cstdlib>
#include <cstring>

///
// Configuration. Each macro may be defined before the include.
///

/// Longest sleep of a waiter between two looks for dead holders, in ms: the
/// bound on how long a unit of a dead process stays unused while someone waits.
#ifndef NOB_ROBUST_SLICE_MS
#define NOB_ROBUST_SLICE_MS 50
#endif

/// Longest wait for the file-wide lock (held briefly by every open and
/// close), in ms. Anyone who may write the file can hold that lock forever;
/// past this bound an open fails (device_or_resource_busy) and a close leaves
/// the name to the next opener, which removes it once no live user remains.
#ifndef NOB_ROBUST_LOCK_TIMEOUT_MS
#define NOB_ROBUST_LOCK_TIMEOUT_MS 5000
#endif

/// Entries of the user table of a file this process creates: how many
/// processes may have one robust semaphore open at once (at most 65535).
#ifndef NOB_ROBUST_MAX_USERS
#define NOB_ROBUST_MAX_USERS 4096
#endif

/// Test-only: with NOB_ROBUST_TEST_HOOKS defined, the process stops itself
/// (SIGSTOP) at the numbered step whose name is in the environment variable
/// NOB_CRASH_AT, so that a test can SIGKILL it exactly there.
#ifdef NOB_ROBUST_TEST_HOOKS
#define NOB_ROBUST_STEP(step) ::nob::detail::robust::test_step(step)
#else
#define NOB_ROBUST_STEP(step) ((void)0)
#endif

#if NOB_ROBUST_LOCK_TIMEOUT_MS < 0
#error "NOB_ROBUST_LOCK_TIMEOUT_MS must be 0 or more"
#endif

#if NOB_ROBUST_MAX_USERS < 1 || NOB_ROBUST_MAX_USERS > 65535
#error "NOB_ROBUST_MAX_USERS must be 1..65535"
#endif

namespace nob::detail::robust {

#ifdef NOB_ROBUST_TEST_HOOKS
/// Test builds: stops the process at `step` when NOB_CRASH_AT names it.
inline void test_step(const char* step) noexcept {
  const char* want = std::getenv("NOB_CRASH_AT");
  if (want != nullptr && std::strcmp(want, step) == 0) ::raise(SIGSTOP);
}
#endif

}  // namespace nob::detail::robust

#endif  // NOB_DETAIL_ROBUST_CONFIG_HPP
