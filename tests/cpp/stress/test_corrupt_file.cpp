// A broken backing file in /dev/shm: a clear std::system_error, never SIGBUS.
#include <fcntl.h>

#include "../common/stress_util.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;

/// Ways the backing file can be broken, each made by a setup function.
struct breakage {
  const char* what;
  void (*make)(const std::string& path, const std::string& other);
};

void write_bytes(const std::string& path, std::size_t n) {
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  std::string junk(n, '\xff');
  if (n) {
    ASSERT_EQ(::write(fd, junk.data(), n), static_cast<ssize_t>(n));
  }
  ::close(fd);
}

const breakage cases[] = {
    {"zero-length", [](const std::string& p, const std::string&) { write_bytes(p, 0); }},
    {"3 bytes", [](const std::string& p, const std::string&) { write_bytes(p, 3); }},
    {"one byte short", [](const std::string& p, const std::string&) {
       write_bytes(p, sizeof(sem_t) - 1);
     }},
    {"a directory", [](const std::string& p, const std::string&) {
       ASSERT_EQ(::mkdir(p.c_str(), 0700), 0);
     }},
    {"a symlink to a valid semaphore", [](const std::string& p, const std::string& other) {
       ASSERT_EQ(::symlink(other.c_str(), p.c_str()), 0);
     }},
    {"a dangling symlink", [](const std::string& p, const std::string&) {
       ASSERT_EQ(::symlink("/nonexistent/nob-target", p.c_str()), 0);
     }},
    {"a fifo", [](const std::string& p, const std::string&) {
       ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
     }},
};

TEST(CorruptFile, EveryOpeningPolicyThrowsSystemErrorInsteadOfCrashing) {
  const std::string prefix = stress::unique_name();
  stress::shm_guard guard(prefix);
  named_semaphore valid(prefix + "-valid", existence_policy::raise_if_exists, 5);
  const std::string valid_path = stress::shm_path(prefix + "-valid");
  int tried = 0;
  for (const auto& c : cases) {
    const std::string name = prefix + "-bad";
    const std::string path = stress::shm_path(name);
    c.make(path, valid_path);
    for (auto policy : {existence_policy::raise_if_not_exists, existence_policy::link_or_create,
                        existence_policy::raise_if_exists}) {
      // In a child, so that a SIGBUS would show as a signal, not kill the suite.
      const pid_t kid = stress::spawn([&] {
        try {
          named_semaphore s(name, policy);
          (void)s.value();
          return 1;  // opened a broken file
        } catch (const std::system_error&) {
          return 0;
        }
      });
      EXPECT_EQ(stress::wait_exit(kid), 0) << c.what << ", policy " << static_cast<int>(policy);
      ++tried;
    }
    EXPECT_TRUE(named_semaphore::exists(name)) << c.what;  // opening never removes it
    if (::unlink(path.c_str()) != 0) ::rmdir(path.c_str());
  }
  EXPECT_EQ(valid.value(), 5);  // the symlink target was not touched
  std::printf("[figures] %d broken backing files x policies opened: all system_error\n", tried);
}

TEST(CorruptFile, UnlinkAndCreateReplacesABrokenFileOrSaysWhyNot) {
  const std::string prefix = stress::unique_name();
  stress::shm_guard guard(prefix);
  for (const auto& c : cases) {
    const std::string name = prefix + "-bad";
    const std::string path = stress::shm_path(name);
    c.make(path, "/nonexistent");
    try {
      named_semaphore s(name, existence_policy::unlink_and_create, 2);
      EXPECT_EQ(s.value(), 2) << c.what;  // a fresh, valid semaphore
    } catch (const std::system_error& e) {
      // Only a directory cannot be unlinked: EISDIR (or EPERM).
      EXPECT_STREQ(c.what, "a directory") << e.what();
      ::rmdir(path.c_str());
    }
    EXPECT_FALSE(named_semaphore::exists(name)) << c.what;
  }
}

TEST(CorruptFile, GarbageOfTheRightSizeIsRefused) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  const std::string path = stress::shm_path(name);
  write_bytes(path, sizeof(sem_t));  // all 0xff: glibc would abort on its futex word
  const pid_t kid = stress::spawn([&] {
    try {
      named_semaphore s(name, existence_policy::link_or_create);
      (void)s.try_acquire();
      s.release();
      return 1;  // opened garbage
    } catch (const std::system_error& e) {
      return e.code() == std::errc::invalid_argument ? 0 : 2;
    }
  });
  EXPECT_EQ(stress::wait_exit(kid), 0);  // not SIGABRT, SIGBUS or SIGSEGV
  ::unlink(path.c_str());
}

// The documented limit: a file truncated AFTER it was mapped cannot be
// caught by any check at open time; touching the mapping raises SIGBUS.
TEST(CorruptFile, TruncationAfterOpenIsTheKnownSigbusLimit) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  named_semaphore sem(name, existence_policy::raise_if_exists, 1);
  const pid_t kid = stress::spawn([&] {
    named_semaphore s(name);
    if (::truncate(stress::shm_path(name).c_str(), 0) != 0) return 2;
    (void)s.value();  // SIGBUS here
    return 0;
  });
  const int rc = stress::wait_exit(kid);
  // Sanitizer runtimes catch the SIGBUS, report it and end the child themselves
  // (ASan by abort, TSan with exit code 66).
  EXPECT_TRUE(rc == 1000 + SIGBUS || (stress::sanitized && rc != 0)) << rc;
}

}  // namespace
