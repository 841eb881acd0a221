// Shared helpers of the robust semaphore suite: unique names removed after
// each test, exec'd children (the helper program), waiting for a child to
// stop at a crash point. Forked children, the stress scale and /dev/shm
// listings come from the helpers the suites share (../common/).
#ifndef NOB_TESTS_ROBUST_SUPPORT_HPP
#define NOB_TESTS_ROBUST_SUPPORT_HPP

#include <nob/robust_semaphore.hpp>

#include "../common/private_dev_shm.hpp"
#include "../common/run_prefix.hpp"
#include "../common/support.hpp"      // start_child, wait_child, run_in_child
#include "../common/stress_util.hpp"  // scale, shm_files

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace robust_test {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::robust_semaphore;
using nob_test::run_in_child;
using nob_test::start_child;
using nob_test::wait_child;
using stress::scale;
using stress::shm_files;

/// Every test of this binary runs with a /dev/shm of its own when it can
/// (as root): before the first test, the process enters a mount namespace of
/// its own with a fresh tmpfs on /dev/shm (the helper programs it starts
/// inherit it). So a check that no file of any name was left (nob's
/// temporary files, "nob.nob-XXXXXX") sees only this run's files, whatever
/// another run of the suite or another program does on the machine beside it.
class private_shm_environment : public ::testing::Environment {
 public:
  void SetUp() override {
    active = nob_test::enter_private_dev_shm();
    if (!active)
      std::printf("[ note ] /dev/shm is the machine's (not root): checks for files of any "
                  "name are skipped\n");
  }
  static inline bool active = false;
};

inline ::testing::Environment* const private_shm_environment_added =
    ::testing::AddGlobalTestEnvironment(new private_shm_environment);

/// True when this run has /dev/shm to itself (see private_shm_environment).
inline bool private_shm() { return private_shm_environment::active; }

/// The backing file of a valid name.
inline std::string shm_path(const std::string& name) {
  return "/dev/shm/nob." + nob::normalize_name(name).substr(1);
}

/// The lock file of a valid name (every lock of the semaphore is on it).
inline std::string lock_path(const std::string& name) {
  return "/dev/shm/nob~" + nob::normalize_name(name).substr(1);
}

/// True when the backing file of `name` is in /dev/shm (stale or not).
inline bool file_present(const std::string& name) {
  struct stat st {};
  return ::lstat(shm_path(name).c_str(), &st) == 0;
}

/// Base fixture: names unique to this process and test, all removed after it.
class RobustTest : public ::testing::Test {
 protected:
  /// "<run prefix>-<pid>-r-<suite>-<test>-<tag>".
  std::string unique_name(const std::string& tag = "s") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string raw = std::string(info->test_suite_name()) + "-" + info->name() + "-" + tag;
    std::string name = nob_test::run_prefix() + "-" + std::to_string(::getpid()) + "-r-";
    for (char c : raw) name += nob::is_valid_name(std::string(1, c)) || c == '.' ? c : '_';
    if (name.size() > 200) name.resize(200);
    names_.push_back(name);
    return name;
  }

  void TearDown() override {
    for (const auto& n : names_) {
      robust_semaphore::remove(n);
      ::unlink(shm_path(n).c_str());  // a foreign file planted by a test
      ::unlink(lock_path(n).c_str());
    }
  }

 private:
  std::vector<std::string> names_;
};

/// SIGKILLs and reaps a child.
inline void kill_child(pid_t pid) {
  ::kill(pid, SIGKILL);
  wait_child(pid);
}

/// The helper program (tests/cpp/robust/helper.cpp), from NOB_ROBUST_HELPER.
inline std::string helper_path() {
  const char* p = std::getenv("NOB_ROBUST_HELPER");
  return p != nullptr ? std::string(p) : std::string();
}

/// Starts `argv` (argv[0] a path) with NOB_CRASH_AT=crash_at (if not empty)
/// in its environment and its stdout on a pipe whose read end goes to `out_fd`.
inline pid_t spawn(const std::vector<std::string>& argv, const std::string& crash_at,
                   int* out_fd = nullptr) {
  int p[2] = {-1, -1};
  if (out_fd != nullptr && ::pipe2(p, O_CLOEXEC) != 0) return -1;
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::string(*e).rfind("NOB_CRASH_AT=", 0) != 0) env_strings.emplace_back(*e);
  if (!crash_at.empty()) env_strings.push_back("NOB_CRASH_AT=" + crash_at);
  std::vector<char*> args, envs;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env_strings) envs.push_back(const_cast<char*>(e.c_str()));
  envs.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (out_fd != nullptr) ::dup2(p[1], 1);
    ::execve(args[0], args.data(), envs.data());
    ::_exit(127);
  }
  if (out_fd != nullptr) {
    ::close(p[1]);
    *out_fd = p[0];
  }
  return pid;
}

/// Reads one line from `fd` (without the newline); empty at EOF.
inline std::string read_line(int fd) {
  std::string s;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') s += c;
  return s;
}

/// Starts the helper holding `units` of `name` (which must exist) and waits
/// until it holds them; its stdout goes to `out`.
inline pid_t start_holder(const std::string& name, int& out, int units = 1) {
  const pid_t pid = spawn({helper_path(), "hold", name, std::to_string(units)}, "", &out);
  const std::string line = read_line(out);
  EXPECT_EQ(line.rfind("held", 0), 0u) << "the helper did not get its units: " << line;
  return pid;
}

/// Waits up to `limit` for `pid` to stop (SIGSTOP at a crash point): true
/// when it stopped; false when it ended or the time ran out (`status` set).
inline bool wait_stopped(pid_t pid, int& status, std::chrono::milliseconds limit = 20000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    const pid_t r = ::waitpid(pid, &status, WUNTRACED | WNOHANG);
    if (r == pid) return WIFSTOPPED(status);
    std::this_thread::sleep_for(1ms);
  }
  status = -1;
  return false;
}

/// A child's "I am ready" to its parent: the child calls signal(), the
/// parent wait() (true once a child signalled; false if all writers ended).
struct ready_pipe {
  int fd[2] = {-1, -1};
  ready_pipe() { EXPECT_EQ(::pipe2(fd, O_CLOEXEC), 0); }
  ~ready_pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  ready_pipe(const ready_pipe&) = delete;
  ready_pipe& operator=(const ready_pipe&) = delete;
  /// In the child: tells the parent.
  bool signal() const {
    const char c = 'r';
    return ::write(fd[1], &c, 1) == 1;
  }
  /// In the parent: closes its write end and waits for a child's signal.
  bool wait() {
    ::close(fd[1]);
    fd[1] = -1;
    char c = 0;
    return ::read(fd[0], &c, 1) == 1;
  }
};

/// Units held by live processes, from holders().
inline unsigned int units_of_holders(const robust_semaphore& s) {
  unsigned int n = 0;
  for (const auto& h : s.holders()) n += h.units;
  return n;
}

}  // namespace robust_test

#endif  // NOB_TESTS_ROBUST_SUPPORT_HPP
