// Threads of one process: units belong to the process, so any thread (and
// any handle on the same name in the process) may release what another took;
// held() is exact under concurrent acquire/release; no unit is doubled.
#include "support.hpp"

#include <atomic>

namespace robust_test {
namespace {

class Threads : public RobustTest {};

TEST_F(Threads, OneThreadReleasesAnothersUnits) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 3);
  std::thread([&] {
    s.acquire();
    s.acquire();
  }).join();
  EXPECT_EQ(s.held(), 2u);
  std::thread([&] { s.release(2); }).join();
  EXPECT_EQ(s.value(), 3);
}

TEST_F(Threads, HandlesOfOneNameShareTheProcesssUnits) {
  const auto name = unique_name();
  robust_semaphore a(name, existence_policy::raise_if_exists, 2);
  robust_semaphore b(name);
  a.acquire();
  EXPECT_EQ(b.held(), 1u);
  b.release();
  EXPECT_EQ(a.held(), 0u);
  a.acquire();
  b.close();  // not the last handle: the unit stays
  EXPECT_EQ(a.held(), 1u);
  EXPECT_EQ(a.value(), 1);
}

TEST_F(Threads, ConcurrentAcquireReleaseNeverExceedsCapacity) {
  constexpr unsigned cap = 3;
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, cap);
  std::atomic<int> inside{0}, worst{0}, refused{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (!s.try_acquire_for(2s)) continue;
        const int now = inside.fetch_add(1) + 1;
        int w = worst.load();
        while (now > w && !worst.compare_exchange_weak(w, now)) {
        }
        inside.fetch_sub(1);
        std::error_code ec;
        s.release(1, ec);  // may release another thread's unit: same process
        if (ec) refused.fetch_add(1);
        if ((i + t) % 64 == 0) std::this_thread::yield();
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_LE(worst.load(), static_cast<int>(cap));
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(s.held(), 0u);
  EXPECT_EQ(s.value(), static_cast<int>(cap));
}

TEST_F(Threads, ConcurrentOverReleaseGivesBackExactlyWhatIsHeld) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 64);
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(s.try_acquire());
  std::atomic<int> given{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        std::error_code ec;
        s.release(3, ec);  // 4 x 40 x 3 asked, 64 held: most are refused
        if (!ec) given.fetch_add(3);
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(given.load(), 63);
  EXPECT_EQ(s.held(), 1u);
  EXPECT_EQ(s.value(), 63);
}

}  // namespace
}  // namespace robust_test
