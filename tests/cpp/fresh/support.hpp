// Shared helpers of the fresh-name suite (create_unique() of every kind):
// the four kinds (kinds.hpp) as GoogleTest types, a child process with
// a private /dev/shm, /dev/mqueue and /tmp (so that what it leaves behind is
// counted exactly), and a random source the test chooses: getrandom(2)
// refused by a seccomp filter and /dev/urandom replaced by a FIFO that holds
// the bytes the test wants drawn. No hook in the headers: the tests run the
// code a release build runs.
#ifndef NOB_TESTS_FRESH_SUPPORT_HPP
#define NOB_TESTS_FRESH_SUPPORT_HPP

#include "kinds.hpp"
#include "../common/private_dev_shm.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace fresh_test {

using Kinds = ::testing::Types<semaphore_kind, shm_kind, mq_kind, robust_kind>;

struct KindNames {
  template <class Kind>
  static std::string GetName(int) {
    return kind_label<Kind>();
  }
};

// --- children in private namespaces --------------------------------------

/// The exit status of in_private_ipc() when it could not make its
/// namespaces (not root, no mount or IPC namespaces): skip, with that reason.
inline constexpr int no_private_ipc = nob_test::no_private_dev_shm;

/// Runs `f` (returning an int, 0 for success) in a forked child with a
/// private /dev/shm, /tmp and IPC namespace (tests/cpp/common/private_dev_shm.hpp):
/// what `f` makes there is its alone and gone with it. Killed after 60 s (a
/// read of an empty FIFO would wait for ever). `f` reports with its result
/// and stderr (CHILD_CHECK), not with GoogleTest assertions.
template <class F>
int in_private_ipc(F&& f) {
  return nob_test::in_private_namespaces(nob_test::private_ipc | nob_test::private_tmp, 60,
                                         std::forward<F>(f));
}

/// Forks a child that runs `f` (returning an int, 0 for success; an
/// exception is 100) and exits with its result. The child's pid, or -1
/// when fork fails.
template <class F>
pid_t start_child(F&& f) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  int rc = 100;
  try {
    rc = f();
  } catch (...) {
  }
  ::_exit(rc);
}

/// Waits for the child `pid` (start_child()): true when it exited with 0.
inline bool child_passed(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// In a child: fails it (status 1, the condition on stderr) when `cond` is false.
#define CHILD_CHECK(cond)                                                          \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                         \
      return 1;                                                                    \
    }                                                                              \
  } while (0)

/// GoogleTest side of in_private_ipc(): skips on no_private_ipc, else expects 0.
#define EXPECT_CHILD_PASSES(rc)                                                  \
  do {                                                                           \
    const int child_rc_ = (rc);                                                  \
    if (child_rc_ == ::fresh_test::no_private_ipc)                               \
      GTEST_SKIP() << "needs root and mount and IPC namespaces";                 \
    if (child_rc_ == ::fresh_test::no_seccomp)                                   \
      GTEST_SKIP() << "cannot install a seccomp filter here (qemu-user?)";       \
    EXPECT_EQ(child_rc_, 0) << "the child failed (its stderr says where)";      \
  } while (0)

/// The names in the private /dev/shm and /dev/mqueue ("mq:" before the
/// latter), sorted.
inline std::vector<std::string> ipc_entries() {
  std::vector<std::string> out;
  for (const char* dir : {"/dev/shm", "/dev/mqueue"}) {
    if (DIR* d = ::opendir(dir)) {
      while (dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        out.push_back((dir[5] == 'm' ? "mq:" : "") + std::string(e->d_name));
      }
      ::closedir(d);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --- the random source -----------------------------------------------------

/// The exit status of a child that could not install its seccomp filter.
inline constexpr int no_seccomp = 78;

/// Installs a seccomp filter on this process: getrandom(2) answers
/// `action` (SECCOMP_RET_ERRNO | errno, or SECCOMP_RET_KILL_PROCESS).
inline bool filter_getrandom(unsigned int action) {
#if defined(__x86_64__)
  constexpr unsigned arch = AUDIT_ARCH_X86_64;
#elif defined(__i386__)
  constexpr unsigned arch = AUDIT_ARCH_I386;
#elif defined(__aarch64__)
  constexpr unsigned arch = AUDIT_ARCH_AARCH64;
#else
  (void)action;
  return false;
#endif
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
  sock_filter prog[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, action),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog fprog{static_cast<unsigned short>(sizeof prog / sizeof prog[0]), prog};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == 0;
#endif
}

/// One draw of the random source: the 8 bytes behind one fresh name.
using draw = std::array<unsigned char, 8>;

/// A draw of eight bytes `b`.
inline draw draw_of(unsigned char b) {
  draw d;
  d.fill(b);
  return d;
}

/// The fresh name a draw gives: "/nob-" and its bytes in lowercase hex.
inline std::string name_of(const draw& d) {
  static const char hex[] = "0123456789abcdef";
  std::string name = "/nob-";
  for (unsigned char b : d) {
    name += hex[b >> 4];
    name += hex[b & 15];
  }
  return name;
}

/// In an in_private_ipc() child: getrandom(2) fails with ENOSYS (as on a
/// kernel without it) and /dev/urandom is a FIFO in the private /tmp that
/// holds exactly `draws`, in order. Reading past them would wait (the child
/// holds the FIFO's write end): give as many draws as the test makes.
/// no_seccomp, 1 on another failure, 0 done.
inline int choose_random_source(const std::vector<draw>& draws) {
  const char* fifo = "/tmp/urandom";
  if (::mkfifo(fifo, 0600) != 0) return 1;
  const int fd = ::open(fifo, O_RDWR | O_CLOEXEC);  // never closed: reads then wait, not end
  if (fd < 0) return 1;
  for (const draw& d : draws) {
    if (::write(fd, d.data(), d.size()) != static_cast<ssize_t>(d.size())) return 1;
  }
  if (::mount(fifo, "/dev/urandom", nullptr, MS_BIND, nullptr) != 0) return 1;
  return filter_getrandom(SECCOMP_RET_ERRNO | ENOSYS) ? 0 : no_seccomp;
}

/// In an in_private_ipc() child: no random source at all: getrandom(2)
/// fails with EPERM and /dev/urandom ends at once (it is /dev/null).
inline int break_random_source() {
  if (::mount("/dev/null", "/dev/urandom", nullptr, MS_BIND, nullptr) != 0) return 1;
  return filter_getrandom(SECCOMP_RET_ERRNO | EPERM) ? 0 : no_seccomp;
}

}  // namespace fresh_test

#endif  // NOB_TESTS_FRESH_SUPPORT_HPP
