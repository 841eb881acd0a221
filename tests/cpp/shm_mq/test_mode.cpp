// `mode` is applied exactly, whatever the umask, when the call creates (both
// kinds); it is ignored when the call links; the umask is left as it was.
#include "../common/ipc_support.hpp"

namespace {

using nob::existence_policy;
using nob::named_message_queue;
using nob::named_shared_memory;
using nob_test::fd_mode;
using nob_test::IpcTest;
using nob_test::scoped_umask;

class Mode : public IpcTest {};

constexpr mode_t modes[] = {0600, 0666, 0660, 0644, 0640, 0604, 0400, 0200, 0777, 0000};

TEST_F(Mode, SharedMemoryModeIsExactUnderEveryUmask) {
  for (mode_t um : {022, 077, 0, 0777}) {
    scoped_umask scope(um);
    for (mode_t mode : modes) {
      const std::string name = unique_name(std::to_string(um) + "-" + std::to_string(mode));
      named_shared_memory m(name, existence_policy::raise_if_exists, 16, false, mode);
      EXPECT_EQ(fd_mode(m.native_handle()), static_cast<int>(mode)) << std::oct << mode;
      struct stat st {};
      ASSERT_EQ(::stat(("/dev/shm/" + name).c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 07777, mode) << std::oct << mode << " umask " << um;
    }
  }
}

TEST_F(Mode, MessageQueueModeIsExactUnderEveryUmask) {
  for (mode_t um : {022, 077, 0, 0777}) {
    scoped_umask scope(um);
    for (mode_t mode : modes) {
      named_message_queue q(unique_name(std::to_string(um) + "-" + std::to_string(mode)),
                            existence_policy::link_or_create, 1, 8, true, true, mode);
      EXPECT_EQ(fd_mode(q.native_handle()), static_cast<int>(mode))
          << std::oct << mode << " umask " << um;
    }
  }
}

TEST_F(Mode, DefaultIs0600) {
  scoped_umask scope(0);
  named_shared_memory m(unique_name("m"), existence_policy::raise_if_exists, 8);
  named_message_queue q = make_queue();
  EXPECT_EQ(fd_mode(m.native_handle()), 0600);
  EXPECT_EQ(fd_mode(q.native_handle()), 0600);
}

TEST_F(Mode, IgnoredWhenLinking) {
  scoped_umask scope(0);
  const std::string a = unique_name("a"), b = unique_name("b");
  named_shared_memory m(a, existence_policy::raise_if_exists, 8, false, 0640);
  named_message_queue q(b, existence_policy::raise_if_exists, 1, 8, true, true, 0640);
  named_shared_memory m2(a, existence_policy::link_or_create, 8, false, 0666);
  named_message_queue q2(b, existence_policy::link_or_create, 1, 8, true, true, 0666);
  ASSERT_TRUE(m2.linked_existing());
  ASSERT_TRUE(q2.linked_existing());
  EXPECT_EQ(fd_mode(m.native_handle()), 0640);
  EXPECT_EQ(fd_mode(q.native_handle()), 0640);
}

TEST_F(Mode, TheUmaskIsLeftAsItWas) {
  scoped_umask scope(027);
  named_shared_memory m(unique_name("m"), existence_policy::raise_if_exists, 8, false, 0666);
  named_message_queue q(unique_name("q"), existence_policy::raise_if_exists, 1, 8, true, true,
                        0666);
  EXPECT_EQ(::umask(027), static_cast<mode_t>(027));
}

}  // namespace
