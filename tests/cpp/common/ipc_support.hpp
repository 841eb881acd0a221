// Shared helpers of the shared memory and message queue suite: the fixture
// that hands out names and removes them as shared memory and as queues, the
// mqueue file system, umask, modes, and a seccomp guard that proves a call
// made no IPC system call. Built on support.hpp (children, clocks, the
// SIGUSR1 storm).
#ifndef NOB_TESTS_IPC_SUPPORT_HPP
#define NOB_TESTS_IPC_SUPPORT_HPP

#include <nob/message_queue.hpp>
#include <nob/shared_memory.hpp>

#include "scoped_umask.hpp"
#include "support.hpp"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <mqueue.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#include <cstddef>
#include <string>
#include <vector>

namespace nob_test {

using nob::existence_policy;
using nob::named_message_queue;
using nob::named_shared_memory;

/// Small queues: the per-user RLIMIT_MSGQUEUE (800 KiB) is shared by every
/// test running as this user.
inline constexpr std::size_t small_count = 4;
inline constexpr std::size_t small_size = 64;

/// True when an mqueue file system is mounted on /dev/mqueue.
inline bool mqueue_mounted() {
  struct statfs fs {};
  return ::statfs("/dev/mqueue", &fs) == 0 && fs.f_type == 0x19800202;  // MQUEUE_MAGIC
}

/// Mounts the mqueue file system on /dev/mqueue when it is absent and we
/// may (root); the suite passes either way. Only in the build that asks.
inline void mount_mqueue_if_absent() {
#ifdef NOB_TEST_MOUNT_MQUEUE
  if (mqueue_mounted() || ::geteuid() != 0) return;
  ::mkdir("/dev/mqueue", 01777);
  ::mount("none", "/dev/mqueue", "mqueue", 0, nullptr);
#endif
}

/// Base fixture: unique names, removed after each test as shared memory,
/// as message queues (and as semaphores, by SemTest), whatever happened.
class IpcTest : public SemTest {
 protected:
  static void SetUpTestSuite() { mount_mqueue_if_absent(); }

  std::string unique_name(const std::string& tag = "s") {
    std::string n = SemTest::unique_name(tag);
    ipc_names_.push_back(n);
    return n;
  }

  void TearDown() override {
    for (const auto& n : ipc_names_) {
      named_shared_memory::remove(n);
      named_message_queue::remove(n);
    }
    SemTest::TearDown();
  }

  /// A small queue created (raise_if_exists) under a fresh name.
  named_message_queue make_queue(const std::string& tag = "q", std::size_t count = small_count,
                                 std::size_t size = small_size) {
    return named_message_queue(unique_name(tag), existence_policy::raise_if_exists, count, size);
  }

 private:
  std::vector<std::string> ipc_names_;
};

/// Permission bits of an open descriptor (-1 on failure).
inline int fd_mode(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

/// Runs `f` in a child process; when this process is root, the child first
/// becomes the unprivileged user 65534 (so that permissions apply). Returns
/// f's exit status (90: could not drop privileges).
template <class F>
int run_unprivileged(F&& f) {
  return run_in_child([&] {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) return 90;
    return f();
  });
}

/// Makes every later IPC system call of this process (open, openat, mq_*,
/// unlink, link, ftruncate, fchmod) kill it with SIGSYS. For a forked
/// child that must prove a call refused its input before any system call.
inline bool forbid_ipc_syscalls() {
#if defined(__x86_64__)
  constexpr unsigned arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  constexpr unsigned arch = AUDIT_ARCH_AARCH64;
#else
  return false;
#endif
#if defined(__x86_64__) || defined(__aarch64__)
  const long forbidden[] = {
#ifdef __NR_open
      __NR_open,
#endif
#ifdef __NR_unlink
      __NR_unlink,
#endif
#ifdef __NR_link
      __NR_link,
#endif
      __NR_openat,       __NR_unlinkat,  __NR_linkat,     __NR_ftruncate,
      __NR_fchmod,       __NR_mq_open,   __NR_mq_unlink,
      __NR_mq_timedsend, __NR_mq_timedreceive, __NR_mq_getsetattr,
  };
  std::vector<sock_filter> prog;
  prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0));
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  for (long nr : forbidden) {
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 1));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  }
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == 0;
#endif
}

/// Runs `f` in a child that may make no IPC system call; true when `f`
/// threw std::invalid_argument and the child was not killed for a syscall.
template <class F>
bool refused_before_any_syscall(F&& f) {
  return run_in_child([&] {
           if (!forbid_ipc_syscalls()) return 3;
           try {
             f();
           } catch (const std::invalid_argument&) {
             return 0;
           } catch (...) {
             return 2;
           }
           return 1;
         }) == 0;
}

}  // namespace nob_test

#endif  // NOB_TESTS_IPC_SUPPORT_HPP
