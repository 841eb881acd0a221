// Two real users for the tests of a hostile local user (issue 19): a victim
// and an attacker, made with useradd when they do not exist yet. The tests
// run as root and play each user in a forked child that drops to that uid
// (become()); without root they skip.
#ifndef NOB_TESTS_ROBUST_HOSTILE_HPP
#define NOB_TESTS_ROBUST_HOSTILE_HPP

#include "support.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/mman.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace robust_test {

/// A user: uid and primary gid.
struct user_id {
  uid_t uid;
  gid_t gid;
};

/// The user `name`, made (a system user without home) when missing; nullopt
/// when it cannot be had.
inline std::optional<user_id> test_user(const char* name) {
  if (passwd* pw = ::getpwnam(name)) return user_id{pw->pw_uid, pw->pw_gid};
  const std::string cmd = std::string("useradd --system --no-create-home --shell /usr/sbin/nologin ") +
                          name + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  if (passwd* pw = ::getpwnam(name)) return user_id{pw->pw_uid, pw->pw_gid};
  return std::nullopt;
}

/// Base fixture: skips unless this is root and both users can be had.
class HostileTest : public RobustTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (to play two users)";
    const auto v = test_user("nob-victim");
    const auto a = test_user("nob-attacker");
    if (!v || !a) GTEST_SKIP() << "useradd failed: cannot make the test users";
    victim = *v;
    attacker = *a;
  }
  user_id victim{};
  user_id attacker{};
};

/// In a forked child: becomes `u` for good (groups dropped). False on failure.
inline bool become(const user_id& u) {
  return ::setgroups(0, nullptr) == 0 && ::setresgid(u.gid, u.gid, u.gid) == 0 &&
         ::setresuid(u.uid, u.uid, u.uid) == 0;
}

/// Runs `f` as `u` in a forked child; its return value is the exit status
/// (100: an exception, 99: could not become the user).
template <class F>
pid_t start_as(const user_id& u, F&& f) {
  return start_child([&]() -> int {
    if (!become(u)) return 99;
    return f();
  });
}

/// SIGKILLs and reaps the children it was given when it goes (also when an
/// assertion ends the test early, so that no child is left sleeping).
class children {
 public:
  children() = default;
  children(const children&) = delete;
  children& operator=(const children&) = delete;
  ~children() {
    for (pid_t p : pids_) kill_child(p);
  }
  /// Keeps `pid` to kill at the end; returns it.
  pid_t keep(pid_t pid) {
    pids_.push_back(pid);
    return pid;
  }
  /// Reaps `pid` now (its exit status, as wait_child) and forgets it.
  int wait(pid_t pid) {
    for (std::size_t i = 0; i < pids_.size(); ++i)
      if (pids_[i] == pid) pids_.erase(pids_.begin() + static_cast<std::ptrdiff_t>(i));
    return wait_child(pid);
  }

 private:
  std::vector<pid_t> pids_;
};

/// Seconds since `t0`.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// An OFD lock of `type` on `len` bytes at `start` of `fd` (len 0: to the end
/// of any file), taken at once, or waited for with `wait`. 0 or errno.
inline int ofd_range_lock(int fd, short type, off_t start, off_t len, bool wait) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = len;
  return ::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0 ? 0 : errno;
}

}  // namespace robust_test

#endif  // NOB_TESTS_ROBUST_HOSTILE_HPP
