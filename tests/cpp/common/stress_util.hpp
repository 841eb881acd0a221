// Helpers shared by the stress and fault tests: unique names, the scale
// factor, real child processes, shared-memory counters and /dev/shm checks.
#ifndef NOB_TESTS_STRESS_UTIL_HPP
#define NOB_TESTS_STRESS_UTIL_HPP

#include "run_prefix.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <nob/named_semaphore.hpp>

namespace stress {

/// NOB_STRESS_SCALE (integer >= 1, default 1): multiplies every workload.
inline long scale() {
  const char* s = std::getenv("NOB_STRESS_SCALE");
  const long v = s ? std::atol(s) : 1;
  return v < 1 ? 1 : v;
}

/// "<run prefix>-<pid>-<Suite>.<Test>[-suffix]": unique per process and test.
inline std::string unique_name(const std::string& suffix = "") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string n = nob_test::run_prefix() + "-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "." +
                  info->name();
  if (!suffix.empty()) n += "-" + suffix;
  for (char& c : n)
    if (!nob::is_valid_name(std::string(1, c)) && c != '.') c = '_';
  return n;
}

/// The backing file of a (possibly slash-less) valid name.
inline std::string shm_path(const std::string& name) {
  return "/dev/shm/sem." + nob::normalize_name(name).substr(1);
}

/// Files in /dev/shm whose name starts with `prefix`.
inline std::vector<std::string> shm_files(const std::string& prefix) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir("/dev/shm")) {
    while (dirent* e = ::readdir(d)) {
      std::string f = e->d_name;
      if (f.rfind(prefix, 0) == 0) out.push_back(f);
    }
    ::closedir(d);
  }
  return out;
}

/// Removes every backing file of this test's names at scope exit (also on
/// failure) and fails the test if anything was left for it to remove.
class shm_guard {
 public:
  explicit shm_guard(std::string prefix, bool expect_clean = true)
      : prefix_("sem." + std::move(prefix)), expect_clean_(expect_clean) {}
  ~shm_guard() {
    std::vector<std::string> left;
    for (int i = 0; i < 100; ++i) {  // children may still be exiting
      left = shm_files(prefix_);
      if (left.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (const auto& f : left) {
      const std::string p = "/dev/shm/" + f;
      if (::unlink(p.c_str()) != 0) ::rmdir(p.c_str());
    }
    if (expect_clean_) {
      EXPECT_TRUE(left.empty()) << "left in /dev/shm: " << left.size() << " files";
    }
  }
  shm_guard(const shm_guard&) = delete;
  shm_guard& operator=(const shm_guard&) = delete;

 private:
  std::string prefix_;
  bool expect_clean_;
};

/// A block of shared memory (MAP_SHARED | MAP_ANONYMOUS) that survives fork.
template <class T>
class shared {
 public:
  shared() {
    void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    ptr_ = new (p) T();
  }
  ~shared() {
    ptr_->~T();
    ::munmap(ptr_, sizeof(T));
  }
  shared(const shared&) = delete;
  shared& operator=(const shared&) = delete;
  T* operator->() const { return ptr_; }
  T& operator*() const { return *ptr_; }

 private:
  T* ptr_;
};

/// A start line in shared memory: children wait() until the parent open()s,
/// so that they really run at the same time.
struct gate {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  void wait() {
    ready.fetch_add(1);
    while (!go.load()) std::this_thread::yield();
  }
  void open(int expected) {
    while (ready.load() < expected) std::this_thread::yield();
    go.store(true);
  }
};

/// Forks a child that runs `body` and exits with its return value (or 99 on
/// an exception, 98 on an unexpected one); returns the child's pid.
inline pid_t spawn(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 98;
    try {
      rc = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
      rc = 99;
    } catch (...) {
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  return pid;
}

/// Waits for `pid`; returns the raw wait status.
inline int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

/// Waits for `pid`; returns its exit code, or 1000 + signal when killed.
inline int wait_exit(pid_t pid) {
  const int status = wait_status(pid);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 1000 + WTERMSIG(status);
  return -1;
}

/// Counts lines of /proc/self/maps that mention /dev/shm/sem.
inline int sem_mappings() {
  int n = 0;
  if (FILE* f = std::fopen("/proc/self/maps", "r")) {
    char line[4096];
    while (std::fgets(line, sizeof line, f))
      if (std::string(line).find("/dev/shm/sem.") != std::string::npos) ++n;
    std::fclose(f);
  }
  return n;
}

/// Counts open file descriptors of this process.
inline int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    --n;  // the directory's own descriptor
  }
  return n;
}

/// True when built with AddressSanitizer or ThreadSanitizer.
inline constexpr bool sanitized =
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

}  // namespace stress

#endif
