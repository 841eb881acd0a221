// Closing and moving handles in some threads while others use their own
// handles on the same semaphore: no crash, no use after unmap, exact counts.
#include "../common/stress_util.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;

TEST(CloseMove, ChurningHandlesInSomeThreadsDoesNotDisturbOthers) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  const int users = 4, churners = 3;
  const long ops = 3000 * stress::scale();
  named_semaphore owner(name, existence_policy::raise_if_exists, 2);
  std::atomic<long> opened{0};
  std::atomic<bool> stop{false};

  std::vector<std::thread> pool;
  for (int t = 0; t < users; ++t) {
    pool.emplace_back([&] {
      named_semaphore mine(name);
      for (long i = 0; i < ops; ++i) {
        if (!mine.try_acquire_for(std::chrono::seconds(10))) return;
        mine.release();
      }
    });
  }
  std::vector<std::thread> churn;
  for (int t = 0; t < churners; ++t) {
    churn.emplace_back([&, t] {
      unsigned seed = 31u + static_cast<unsigned>(t);
      std::vector<named_semaphore> hs;
      while (!stop.load()) {
        switch (rand_r(&seed) % 5) {
          case 0:
            hs.emplace_back(name, existence_policy::link_or_create);
            ++opened;
            break;
          case 1:
            if (!hs.empty()) hs.back().close();
            break;
          case 2:
            if (hs.size() >= 2) hs.front() = std::move(hs.back());  // closes the front
            break;
          case 3:
            if (!hs.empty()) {
              named_semaphore taken(std::move(hs.back()));
              hs.pop_back();
              if (taken.is_open() && taken.try_acquire()) taken.release();
            }
            break;
          default:
            for (auto& h : hs)
              if (h.is_open() && h.try_acquire()) h.unlock();
        }
        if (hs.size() > 16) hs.clear();
      }
    });
  }
  for (auto& th : pool) th.join();
  // The pool may finish before a churner ever ran (a loaded machine): let
  // the churners open something before they are stopped.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (opened.load() < churners && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop = true;
  for (auto& th : churn) th.join();
  EXPECT_GT(opened.load(), 0);
  EXPECT_EQ(owner.value(), 2);  // every take was given back
  EXPECT_TRUE(named_semaphore::exists(name));  // no linking handle unlinked it
}

TEST(CloseMove, OwnershipTravelsWithMovesAndUnlinksExactlyOnce) {
  const std::string prefix = stress::unique_name();
  stress::shm_guard guard(prefix);
  const int threads = 4;
  const long rounds = 300 * stress::scale();
  std::atomic<long> bad{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const std::string name = prefix + "-" + std::to_string(t);
      for (long i = 0; i < rounds; ++i) {
        named_semaphore a(name, existence_policy::raise_if_exists, 0);
        named_semaphore b(std::move(a));
        named_semaphore c(name);  // links: never unlinks
        c = std::move(b);         // c's old handle closed without unlinking; c owns now
        if (!named_semaphore::exists(name)) ++bad;
        if (a.is_open() || b.is_open() || !c.unlink_on_destroy()) ++bad;
        try {
          a.release();
          ++bad;
        } catch (const std::system_error& e) {
          if (e.code() != std::errc::bad_file_descriptor) ++bad;
        }
        std::thread([h = std::move(c)]() mutable { h.close(); }).join();  // closes elsewhere
        if (named_semaphore::exists(name)) ++bad;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
