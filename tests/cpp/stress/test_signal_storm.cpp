// Signal storms (handlers that return) during timed and untimed waits.
#include <pthread.h>

#include "../common/stress_util.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using namespace std::chrono;

std::atomic<long> handled{0};
extern "C" void on_signal(int) { handled.fetch_add(1); }

/// Installs a returning SIGUSR1 handler without SA_RESTART (so every wait
/// really sees EINTR), restoring the old one at scope exit.
struct storm_handler {
  struct sigaction old {};
  storm_handler() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ::sigaction(SIGUSR1, &sa, &old);
  }
  ~storm_handler() { ::sigaction(SIGUSR1, &old, nullptr); }
};

/// Fires SIGUSR1 at `target` every ~100 us until stopped.
class storm {
 public:
  explicit storm(pthread_t target)
      : thread_([this, target] {
          while (!stop_.load()) {
            ::pthread_kill(target, SIGUSR1);
            ++sent_;
            std::this_thread::sleep_for(microseconds(100));
          }
        }) {}
  ~storm() { stop(); }
  long stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return sent_;
  }

 private:
  std::atomic<bool> stop_{false};
  long sent_ = 0;
  std::thread thread_;
};

TEST(SignalStorm, TimedWaitsNeitherReturnEarlyNorSucceedFalsely) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  named_semaphore sem(name, existence_policy::raise_if_exists, 0);
  storm_handler h;
  const long before = handled.load();
  storm s(::pthread_self());
  for (int round = 0; round < 3; ++round) {
    auto t0 = steady_clock::now();
    EXPECT_FALSE(sem.try_acquire_for(milliseconds(150)));
    EXPECT_GE(steady_clock::now() - t0, milliseconds(150));
    EXPECT_LT(steady_clock::now() - t0, seconds(5));

    t0 = steady_clock::now();
    EXPECT_FALSE(sem.try_acquire_until(steady_clock::now() + milliseconds(150)));
    EXPECT_GE(steady_clock::now() - t0, milliseconds(150));

    const auto wall = system_clock::now() + milliseconds(150);
    EXPECT_FALSE(sem.try_acquire_until(wall));
    EXPECT_GE(system_clock::now(), wall);
  }
  const long sent = s.stop();
  // The handler really ran, many times (TSan defers handlers while a thread
  // sits in sem_clockwait, which it does not intercept: then only a few run).
  EXPECT_GT(handled.load() - before, stress::sanitized ? 0 : 100);
  EXPECT_EQ(sem.value(), 0);
  std::printf("[figures] timed-wait storm: %ld signals sent, %ld handled\n", sent,
              handled.load() - before);
}

TEST(SignalStorm, UntimedWaitEndsOnlyWhenAUnitArrives) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  named_semaphore sem(name, existence_policy::raise_if_exists, 0);
  storm_handler h;
  std::atomic<bool> done{false};
  std::atomic<bool> waiting{false};
  std::thread waiter([&] {
    waiting = true;
    sem.acquire();
    done = true;
  });
  while (!waiting.load()) std::this_thread::yield();
  const long before = handled.load();
  {
    storm s(waiter.native_handle());
    std::this_thread::sleep_for(milliseconds(300));
    EXPECT_FALSE(done.load());  // hundreds of EINTRs did not end the wait
    // A unit posted from another process ends it.
    const pid_t poster = stress::spawn([&] {
      named_semaphore p(name);
      p.release();
      return 0;
    });
    EXPECT_EQ(stress::wait_exit(poster), 0);
    const auto t0 = steady_clock::now();
    while (!done.load() && steady_clock::now() - t0 < seconds(10)) std::this_thread::yield();
    EXPECT_TRUE(done.load());
    s.stop();
  }
  waiter.join();
  EXPECT_GT(handled.load() - before, 100);
  EXPECT_EQ(sem.value(), 0);
}

TEST(SignalStorm, ProcessWideStormDuringCrossProcessTraffic) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  named_semaphore sem(name, existence_policy::raise_if_exists, 0);
  const long units = 3000 * stress::scale();
  struct counts {
    std::atomic<long> signals{0};
    std::atomic<long> taken{0};
    std::atomic<int> up{0};
  };
  stress::shared<counts> c;
  const pid_t consumer = stress::spawn([&] {
    static counts* cc = &*c;
    struct sigaction sa {};
    sa.sa_handler = [](int) { cc->signals.fetch_add(1); };
    ::sigaction(SIGUSR2, &sa, nullptr);
    named_semaphore s(name);
    c->up = 1;
    for (long i = 0; i < units; ++i) {
      if (i % 3 == 0)
        s.acquire();
      else if (i % 3 == 1) {
        if (!s.try_acquire_for(seconds(20))) return 2;
      } else if (!s.try_acquire_until(system_clock::now() + seconds(20)))
        return 3;
      c->taken += 1;
    }
    return 0;
  });
  while (c->up.load() == 0) std::this_thread::yield();
  std::atomic<bool> stop{false};
  long sent = 0;
  std::thread stormer([&] {
    while (!stop.load()) {
      ::kill(consumer, SIGUSR2);
      ++sent;
      std::this_thread::sleep_for(microseconds(50));
    }
  });
  for (long i = 0; i < units; ++i) {
    sem.release();
    if (i % 8 == 0) std::this_thread::sleep_for(microseconds(1000));  // let it block
  }
  EXPECT_EQ(stress::wait_exit(consumer), 0);
  stop = true;
  stormer.join();
  EXPECT_EQ(c->taken.load(), units);
  EXPECT_GT(c->signals.load(), 10);
  EXPECT_EQ(sem.value(), 0);
  std::printf("[figures] cross-process storm: %ld units, %ld signals sent, %ld handled\n", units,
              sent, c->signals.load());
}

}  // namespace
