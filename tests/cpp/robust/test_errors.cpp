// Errors: std::system_error in the generic category with the errno and the
// name; permission denied for a file this user may not open. open(name, ec,
// ...) reports, under every policy, the error code the constructor's
// exception carries (invalid_argument for a bad argument), with no handle.
#include "support.hpp"

#include <sys/stat.h>

#include <optional>
#include <stdexcept>

namespace robust_test {
namespace {

class Errors : public RobustTest {};

TEST_F(Errors, GenericCategoryAndName) {
  const auto name = unique_name();
  try {
    robust_semaphore s(name);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().category(), std::generic_category());
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("/" + name), std::string::npos);
  }
}

TEST_F(Errors, PermissionDenied) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 1, 0600);
  EXPECT_EQ(run_in_child([&] {
              s.close();
              if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 2;
              try {
                robust_semaphore t(name);
              } catch (const std::system_error& e) {
                return e.code() == std::errc::permission_denied ? 0 : 1;
              }
              return 3;
            }),
            0);
}

/// What the constructor says for these arguments: the code of its exception
/// (invalid_argument for std::invalid_argument), or clear when it opened;
/// `linked` as linked_existing().
std::error_code constructor_code(const std::string& name, existence_policy policy,
                                 unsigned int capacity = 1, mode_t mode = 0600,
                                 nob::owner_check check = nob::owner_check::any_owner,
                                 bool* linked = nullptr) {
  try {
    robust_semaphore s(name, policy, capacity, mode, check);
    if (linked != nullptr) *linked = s.linked_existing();
    return {};
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().category(), std::generic_category());
    return e.code();
  } catch (const std::invalid_argument&) {
    return std::make_error_code(std::errc::invalid_argument);
  }
}

/// The same through open(name, ec, ...): ec, and a handle exactly when ec is clear.
std::error_code open_code(const std::string& name, existence_policy policy,
                          unsigned int capacity = 1, mode_t mode = 0600,
                          nob::owner_check check = nob::owner_check::any_owner,
                          bool* linked = nullptr) {
  std::error_code ec = std::make_error_code(std::errc::interrupted);  // must be overwritten
  std::optional<robust_semaphore> s = robust_semaphore::open(name, ec, policy, capacity, mode, check);
  EXPECT_EQ(s.has_value(), !ec) << ec.message();
  if (s && linked != nullptr) *linked = s->linked_existing();
  return ec;
}

class NothrowOpen : public RobustTest {};

TEST_F(NothrowOpen, EachPolicyGivesTheConstructorsCode) {
  const auto name = unique_name();
  // Nothing at the name.
  EXPECT_EQ(open_code(name, existence_policy::raise_if_not_exists),
            std::errc::no_such_file_or_directory);
  EXPECT_EQ(constructor_code(name, existence_policy::raise_if_not_exists),
            std::errc::no_such_file_or_directory);
  // A live one at the name (this handle).
  robust_semaphore live(name, existence_policy::raise_if_exists, 2);
  EXPECT_EQ(open_code(name, existence_policy::raise_if_exists), std::errc::file_exists);
  EXPECT_EQ(constructor_code(name, existence_policy::raise_if_exists), std::errc::file_exists);
  for (existence_policy p : {existence_policy::raise_if_not_exists, existence_policy::link_or_create}) {
    bool linked_open = false, linked_ctor = false;
    EXPECT_FALSE(open_code(name, p, 1, 0600, nob::owner_check::same_uid, &linked_open));
    EXPECT_FALSE(constructor_code(name, p, 1, 0600, nob::owner_check::same_uid, &linked_ctor));
    EXPECT_TRUE(linked_open);
    EXPECT_TRUE(linked_ctor);
  }
  // unlink_and_create replaces it: a new semaphore, the old handle keeps its own.
  std::error_code ec;
  auto fresh = robust_semaphore::open(name, ec, existence_policy::unlink_and_create, 3);
  ASSERT_TRUE(fresh.has_value()) << ec.message();
  EXPECT_FALSE(ec);
  EXPECT_FALSE(fresh->linked_existing());
  EXPECT_EQ(fresh->capacity(), 3u);
  EXPECT_TRUE(fresh->try_acquire());
  EXPECT_EQ(fresh->held(), 1u);
  EXPECT_EQ(live.held(), 0u);
  EXPECT_EQ(live.value(), 2);
  fresh->release();
}

