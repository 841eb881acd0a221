// fork: the child holds nothing, the parent keeps what it held, the child's
// own acquisitions are the child's, and the child's inherited handles keep
// the name alive while it lives.
#include "support.hpp"

namespace robust_test {
namespace {

class Fork : public RobustTest {};

TEST_F(Fork, ChildHoldsNothingParentKeepsItsUnits) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 3);
  s.acquire();
  EXPECT_EQ(run_in_child([&] {
              if (s.held() != 0u) return 1;
              if (s.value() != 2) return 2;
              std::error_code ec;
              s.release(1, ec);
              if (ec != std::errc::operation_not_permitted) return 3;
              s.acquire();
              s.acquire();
              if (s.held() != 2u || s.value() != 0) return 4;
              if (s.holders().size() != 2u) return 5;
              return 0;  // exits holding two units
            }),
            0);
  EXPECT_EQ(s.held(), 1u);
  EXPECT_EQ(s.value(), 2) << "the dead child's units are free again";
  ASSERT_EQ(s.holders().size(), 1u);
  EXPECT_EQ(s.holders()[0].pid, ::getpid());
}

TEST_F(Fork, ParentDeathDoesNotStrandTheChild) {
  // The child must not keep the parent's lock alive through the inherited
  // descriptor: when the parent process dies, its units come back although
  // its child still runs.
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 1);
  const pid_t parent = start_child([&] {
    s.close();
    robust_semaphore mine(name);
    mine.acquire();
    const pid_t grandchild = ::fork();  // inherits mine's descriptor
    if (grandchild == 0) {
      ::sleep(30);
      ::_exit(0);
    }
    for (;;) ::pause();
    return 0;
  });
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (s.value() == 1 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(1ms);
  ASSERT_EQ(s.value(), 0);
  ::kill(parent, SIGKILL);
  wait_child(parent);
  EXPECT_TRUE(s.try_acquire_for(5s)) << "the grandchild kept its parent's unit alive";
  // the grandchild (orphaned, still sleeping) holds nothing; it has the name open
  const auto hs = s.holders();
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].pid, ::getpid());
}

TEST_F(Fork, InheritedHandlesKeepTheNameAlive) {
  const auto name = unique_name();
  auto s = std::make_unique<robust_semaphore>(name, existence_policy::raise_if_exists, 1);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const pid_t child = start_child([&] {
    ::close(p[1]);
    char c;
    while (::read(p[0], &c, 1) < 0) {
    }
    return s->held() == 0u ? 0 : 1;
  });
  ::close(p[0]);
  s.reset();
  EXPECT_TRUE(robust_semaphore::exists(name)) << "the child still has it open";
  ::close(p[1]);
  EXPECT_EQ(wait_child(child), 0);
  EXPECT_FALSE(robust_semaphore::exists(name));
  EXPECT_FALSE(file_present(name));
}

}  // namespace
}  // namespace robust_test
