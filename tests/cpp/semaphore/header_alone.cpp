// Compile-only check: the header is self-contained (it is the only include)
// and every template member instantiates cleanly with the strictest warnings.
#include <nob/named_semaphore.hpp>

namespace {

struct other_clock {
  using rep = long;
  using period = std::milli;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<other_clock>;
  static constexpr bool is_steady = false;
  static time_point now() noexcept { return time_point(duration(0)); }
};

}  // namespace

/// Instantiates every template member; never called.
bool nob_header_alone_instantiate(nob::named_semaphore& s) {
  using namespace std::chrono;
  bool r = s.try_acquire_for(milliseconds(1));
  r = s.try_acquire_for(duration<double>(0.5)) || r;
  r = s.try_acquire_for(duration<float, std::milli>(0.5f)) || r;
  r = s.try_acquire_for(duration<unsigned, std::micro>(5)) || r;
  r = s.try_acquire_until(steady_clock::now()) || r;
  r = s.try_acquire_until(system_clock::now()) || r;
  r = s.try_acquire_until(time_point_cast<seconds>(system_clock::now())) || r;
  r = s.try_acquire_until(other_clock::now()) || r || other_clock::is_steady;
  r = s.try_lock_for(seconds(1)) || r;
  r = s.try_lock_until(steady_clock::now() + hours(1)) || r;
  std::error_code ec;
  r = s.try_acquire(ec) || r;
  r = s.wait_once(ec) == nob::wait_result::acquired || r;
  s.release(1, ec);
  return r && nob::is_valid_name(s.name()) && nob::named_semaphore::max() > 0 &&
         nob::compiled_wait_strategy != nob::wait_strategy::poll;
}
