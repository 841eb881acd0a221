// Security: exact modes under any umask, no escape from the namespace, and
// another uid can neither open nor unlink a 0600 semaphore.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "../common/stress_util.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;

mode_t mode_of(const std::string& name) {
  struct stat st {};
  if (::lstat(stress::shm_path(name).c_str(), &st) != 0) return 07777;
  return st.st_mode & 07777;
}

TEST(Security, DefaultModeIs0600) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  const mode_t old = ::umask(0);
  named_semaphore a(name, existence_policy::raise_if_exists);
  ::umask(old);
  EXPECT_EQ(mode_of(name), 0600u);
}

TEST(Security, ModeIsExactWhateverTheUmask) {
  const std::string prefix = stress::unique_name();
  stress::shm_guard guard(prefix);
  int checked = 0;
  for (mode_t mask : {00, 022, 077, 0777, 0111}) {
    for (mode_t mode : {0600, 0640, 0644, 0660, 0666, 0400, 0000, 0777}) {
      const mode_t old = ::umask(mask);
      for (auto policy : {existence_policy::raise_if_exists, existence_policy::link_or_create,
                          existence_policy::unlink_and_create}) {
        named_semaphore s(prefix, policy, 0, mode);
        EXPECT_EQ(mode_of(prefix), mode) << std::oct << "umask " << mask << " mode " << mode;
        ++checked;
      }
      ::umask(old);
    }
  }
  EXPECT_EQ(checked, 5 * 8 * 3);
}

TEST(Security, NamesCannotLeaveTheSemaphoreNamespace) {
  const char* bad[] = {"../x",    "/../x",   "..",        "/..",     ".",      "a/b",
                       "/a/../b", "./x",     "x/",        "../../etc/passwd", "/dev/shm/x",
                       "x\ny",    "~root",     "$HOME",   "*",      "x y"};
  for (const char* n : bad) {
    const std::string_view name(n);
    EXPECT_FALSE(nob::is_valid_name(name)) << n;
    EXPECT_THROW(named_semaphore(name, existence_policy::link_or_create), std::invalid_argument)
        << n;
    EXPECT_THROW(named_semaphore::remove(name), std::invalid_argument) << n;
    EXPECT_THROW(named_semaphore::exists(name), std::invalid_argument) << n;
  }
  const std::string_view nul("x\0y", 3);
  EXPECT_THROW(named_semaphore(nul, existence_policy::link_or_create), std::invalid_argument);
  // Names made only of allowed bytes stay in /dev/shm as one "sem.*" file.
  EXPECT_EQ(nob::normalize_name("..x"), "/..x");
  EXPECT_EQ(stress::shm_path("..x"), "/dev/shm/sem...x");
}

TEST(Security, AnotherUidCanNeitherOpenNorUnlinkA0600Semaphore) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to another uid";
  const passwd* nobody = ::getpwnam("nobody");
  const uid_t uid = nobody ? nobody->pw_uid : 65534;
  const gid_t gid = nobody ? nobody->pw_gid : 65534;
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  named_semaphore sem(name, existence_policy::raise_if_exists, 3);  // mode 0600
  const pid_t kid = stress::spawn([&] {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) return 2;
    if (::geteuid() != uid) return 3;
    int refused = 0;
    for (auto policy : {existence_policy::raise_if_not_exists, existence_policy::link_or_create}) {
      try {
        named_semaphore s(name, policy);
        return 4;
      } catch (const std::system_error& e) {
        refused += e.code() == std::errc::permission_denied;
      }
    }
    try {
      (void)named_semaphore::remove(name);  // sticky /dev/shm: EPERM
      return 5;
    } catch (const std::system_error& e) {
      refused += e.code() == std::errc::operation_not_permitted ||
                 e.code() == std::errc::permission_denied;
    }
    try {
      named_semaphore s(name, existence_policy::unlink_and_create);
      return 6;
    } catch (const std::system_error& e) {
      refused += e.code() == std::errc::operation_not_permitted ||
                 e.code() == std::errc::permission_denied;
    }
    try {
      named_semaphore s(name, existence_policy::raise_if_exists);
      return 7;
    } catch (const std::system_error& e) {
      refused += e.code() == std::errc::file_exists;
    }
    return refused == 5 ? 0 : 10 + refused;
  });
  EXPECT_EQ(stress::wait_exit(kid), 0);
  EXPECT_TRUE(named_semaphore::exists(name));
  EXPECT_EQ(sem.value(), 3);
  EXPECT_EQ(mode_of(name), 0600u);
}

}  // namespace
