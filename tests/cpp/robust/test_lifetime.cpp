// Lifetime of the name: not tied to the creator; it lives while any live
// process has it open and goes with the last close (or the last user's
// death); unlink() and remove() end it early; exists() answers.
#include "support.hpp"

namespace robust_test {
namespace {

class Lifetime : public RobustTest {};

TEST_F(Lifetime, LastCloseRemovesTheName) {
  const auto name = unique_name();
  robust_semaphore a(name, existence_policy::raise_if_exists);
  robust_semaphore b(name);
  EXPECT_TRUE(robust_semaphore::exists(name));
  a.close();
  EXPECT_TRUE(robust_semaphore::exists(name));
  b.close();
  EXPECT_FALSE(robust_semaphore::exists(name));
  EXPECT_FALSE(file_present(name));
}

TEST_F(Lifetime, NotTiedToTheCreator) {
  const auto name = unique_name();
  auto creator = std::make_unique<robust_semaphore>(name, existence_policy::raise_if_exists, 2);
  int out = -1;
  const pid_t child = start_holder(name, out);
  creator.reset();
  EXPECT_TRUE(robust_semaphore::exists(name)) << "the child still has it open";
  EXPECT_TRUE(file_present(name));
  kill_child(child);
  ::close(out);
  EXPECT_FALSE(robust_semaphore::exists(name)) << "its last user died";
  EXPECT_FALSE(file_present(name));
}

TEST_F(Lifetime, UnlinkEndsTheNameNotTheHandles) {
  const auto name = unique_name();
  robust_semaphore a(name, existence_policy::raise_if_exists, 2);
  a.acquire();
  a.unlink();
  EXPECT_FALSE(robust_semaphore::exists(name));
  EXPECT_FALSE(file_present(name));
  EXPECT_EQ(a.value(), 1);
  a.release();
  try {
    a.unlink();
    FAIL() << "unlinked twice";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
  robust_semaphore b(name, existence_policy::raise_if_exists, 1);  // a new one
  a.close();
  EXPECT_TRUE(robust_semaphore::exists(name)) << "closing the old one left the new name alone";
}

TEST_F(Lifetime, RemoveAndExists) {
  const auto name = unique_name();
  EXPECT_FALSE(robust_semaphore::exists(name));
  EXPECT_FALSE(robust_semaphore::remove(name));
  robust_semaphore a(name, existence_policy::raise_if_exists);
  EXPECT_TRUE(robust_semaphore::exists(name));
  EXPECT_TRUE(robust_semaphore::remove(name));
  EXPECT_FALSE(robust_semaphore::exists(name));
  EXPECT_TRUE(a.try_acquire()) << "the handle still works";
}

TEST_F(Lifetime, ClosingTheLastHandleGivesBackTheProcesssUnits) {
  const auto name = unique_name();
  robust_semaphore keep(name, existence_policy::raise_if_exists, 2);
  EXPECT_EQ(run_in_child([&] {
              keep.close();
              robust_semaphore s(name);
              s.acquire();
              s.acquire();
              s.close();  // holds nothing from here on
              robust_semaphore t(name);
              return t.held() == 0u && t.value() == 2 ? 0 : 1;
            }),
            0);
  EXPECT_EQ(keep.value(), 2);
}

}  // namespace
}  // namespace robust_test
