// holders() lists live processes that hold units (one entry each, their own
// pid), value() counts free units; neither counts a process that ended.
#include "support.hpp"

namespace robust_test {
namespace {

class HoldersValue : public RobustTest {};

TEST_F(HoldersValue, ListsLiveHoldersOnly) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 5);
  EXPECT_TRUE(s.holders().empty());
  s.acquire();
  int out = -1;
  const pid_t child = start_holder(name, out, 3);
  auto hs = s.holders();
  ASSERT_EQ(hs.size(), 2u);
  bool saw_me = false, saw_child = false;
  for (const auto& h : hs) {
    if (h.pid == ::getpid() && h.units == 1u) saw_me = true;
    if (h.pid == child && h.units == 3u) saw_child = true;
  }
  EXPECT_TRUE(saw_me && saw_child);
  EXPECT_EQ(s.value(), 1);
  ::kill(child, SIGKILL);
  wait_child(child);
  ::close(out);
  // no reclaim has run yet: the dead child's slots still hold its token, but
  // neither value() nor holders() counts them
  hs = s.holders();
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].pid, ::getpid());
  EXPECT_EQ(s.value(), 4);
}

TEST_F(HoldersValue, ProcessWithoutUnitsIsNoHolder) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 2);
  robust_semaphore t(name);
  EXPECT_TRUE(s.holders().empty());
  EXPECT_EQ(s.held(), 0u);
  EXPECT_EQ(s.value(), 2);
}

}  // namespace
}  // namespace robust_test
