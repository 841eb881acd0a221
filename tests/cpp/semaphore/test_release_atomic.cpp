// release(n) is one atomic add where nob knows sem_t's layout: all of n or
// nothing (value_too_large) even when two threads race, no loop of n posts,
// and every waiter it makes room for is woken.
#include "../common/support.hpp"

#include <atomic>
#include <thread>
#include <vector>

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using namespace std::chrono_literals;

class ReleaseN : public nob_test::SemTest {};

TEST_F(ReleaseN, TwoRacingReleasesPostAllOrNothing) {
  if (!nob::atomic_release) GTEST_SKIP() << "release(n) is n sem_post calls in this build";
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists, 0);
  const std::ptrdiff_t half = named_semaphore::max() / 4;  // room for 4 halves, start at 2.5
  for (int round = 0; round < 20; ++round) {
    ASSERT_EQ(s.value(), 0);
    s.release(half * 2 + half / 2);
    std::atomic<int> failed{0};
    std::atomic<bool> go{false};
    auto poster = [&] {
      while (!go.load()) {
      }
      std::error_code ec;
      s.release(half, ec);
      if (ec == std::errc::value_too_large) failed.fetch_add(1);
    };
    std::thread a(poster), b(poster);
    go.store(true);
    a.join();
    b.join();
    ASSERT_EQ(failed.load(), 1) << "round " << round;
    ASSERT_EQ(s.value(), half * 3 + half / 2) << "a refused release posted part of n";
    // A fresh semaphore at 0 for the next round.
    s.close();
    s = named_semaphore(name, existence_policy::unlink_and_create, 0);
  }
}

TEST_F(ReleaseN, ReleaseOfMaxIsImmediate) {
  if (!nob::atomic_release) GTEST_SKIP() << "release(n) is n sem_post calls in this build";
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  const auto took = nob_test::time_of([&] { s.release(named_semaphore::max()); });
  EXPECT_EQ(s.value(), named_semaphore::max());
  EXPECT_LT(took, 200ms) << "one post per unit would take seconds";
  EXPECT_THROW(s.release(1), std::system_error);
}

TEST_F(ReleaseN, PastMaxPostsNothing) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 5);
  std::error_code ec;
  s.release(named_semaphore::max() - 4, ec);
  EXPECT_EQ(ec, std::errc::value_too_large);
  EXPECT_EQ(s.value(), 5);
  if (nob::atomic_release) {  // one CAS, whatever n is
    s.release(named_semaphore::max() - 5, ec);
  } else {  // n posts: two billion of them took 86 s under TSan; the last few tell the same
    named_semaphore near(unique_name("near"), existence_policy::raise_if_exists,
                         static_cast<unsigned>(named_semaphore::max() - 5));
    s = std::move(near);
    s.release(4, ec);
    EXPECT_FALSE(ec);
    EXPECT_EQ(s.value(), named_semaphore::max() - 1);
    s.release(2, ec);
    EXPECT_EQ(ec, std::errc::value_too_large);
    s.release(1, ec);
  }
  EXPECT_FALSE(ec);
  EXPECT_EQ(s.value(), named_semaphore::max());
}

TEST_F(ReleaseN, WakesEveryWaiterItMakesRoomFor) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists, 0);
  constexpr int waiters = 6;
  std::atomic<int> got{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < waiters; ++i) {
    threads.emplace_back([&] {
      named_semaphore own(name);  // a mapping of its own, as another process has
      if (own.try_acquire_for(20s)) got.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(200ms);  // let them block in the kernel
  s.release(waiters);
  for (auto& t : threads) t.join();
  EXPECT_EQ(got.load(), waiters);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(ReleaseN, WakesWaitersInAnotherProcess) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists, 0);
  std::vector<pid_t> kids;
  for (int i = 0; i < 3; ++i) {
    kids.push_back(nob_test::start_child([&] {
      named_semaphore own(name);
      return own.try_acquire_for(20s) ? 0 : 1;
    }));
  }
  std::this_thread::sleep_for(300ms);
  s.release(3);
  for (pid_t k : kids) EXPECT_EQ(nob_test::wait_child(k), 0);
  EXPECT_EQ(s.value(), 0);
}

}  // namespace