TEST_F(NothrowOpen, BadArgumentsAreInvalidArgumentBeforeAnything) {
  const auto name = unique_name();
  const auto bad_policy = static_cast<existence_policy>(9);
  const auto bad_check = static_cast<nob::owner_check>(9);
  const unsigned int too_many = robust_semaphore::max_capacity() + 1;
  for (auto policy : {existence_policy::raise_if_exists, existence_policy::link_or_create}) {
    EXPECT_EQ(open_code(name, policy, 0), std::errc::invalid_argument);
    EXPECT_EQ(constructor_code(name, policy, 0), std::errc::invalid_argument);
    EXPECT_EQ(open_code(name, policy, too_many), std::errc::invalid_argument);
    EXPECT_EQ(constructor_code(name, policy, too_many), std::errc::invalid_argument);
    EXPECT_EQ(open_code(name, policy, 1, 01000), std::errc::invalid_argument);
    EXPECT_EQ(constructor_code(name, policy, 1, 01000), std::errc::invalid_argument);
    EXPECT_EQ(open_code(name, policy, 1, 0600, bad_check), std::errc::invalid_argument);
    EXPECT_EQ(constructor_code(name, policy, 1, 0600, bad_check), std::errc::invalid_argument);
  }
  EXPECT_EQ(open_code(name, bad_policy), std::errc::invalid_argument);
  EXPECT_EQ(constructor_code(name, bad_policy), std::errc::invalid_argument);
  for (const char* bad_name : {"", "/", "a/b"}) {
    EXPECT_EQ(open_code(bad_name, existence_policy::link_or_create), std::errc::invalid_argument);
    EXPECT_EQ(constructor_code(bad_name, existence_policy::link_or_create),
              std::errc::invalid_argument);
  }
  EXPECT_FALSE(file_present(name)) << "a refused open made a file";
  EXPECT_FALSE(robust_semaphore::exists(name));
}

TEST_F(NothrowOpen, StaleCountsAsAbsent) {
  const auto name = unique_name();
  // A semaphore whose only user ended without closing: stale.
  auto make_stale = [&] {
    ASSERT_EQ(run_in_child([&] {
                robust_semaphore s(name, existence_policy::raise_if_exists, 2);
                ::_exit(s.try_acquire() ? 0 : 1);  // ends without closing, a unit held
                return 2;
              }),
              0);
    ASSERT_TRUE(file_present(name));
  };
  make_stale();
  EXPECT_EQ(open_code(name, existence_policy::raise_if_not_exists),
            std::errc::no_such_file_or_directory);
  EXPECT_FALSE(file_present(name)) << "the stale files stay";
  make_stale();
  EXPECT_EQ(constructor_code(name, existence_policy::raise_if_not_exists),
            std::errc::no_such_file_or_directory);
  make_stale();
  bool linked = true;
  EXPECT_FALSE(open_code(name, existence_policy::raise_if_exists, 1, 0600,
                         nob::owner_check::any_owner, &linked));
  EXPECT_FALSE(linked) << "a stale semaphore is replaced by raise_if_exists";
}

TEST_F(NothrowOpen, OtherUsersFileIsPermissionDenied) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 1, 0600);
  EXPECT_EQ(run_in_child([&] {
              s.close();
              if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 2;
              for (auto policy :
                   {existence_policy::raise_if_not_exists, existence_policy::link_or_create}) {
                const std::error_code ec = open_code(name, policy);
                if (ec != std::errc::permission_denied) return 10 + static_cast<int>(policy);
                if (constructor_code(name, policy) != ec) return 20 + static_cast<int>(policy);
              }
              return 0;
            }),
            0);
}

}  // namespace
}  // namespace robust_test
