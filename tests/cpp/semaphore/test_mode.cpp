// `mode` is applied exactly, whatever the umask, when the call creates; it is
// ignored when the call links. Checked on /dev/shm/sem.NAME.
#include "../common/support.hpp"
#include "../common/scoped_umask.hpp"

#include <sys/stat.h>

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using nob_test::SemTest;

using nob_test::scoped_umask;

/// Permission bits of the backing file of `name` (-1 when it is missing).
int shm_mode(const std::string& name) {
  struct stat st {};
  if (::stat(("/dev/shm/sem." + name).c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

class Mode : public SemTest {
 protected:
  void SetUp() override {
    if (!nob::uses_dev_shm) GTEST_SKIP() << "sem_open path: the umask applies, no exact mode";
  }
};

TEST_F(Mode, DefaultModeIs0600) {
  scoped_umask um(022);
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  EXPECT_EQ(shm_mode(name), 0600);
}

TEST_F(Mode, ExactUnderUmask077) {
  scoped_umask um(077);
  for (mode_t mode : {0666, 0660, 0644, 0640, 0604, 0600, 0400, 0777}) {
    const std::string name = unique_name(std::to_string(mode));
    named_semaphore s(name, existence_policy::raise_if_exists, 0, mode);
    EXPECT_EQ(shm_mode(name), static_cast<int>(mode)) << std::oct << mode;
  }
}

TEST_F(Mode, ExactUnderUmask0) {
  scoped_umask um(0);
  for (mode_t mode : {0600, 0640, 0606, 0444, 0000}) {
    const std::string name = unique_name(std::to_string(mode));
    named_semaphore s(name, existence_policy::link_or_create, 0, mode);
    EXPECT_EQ(shm_mode(name), static_cast<int>(mode)) << std::oct << mode;
  }
}

TEST_F(Mode, EveryCreatingPolicyAppliesIt) {
  scoped_umask um(077);
  const std::string a = unique_name("a"), b = unique_name("b"), c = unique_name("c");
  named_semaphore s1(a, existence_policy::raise_if_exists, 0, 0664);
  named_semaphore s2(b, existence_policy::link_or_create, 0, 0664);
  named_semaphore s3(c, existence_policy::unlink_and_create, 0, 0664);
  EXPECT_EQ(shm_mode(a), 0664);
  EXPECT_EQ(shm_mode(b), 0664);
  EXPECT_EQ(shm_mode(c), 0664);
}

TEST_F(Mode, IgnoredWhenLinking) {
  scoped_umask um(0);
  const std::string name = unique_name();
  named_semaphore creator(name, existence_policy::raise_if_exists, 0, 0640);
  named_semaphore linker(name, existence_policy::link_or_create, 0, 0666);
  ASSERT_TRUE(linker.linked_existing());
  EXPECT_EQ(shm_mode(name), 0640);
  named_semaphore opener(name, existence_policy::raise_if_not_exists, 0, 0606);
  EXPECT_EQ(shm_mode(name), 0640);
}

TEST_F(Mode, TheUmaskIsLeftAsItWas) {
  scoped_umask um(027);
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0, 0666);
  const mode_t now = ::umask(027);
  EXPECT_EQ(now, static_cast<mode_t>(027));
}

}  // namespace
