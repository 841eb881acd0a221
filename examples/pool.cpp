// A bounded pool shared by processes: 5 forked workers, 2 slots, one named
// semaphore. Each worker opens the semaphore by name, holds a slot for a
// moment a few times, and prints who holds one. Shared memory counts the
// holders, so the program can check (and exit non-zero otherwise) that never
// more than 2 held a slot at once. Nothing is left in /dev/shm afterwards.
//
//   ./pool            # prints the schedule, exits 0 when the bound held
#include <nob/named_semaphore.hpp>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <new>
#include <string>
#include <thread>

namespace {

constexpr int workers = 5;
constexpr int slots = 2;
constexpr int rounds = 3;

/// Counters every process sees (anonymous shared mapping, made before fork).
struct shared_counts {
  std::atomic<int> holding{0};
  std::atomic<int> most_holding{0};
};
static_assert(std::atomic<int>::is_always_lock_free, "atomics must work across processes");

/// One worker: open the pool by name, take a slot `rounds` times. Returns the exit status.
int work(int id, const std::string& name, shared_counts& counts) {
  nob::named_semaphore pool(name);  // raise_if_not_exists: the parent created it
  for (int r = 0; r < rounds; ++r) {
    // A slot held by a process that died is never given back, so wait with a
    // bound rather than forever.
    std::unique_lock<nob::named_semaphore> slot(pool, std::chrono::seconds(10));
    if (!slot.owns_lock()) {
      std::fprintf(stderr, "worker %d: no slot within 10 s\n", id);
      return 1;
    }
    const int now = ++counts.holding;
    int most = counts.most_holding.load();
    while (now > most && !counts.most_holding.compare_exchange_weak(most, now)) {
    }
    std::printf("worker %d (pid %d) holds a slot: %d of %d in use\n", id,
                static_cast<int>(::getpid()), now, slots);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    --counts.holding;
  }
  return 0;
}

}  // namespace

int main() {
  ::signal(SIGPIPE, SIG_IGN);  // a closed stdout must not kill a worker holding a slot
  const std::string name = "nob-example-pool-" + std::to_string(::getpid());
  void* mem = ::mmap(nullptr, sizeof(shared_counts), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    std::perror("mmap");
    return 1;
  }
  auto* counts = new (mem) shared_counts();

  int failures = 0;
  {
    // This process creates the pool, so its handle unlinks the name on close.
    nob::named_semaphore pool(name, nob::existence_policy::raise_if_exists, slots);
    std::fflush(stdout);
    for (int id = 0; id < workers; ++id) {
      if (::fork() == 0) {
        int rc = 1;
        try {
          rc = work(id, name, *counts);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "worker %d: %s\n", id, e.what());
        }
        ::_exit(rc);  // a forked child never unlinks the parent's semaphore
      }
    }
    for (int id = 0; id < workers; ++id) {
      int status = 0;
      if (::wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
    }
    if (pool.value() != slots) {
      std::fprintf(stderr, "pool value %d, expected %d\n", pool.value(), slots);
      ++failures;
    }
  }  // closes and unlinks the name

  const int most = counts->most_holding.load();
  std::printf("most slots held at once: %d of %d\n", most, slots);
  if (most > slots || most < 1) ++failures;
  if (nob::named_semaphore::exists(name)) {
    std::fprintf(stderr, "%s was left behind\n", name.c_str());
    ++failures;
  }
  counts->~shared_counts();
  ::munmap(mem, sizeof(shared_counts));
  return failures == 0 ? 0 : 1;
}
