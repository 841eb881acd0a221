// What glibc 2.24 to 2.33 lack, for the Python extensions on x86-64 (see
// symbols.h): the extensions are linked with --wrap for each function
// below, so their calls land here.
//
// * fstat, lstat (and the 64 names): before glibc 2.33 these were inline
//   calls of __fxstat64/__lxstat64 with a version argument, entry points
//   that every later glibc still exports. On x86-64, struct stat and
//   struct stat64 are the same.
// * sem_clockwait: glibc 2.30 and later have it (looked up once, by
//   version, in libpthread.so.0, which holds it before 2.34 and forwards to
//   libc after). Before 2.30, a wait on CLOCK_MONOTONIC is one slice of at
//   most NOB_TIMEDWAIT_SLICE_MS of sem_timedwait on CLOCK_REALTIME that
//   ends in ETIMEDOUT before the deadline; the header's wait_step() then
//   sees that its clock has not reached the deadline and waits again, as
//   its own sliced sem_timedwait path does (so a wall-clock jump never ends
//   a wait early). tests/python/semaphore/test_glibc_compat.py runs this path.
#include <dlfcn.h>
#include <semaphore.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <ctime>

#include <nob/common.hpp>
#include <nob/detail/deadline.hpp>

#if defined(__gnu_linux__) && defined(__x86_64__) && defined(__LP64__)
__asm__(".symver __fxstat64,__fxstat64@GLIBC_2.2.5");
__asm__(".symver __lxstat64,__lxstat64@GLIBC_2.2.5");

extern "C" {
int __fxstat64(int ver, int fd, struct stat64* buf);
int __lxstat64(int ver, const char* path, struct stat64* buf);
int __wrap_fstat64(int fd, struct stat64* buf);
int __wrap_lstat64(const char* path, struct stat64* buf);
int __wrap_fstat(int fd, struct stat* buf);
int __wrap_lstat(const char* path, struct stat* buf);
int __wrap_sem_clockwait(sem_t* sem, clockid_t clock, const timespec* abstime);
}

namespace {
constexpr int stat_ver_linux = 1;  // _STAT_VER_LINUX of x86-64
using clockwait_fn = int (*)(sem_t*, clockid_t, const timespec*);

clockwait_fn real_sem_clockwait() noexcept {
  static const clockwait_fn fn = []() noexcept -> clockwait_fn {
    void* lib = ::dlopen("libpthread.so.0", RTLD_LAZY | RTLD_NOLOAD);
    if (lib == nullptr) return nullptr;
    void* f = ::dlvsym(lib, "sem_clockwait", "GLIBC_2.30");
    return reinterpret_cast<clockwait_fn>(f);  // lib stays loaded: we link it
  }();
  return fn;
}
}  // namespace

int __wrap_fstat64(int fd, struct stat64* buf) { return __fxstat64(stat_ver_linux, fd, buf); }
int __wrap_lstat64(const char* path, struct stat64* buf) {
  return __lxstat64(stat_ver_linux, path, buf);
}
int __wrap_fstat(int fd, struct stat* buf) {
  return __wrap_fstat64(fd, reinterpret_cast<struct stat64*>(buf));
}
int __wrap_lstat(const char* path, struct stat* buf) {
  return __wrap_lstat64(path, reinterpret_cast<struct stat64*>(buf));
}

int __wrap_sem_clockwait(sem_t* sem, clockid_t clock, const timespec* abstime) {
  if (const clockwait_fn real = real_sem_clockwait()) return real(sem, clock, abstime);
  if (clock == CLOCK_REALTIME) return ::sem_timedwait(sem, abstime);
  if (clock != CLOCK_MONOTONIC || abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000L) {
    errno = EINVAL;
    return -1;
  }
  using namespace std::chrono;
  const nanoseconds left = seconds(abstime->tv_sec) + nanoseconds(abstime->tv_nsec) -
                           nob::detail::now_on(CLOCK_MONOTONIC);
  if (left <= nanoseconds(0)) {  // a past deadline: one try, as sem_clockwait does
    if (::sem_trywait(sem) == 0) return 0;
    if (errno == EAGAIN) errno = ETIMEDOUT;
    return -1;
  }
  const nanoseconds slice = milliseconds(NOB_TIMEDWAIT_SLICE_MS);
  const timespec until =
      nob::detail::to_timespec(nob::detail::now_on(CLOCK_REALTIME) + (left < slice ? left : slice));
  return ::sem_timedwait(sem, &until);
}
#endif
