// A downstream program that gets nob through: cmake.
// Creates a semaphore, posts, acquires, checks the value, and cleans up.
#include <nob/named_semaphore.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unistd.h>

int main() {
  using namespace std::chrono_literals;
  const char* run = std::getenv("NOB_TEST_PREFIX");  // set by tests/run_all.sh
  const std::string name = std::string(run ? run : "nobt") + "-consumer-cmake-" + std::to_string(::getpid());
  {
    nob::named_semaphore sem(name, nob::existence_policy::raise_if_exists, 0);
    if (sem.linked_existing() || sem.value() != 0) return 1;
    if (sem.try_acquire()) return 2;           // nothing to take yet
    sem.release(2);
    if (!sem.try_acquire_for(1s)) return 3;    // steady clock
    { std::unique_lock<nob::named_semaphore> hold(sem); }  // lock + unlock
    if (sem.value() != 1) return 4;
    if (!nob::named_semaphore::exists(name)) return 5;
  }  // the creating handle unlinks the name here
  if (nob::named_semaphore::exists(name)) return 6;
  std::printf("ok cmake (nob %d.%d.%d)\n", NOB_VERSION_MAJOR, NOB_VERSION_MINOR, NOB_VERSION_PATCH);
  return 0;
}
