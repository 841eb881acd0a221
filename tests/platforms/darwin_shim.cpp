// See darwin_shim.hpp: sem_getvalue and CLOCK_MONOTONIC as on Darwin.
#include "darwin_shim.hpp"

#include <errno.h>
#include <semaphore.h>
#include <time.h>

#include <atomic>

namespace {
std::atomic<bool> getvalue_enosys{false};
std::atomic<long> getvalue_calls{0};
}  // namespace

extern "C" {
int __real_sem_getvalue(sem_t* sem, int* value);
int __real_clock_gettime(clockid_t clock, timespec* ts);

int __wrap_sem_getvalue(sem_t* sem, int* value) {
  getvalue_calls.fetch_add(1);
  if (getvalue_enosys.load()) {
    errno = ENOSYS;
    return -1;
  }
  return __real_sem_getvalue(sem, value);
}

int __wrap_clock_gettime(clockid_t clock, timespec* ts) {
  const int rc = __real_clock_gettime(clock, ts);
  if (rc == 0 && clock == CLOCK_MONOTONIC) ts->tv_sec += nob_platform::darwin_clock_offset_s;
  return rc;
}
}

namespace nob_platform {
void set_sem_getvalue_enosys(bool on) noexcept { getvalue_enosys.store(on); }
long sem_getvalue_calls() noexcept { return getvalue_calls.load(); }
}  // namespace nob_platform
