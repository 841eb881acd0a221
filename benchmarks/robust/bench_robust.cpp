// Benchmarks of nob::robust_semaphore against raw POSIX semaphores, side by
// side in one run (never part of CI; build and run with ./run.sh):
//   1. uncontended acquire+release in one thread: robust try_acquire() +
//      release() vs sem_trywait() + sem_post() on a sem_open'ed semaphore
//      (target: within 1.3x);
//   2. cross-process ping-pong, round trips per second: two processes hand
//      the turn back and forth (target: within 1.2x of raw semaphores);
//   3. recovery latency: a process blocked in acquire() gets the unit of a
//      holder that is SIGKILLed; median and p99 (target: p99 < 250 ms).
// Each figure of 1 and 2 is the best of several runs (the machine is shared).
#include <nob/robust_semaphore.hpp>

#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using clk = std::chrono::steady_clock;

double ns_since(clk::time_point t0, long n) {
  return std::chrono::duration<double, std::nano>(clk::now() - t0).count() / static_cast<double>(n);
}

std::string base_name() { return "nob-bench-robust-" + std::to_string(::getpid()); }

void uncontended(long n) {
  const std::string name = base_name() + "-u";
  sem_t* raw = ::sem_open(("/" + name).c_str(), O_CREAT | O_EXCL, 0600, 1);
  if (raw == SEM_FAILED) {
    std::perror("sem_open");
    std::exit(1);
  }
  ::sem_unlink(("/" + name).c_str());
  nob::robust_semaphore rob(name, nob::existence_policy::unlink_and_create, 1);
  // The three loops take turns, so that a busy moment of the machine hits
  // each of them alike; each keeps its best run.
  double t_raw = 1e300, t_rob = 1e300, t_lock = 1e300;
  for (int run = 0; run < 15; ++run) {
    auto t0 = clk::now();
    for (long i = 0; i < n; ++i) {
      ::sem_trywait(raw);
      ::sem_post(raw);
    }
    t_raw = std::min(t_raw, ns_since(t0, n));
    t0 = clk::now();
    for (long i = 0; i < n; ++i) {
      rob.try_acquire();
      rob.release();
    }
    t_rob = std::min(t_rob, ns_since(t0, n));
    t0 = clk::now();
    for (long i = 0; i < n; ++i) {
      rob.lock();
      rob.unlock();
    }
    t_lock = std::min(t_lock, ns_since(t0, n));
  }
  std::printf("uncontended acquire+release (ns per pair, best of 15 x %ld, interleaved)\n", n);
  std::printf("  raw sem_trywait+sem_post        %7.1f\n", t_raw);
  std::printf("  robust try_acquire+release      %7.1f   %.2fx raw (target <= 1.3x)\n", t_rob,
              t_rob / t_raw);
  std::printf("  robust lock+unlock              %7.1f   %.2fx raw\n", t_lock, t_lock / t_raw);
  ::sem_close(raw);
}

/// Round trips per second between this process and a child, raw semaphores:
/// A is posted by this process and waited by the child, B the other way.
double pingpong_raw(long rounds) {
  const std::string a = "/" + base_name() + "-pa", b = "/" + base_name() + "-pb";
  sem_t* sa = ::sem_open(a.c_str(), O_CREAT | O_EXCL, 0600, 0);
  sem_t* sb = ::sem_open(b.c_str(), O_CREAT | O_EXCL, 0600, 0);
  ::sem_unlink(a.c_str());
  ::sem_unlink(b.c_str());
  const pid_t child = ::fork();
  if (child == 0) {
    for (long i = 0; i < rounds; ++i) {
      while (::sem_wait(sa) != 0) {
      }
      ::sem_post(sb);
    }
    ::_exit(0);
  }
  const auto t0 = clk::now();
  for (long i = 0; i < rounds; ++i) {
    ::sem_post(sa);
    while (::sem_wait(sb) != 0) {
    }
  }
  const double ns = ns_since(t0, rounds);
  ::waitpid(child, nullptr, 0);
  ::sem_close(sa);
  ::sem_close(sb);
  return ns;
}

