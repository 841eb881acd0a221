// System failures are std::system_error in the generic category carrying the
// errno, with the semaphore's name in what().
#include "../common/support.hpp"

#include <grp.h>
#include <pwd.h>

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using nob_test::SemTest;

class Errors : public SemTest {};

/// The system_error thrown by `f` (a default one, and a test failure, if none).
template <class F>
std::system_error caught(F&& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return e;
  }
  ADD_FAILURE() << "no system_error thrown";
  return std::system_error(std::error_code());
}

TEST_F(Errors, FileExistsCarriesErrnoAndName) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  const auto e = caught([&] { named_semaphore t(name, existence_policy::raise_if_exists); });
  EXPECT_EQ(e.code(), std::errc::file_exists);
  EXPECT_EQ(e.code().value(), EEXIST);
  EXPECT_EQ(e.code().category(), std::generic_category());
  EXPECT_NE(std::string(e.what()).find("/" + name), std::string::npos) << e.what();
}

TEST_F(Errors, NoSuchFileCarriesErrnoAndName) {
  const std::string name = unique_name();
  const auto e = caught([&] { named_semaphore t(name); });
  EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  EXPECT_EQ(e.code().value(), ENOENT);
  EXPECT_EQ(e.code().category(), std::generic_category());
  EXPECT_NE(std::string(e.what()).find("/" + name), std::string::npos) << e.what();
}

TEST_F(Errors, ValueTooLargeCarriesErrnoAndName) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists,
                    static_cast<unsigned>(named_semaphore::max()));
  const auto e = caught([&] { s.release(); });
  EXPECT_EQ(e.code(), std::errc::value_too_large);
  EXPECT_EQ(e.code().value(), EOVERFLOW);
  EXPECT_NE(std::string(e.what()).find(s.name()), std::string::npos) << e.what();
}

TEST_F(Errors, SystemErrorsAreNotInvalidArgument) {
  const std::string name = unique_name();
  try {
    named_semaphore t(name);
    FAIL() << "no exception";
  } catch (const std::invalid_argument&) {
    FAIL() << "a missing name is a system error, not a bad argument";
  } catch (const std::system_error&) {
    SUCCEED();
  }
}

/// Drops to the user "nobody" (uid 65534 if not in passwd); true on success.
bool become_nobody() {
  uid_t uid = 65534;
  gid_t gid = 65534;
  if (const passwd* pw = ::getpwnam("nobody")) {
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  return ::setgroups(0, nullptr) == 0 && ::setgid(gid) == 0 && ::setuid(uid) == 0 &&
         ::getuid() == uid;
}

class PermissionDenied : public SemTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to setuid() a child to nobody";
  }
};

TEST_F(PermissionDenied, OpeningAnotherUsersSemaphoreIsPermissionDenied) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists, 1, 0600);
  const int rc = nob_test::run_in_child([&] {
    if (!become_nobody()) return 2;
    for (auto policy : {existence_policy::raise_if_not_exists, existence_policy::link_or_create}) {
      try {
        named_semaphore t(name, policy);
        return 3;  // opened a 0600 root semaphore as nobody
      } catch (const std::system_error& e) {
        if (e.code() != std::errc::permission_denied) return 4;
        if (e.code().category() != std::generic_category()) return 5;
        if (std::string(e.what()).find("/" + name) == std::string::npos) return 6;
      }
    }
    if (!named_semaphore::exists(name)) return 7;  // it exists, even if we cannot open it
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(s.value(), 1);
  EXPECT_TRUE(named_semaphore::exists(name));
}

TEST_F(PermissionDenied, AReadableModeLetsOthersIn) {
  if (!nob::uses_dev_shm) GTEST_SKIP() << "sem_open path: the umask may narrow the mode";
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists, 0, 0666);
  const int rc = nob_test::run_in_child([&] {
    if (!become_nobody()) return 2;
    named_semaphore t(name);
    t.release();
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(s.value(), 1);
}

}  // namespace
