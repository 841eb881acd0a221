// A /dev/shm of a test's own: a forked child in a private mount namespace
// with a fresh tmpfs on /dev/shm. Every file that child and its own children
// make there is theirs alone, so a test that counts what is in the directory
// (temporary files left by a crash, say) counts exactly, even while other
// programs (a second copy of the suite) use the machine's /dev/shm. Needs
// root (unshare(CLONE_NEWNS)); the tmpfs goes away with the last process in
// the namespace.
#ifndef NOB_TESTS_PRIVATE_DEV_SHM_HPP
#define NOB_TESTS_PRIVATE_DEV_SHM_HPP

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace nob_test {

/// The exit status of in_private_dev_shm() when it could not make the
/// private /dev/shm (not root, no mount namespaces): skip, with that reason.
inline constexpr int no_private_dev_shm = 77;

/// Moves the calling process (single-threaded) into a private mount namespace
/// with a fresh tmpfs on /dev/shm, mounted with `options` (add ",size=64k" for
/// a small one); the processes it starts afterwards are in it too. False when
/// it cannot (not root, no mount namespaces).
inline bool enter_private_dev_shm(const char* options = "mode=1777") noexcept {
  return ::geteuid() == 0 && ::unshare(CLONE_NEWNS) == 0 &&
         ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
         ::mount("tmpfs", "/dev/shm", "tmpfs", 0, options) == 0;
}

/// What in_private_namespaces() gives its child besides its own /dev/shm.
enum private_extra : unsigned {
  private_dev_shm_only = 0,
  private_ipc = 1,  ///< an IPC namespace of its own, its mqueue file system on /dev/mqueue
  private_tmp = 2,  ///< a fresh tmpfs on /tmp
};

/// Runs `f` (returning an int, 0 for success) in a forked child that has a
/// private mount namespace with a fresh tmpfs on /dev/shm, and what
/// `extras` (private_extra bits) adds; the child is killed (SIGALRM) after
/// `alarm_seconds` unless that is 0. Returns f's result,
/// no_private_dev_shm, or 101 when the child did not exit normally. `f`
/// runs in a child: report with the result (and stderr), not with
/// GoogleTest assertions; an exception it throws is 100 (its what() on
/// stderr).
template <class F>
int in_private_namespaces(unsigned extras, unsigned alarm_seconds, F&& f) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return no_private_dev_shm;
  if (pid == 0) {
    if (alarm_seconds != 0) ::alarm(alarm_seconds);
    const bool ipc = (extras & private_ipc) != 0, tmp = (extras & private_tmp) != 0;
    if (ipc) ::mkdir("/dev/mqueue", 01777);
    if (::geteuid() != 0 || ::unshare(CLONE_NEWNS | (ipc ? CLONE_NEWIPC : 0)) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777") != 0 ||
        (tmp && ::mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777") != 0) ||
        (ipc && ::mount("mqueue", "/dev/mqueue", "mqueue", 0, nullptr) != 0))
      ::_exit(no_private_dev_shm);
    int rc = 100;
    try {
      rc = f();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child threw: %s\n", e.what());
    } catch (...) {
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

/// in_private_namespaces() with only the private /dev/shm.
template <class F>
int in_private_dev_shm(F&& f) {
  return in_private_namespaces(private_dev_shm_only, 0, std::forward<F>(f));
}

/// Names in /dev/shm that start with `prefix` ("": every name, without
/// "." and "..").
inline std::vector<std::string> dev_shm_entries(const std::string& prefix = "") {
  std::vector<std::string> out;
  if (DIR* d = ::opendir("/dev/shm")) {
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0) out.push_back(e->d_name);
    }
    ::closedir(d);
  }
  return out;
}

}  // namespace nob_test

#endif  // NOB_TESTS_PRIVATE_DEV_SHM_HPP
