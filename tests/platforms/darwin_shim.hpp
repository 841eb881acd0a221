// The C library as Darwin's, for the macos-emu target of
// tests/steps/50-platforms.sh (linked with -Wl,--wrap=sem_getvalue
// -Wl,--wrap=clock_gettime, so only the calls of the test program's own
// code, nob's header included, are redirected; libstdc++ is not):
//  * CLOCK_MONOTONIC runs one hour ahead of std::chrono::steady_clock, as
//    on a Mac that has slept (libc++'s steady_clock is CLOCK_UPTIME_RAW,
//    which stops during sleep; CLOCK_MONOTONIC does not);
//  * sem_getvalue fails with ENOSYS while strict mode is on (the default
//    of the platforms suite), and counts its calls.
#ifndef NOB_TESTS_DARWIN_SHIM_HPP
#define NOB_TESTS_DARWIN_SHIM_HPP

namespace nob_platform {

/// How far CLOCK_MONOTONIC runs ahead of steady_clock, in seconds.
inline constexpr long darwin_clock_offset_s = 3600;

/// Turns ENOSYS from sem_getvalue on or off.
void set_sem_getvalue_enosys(bool on) noexcept;
/// Calls of sem_getvalue so far, successful or not.
long sem_getvalue_calls() noexcept;

}  // namespace nob_platform

#endif  // NOB_TESTS_DARWIN_SHIM_HPP
