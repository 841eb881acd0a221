// Errors: std::system_error in the generic category with the errno and the
// name; permission denied for a file this user may not open.
#include "support.hpp"

#include <sys/stat.h>

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

}  // namespace
}  // namespace robust_test