/// The same with robust semaphores. A unit can only be given back by the
/// process that holds it, so the turn moves round three 1-unit semaphores:
/// this process releases s[k] (the child, waiting for it, wakes) and then
/// waits for s[k+2], which the child releases after it got s[k]. Each step k
/// is one round trip (two hand-overs), as each step of the raw pair.
double pingpong_robust(long rounds) {
  std::vector<nob::robust_semaphore> s;
  for (int i = 0; i < 3; ++i)
    s.emplace_back(base_name() + "-r" + std::to_string(i), nob::existence_policy::unlink_and_create,
                   1);
  s[0].acquire();
  s[1].acquire();
  int ready[2];
  if (::pipe(ready) != 0) std::exit(1);
  const pid_t child = ::fork();
  if (child == 0) {  // holds nothing after fork: takes s[2], then plays
    s[2].acquire();
    char c = 1;
    if (::write(ready[1], &c, 1) != 1) ::_exit(1);
    for (long k = 0; k < rounds; ++k) {
      s[k % 3].acquire();
      s[(k + 2) % 3].release();
    }
    ::_exit(0);
  }
  char c;
  if (::read(ready[0], &c, 1) != 1) std::exit(1);
  const auto t0 = clk::now();
  for (long k = 0; k < rounds; ++k) {
    s[k % 3].release();
    s[(k + 2) % 3].acquire();
  }
  const double ns = ns_since(t0, rounds);  // per round trip
  ::waitpid(child, nullptr, 0);
  return ns;
}

void pingpong(long rounds) {
  double raw = 1e300, rob = 1e300;
  for (int run = 0; run < 7; ++run) {  // interleaved, best of each
    raw = std::min(raw, pingpong_raw(rounds));
    rob = std::min(rob, pingpong_robust(rounds));
  }
  std::printf("cross-process ping-pong (us per round trip, best of 7 x %ld, interleaved)\n", rounds);
  std::printf("  raw semaphores                  %7.2f\n", raw / 1000);
  std::printf("  robust semaphores               %7.2f   %.2fx raw (target <= 1.2x)\n",
              rob / 1000, rob / raw);
}

void recovery(int rounds) {
  const std::string name = base_name() + "-rec";
  nob::robust_semaphore s(name, nob::existence_policy::unlink_and_create, 1);
  std::vector<double> ms;
  for (int r = 0; r < rounds; ++r) {
    int ready[2];
    if (::pipe(ready) != 0) std::exit(1);
    const pid_t child = ::fork();
    if (child == 0) {
      s.acquire();
      char c = 1;
      if (::write(ready[1], &c, 1) != 1) ::_exit(1);
      for (;;) ::pause();
    }
    char c;
    if (::read(ready[0], &c, 1) != 1) std::exit(1);
    ::close(ready[0]);
    ::close(ready[1]);
    clk::time_point killed;
    std::thread killer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + (r * 7) % 60));
      killed = clk::now();
      ::kill(child, SIGKILL);
    });
    s.acquire();
    const auto got = clk::now();
    killer.join();
    ::waitpid(child, nullptr, 0);
    ms.push_back(std::chrono::duration<double, std::milli>(got - killed).count());
    s.release();
  }
  std::sort(ms.begin(), ms.end());
  const double p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  std::printf("recovery after SIGKILL of the holder (ms, %d rounds, slice %d ms)\n", rounds,
              NOB_ROBUST_SLICE_MS);
  std::printf("  median %.1f   p99 %.1f   max %.1f   (target p99 < 250)\n", ms[ms.size() / 2], p99,
              ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  const long scale = argc > 1 ? std::atol(argv[1]) : 1;
  uncontended(2000000 * scale);
  pingpong(20000 * scale);
  recovery(static_cast<int>(100 * scale));
  return 0;
}
