// How late a 10 ms timed wait on an empty semaphore returns.
#include "support.hpp"

namespace bench {
namespace {

/// try_acquire_for(10 ms) that must time out; counter overshoot_us is the
/// mean of (elapsed - 10 ms) in microseconds.
template <class C>
void timeout_overshoot(benchmark::State& state) {
  using clock = std::chrono::steady_clock;
  const std::string name = unique_name("to");
  C s(name, true, 0);
  double total_us = 0;
  for (auto _ : state) {
    const auto t0 = clock::now();
    const bool got = s.try_acquire_for(std::chrono::milliseconds(10));
    const auto t1 = clock::now();
    if (got) state.SkipWithError("acquired an empty semaphore");
    total_us += std::chrono::duration<double, std::micro>(t1 - t0).count() - 10000.0;
  }
  state.counters["overshoot_us"] = total_us / static_cast<double>(state.iterations());
}

}  // namespace

void register_timeout() {
  for_each_contender([](auto t) {
    using C = typename decltype(t)::type;
    add("timeout_overshoot_10ms", C::label, timeout_overshoot<C>)->Iterations(10)->UseRealTime();
  });
}

}  // namespace bench
