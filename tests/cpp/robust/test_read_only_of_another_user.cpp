// status() of another user's semaphore that this user may not open
// read-write (modes 0600, 0640, 0644): this user cannot tell live from
// stale, so it is `unknown` (docs/robust.md, "Who may do what"), and
// exists() is true. It used to say not_robust: the read-write open's EACCES
// (0600: the read-only one's too) or the read-write mapping of a read-only
// descriptor was taken for a file that is not a robust semaphore. A file
// this user may read that is not one is still not_robust. Two real users.
#include "hostile.hpp"

namespace robust_test {
namespace {

class ReadOnlyOfAnotherUser : public HostileTest, public ::testing::WithParamInterface<mode_t> {};

TEST_P(ReadOnlyOfAnotherUser, StatusIsUnknownWithOwnerAndMode) {
  const std::string name = unique_name();
  const mode_t mode = GetParam();
  children kids;
  ready_pipe made;
  kids.keep(start_as(attacker, [&]() -> int {
    robust_semaphore s(name, existence_policy::raise_if_exists, 1, mode);
    made.signal();
    for (;;) ::pause();
  }));
  ASSERT_TRUE(made.wait());
  const uid_t owner = attacker.uid;
  EXPECT_EQ(wait_child(start_as(victim, [&]() -> int {
              const nob::robust_status st = robust_semaphore::status(name);
              if (st.state != nob::robust_state::unknown) return 10 + static_cast<int>(st.state);
              if (st.owner != owner || st.mode != mode) return 20;
              if (!robust_semaphore::exists(name)) return 21;
              return 0;
            })),
            0);
}

INSTANTIATE_TEST_SUITE_P(Modes, ReadOnlyOfAnotherUser, ::testing::Values(0600, 0640, 0644),
                         [](const ::testing::TestParamInfo<mode_t>& info) {
                           return "mode_0" + std::to_string((info.param >> 6) & 7) +
                                  std::to_string((info.param >> 3) & 7) + std::to_string(info.param & 7);
                         });

TEST_F(ReadOnlyOfAnotherUser, AReadableFileThatIsNoSemaphoreIsNotRobust) {
  const std::string name = unique_name();
  const std::string garbage(4096, 'x');
  EXPECT_EQ(wait_child(start_as(attacker, [&]() -> int {
              const int fd = ::open(shm_path(name).c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
              if (fd < 0) return 1;
              const bool ok = ::write(fd, garbage.data(), garbage.size()) == static_cast<ssize_t>(garbage.size());
              ::fchmod(fd, 0644);
              ::close(fd);
              return ok ? 0 : 2;
            })),
            0);
  EXPECT_EQ(wait_child(start_as(victim, [&]() -> int {
              return robust_semaphore::status(name).state == nob::robust_state::not_robust ? 0 : 1;
            })),
            0);
  ::unlink(shm_path(name).c_str());
}

}  // namespace
}  // namespace robust_test
