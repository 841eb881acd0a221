// mode is applied exactly, whatever the umask; only when this call creates.
#include "support.hpp"

#include <sys/stat.h>

namespace robust_test {
namespace {

class Mode : public RobustTest {};

mode_t mode_of(const std::string& name) {
  struct stat st {};
  EXPECT_EQ(::lstat(shm_path(name).c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST_F(Mode, ExactWhateverTheUmask) {
  for (mode_t umask_value : {mode_t(0), mode_t(022), mode_t(077), mode_t(0777)}) {
    for (mode_t mode : {mode_t(0600), mode_t(0640), mode_t(0666), mode_t(0644)}) {
      const auto name = unique_name(std::to_string(umask_value) + "-" + std::to_string(mode));
      const mode_t old = ::umask(umask_value);
      robust_semaphore s(name, existence_policy::raise_if_exists, 1, mode);
      ::umask(old);
      EXPECT_EQ(mode_of(name), mode) << "umask " << umask_value;
    }
  }
}

TEST_F(Mode, DefaultIs0600AndLinkingKeepsIt) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists);
  EXPECT_EQ(mode_of(name), mode_t(0600));
  robust_semaphore t(name, existence_policy::link_or_create, 1, 0666);
  EXPECT_EQ(mode_of(name), mode_t(0600));
}

TEST_F(Mode, NotPermissionBitsIsInvalid) {
  EXPECT_THROW(robust_semaphore(unique_name(), existence_policy::raise_if_exists, 1, 04600),
               std::invalid_argument);
  EXPECT_THROW(robust_semaphore(unique_name(), existence_policy::raise_if_exists, 1, 01000),
               std::invalid_argument);
}

}  // namespace
}  // namespace robust_test
