// Compile check: robust_semaphore.hpp on its own (no other nob header first),
// every template member instantiated, without the test hooks.
#include <nob/robust_semaphore.hpp>

#include <chrono>
#include <mutex>

struct other_clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<other_clock>;
  static constexpr bool is_steady = false;
  static time_point now() noexcept { return time_point(std::chrono::steady_clock::now().time_since_epoch()); }
};

bool nob_robust_header_alone(nob::robust_semaphore& s) {
  using namespace std::chrono;
  bool ok = s.try_acquire_for(milliseconds(1)) && s.try_acquire_for(duration<double>(0.5)) &&
            s.try_acquire_until(steady_clock::now()) && s.try_acquire_until(system_clock::now()) &&
            s.try_acquire_until(other_clock::now()) && s.try_lock_for(seconds(1)) &&
            s.try_lock_until(steady_clock::now() + hours(1));
  std::unique_lock<nob::robust_semaphore> hold(s, std::try_to_lock);
  return ok && hold.owns_lock();
}
