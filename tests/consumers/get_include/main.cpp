// A downstream program that gets nob through: get_include.
// Creates a semaphore, posts, acquires, checks the value, and cleans up; then
// a shared memory object through the non-throwing open(). Every public header
// is included, so every file of nob/detail/ must have been found.
#include <nob/message_queue.hpp>
#include <nob/named_semaphore.hpp>
#include <nob/robust_semaphore.hpp>
#include <nob/shared_memory.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>
#include <unistd.h>

int main() {
  using namespace std::chrono_literals;
  const char* run = std::getenv("NOB_TEST_PREFIX");  // set by tests/run_all.sh
  const std::string name = std::string(run ? run : "nobt") + "-consumer-get_include-" + std::to_string(::getpid());
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
  {
    std::error_code ec;
    auto shm = nob::named_shared_memory::open(name, ec, nob::existence_policy::raise_if_exists, 64);
    if (!shm || ec || shm->size() != 64) return 7;
  }
  if (nob::named_shared_memory::exists(name)) return 8;
  std::printf("ok get_include (nob %d.%d.%d)\n", NOB_VERSION_MAJOR, NOB_VERSION_MINOR, NOB_VERSION_PATCH);
  return 0;
}
