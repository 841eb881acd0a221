// What nob-sem (nob/ipc/_cli/) needs from C and from the library's own code,
// as flat non-throwing functions for nob.ipc._cli_native. Compiled into that
// extension, not installed.
#ifndef NOB_PY_CLI_NATIVE_HPP
#define NOB_PY_CLI_NATIVE_HPP

#include <signal.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

namespace nob_py {

/// Sets the signals that the C library keeps for itself (glibc: the kernel's
/// real-time signals below SIGRTMIN, 32 and 33) to their default action, with
/// the system call: the library's sigaction refuses them. glibc 2.36's
/// posix_spawn leaves them ignored in the programs it starts (Python 3.13's
/// subprocess uses it), and an ignored signal stays ignored across exec.
/// For a child about to exec; returns how many it reset.
inline int reset_internal_signals() noexcept {
  int done = 0;
#if defined(__linux__) && defined(SYS_rt_sigaction) && defined(SIGRTMIN)
  // The kernel's struct sigaction, all zero: SIG_DFL, no flags, empty mask
  // (large enough for every architecture's layout).
  alignas(8) unsigned char dfl[256] = {};
  const long sigset_bytes = (SIGRTMAX + 1) / 8;  // the kernel's _NSIG / 8
  for (int sig = 32; sig < SIGRTMIN; ++sig)
    if (::syscall(SYS_rt_sigaction, sig, dfl, nullptr, sigset_bytes) == 0) ++done;
#endif
  return done;
}

}  // namespace nob_py

#endif  // NOB_PY_CLI_NATIVE_HPP
