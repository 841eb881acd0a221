// One process, a semaphore that always has a unit: the cost of the calls.
#include "support.hpp"

namespace bench {
namespace {

/// acquire() then release(): sem_wait + sem_post for raw.
template <class C>
void acquire_release(benchmark::State& state) {
  const std::string name = unique_name("ar");
  C s(name, true, 1);
  for (auto _ : state) {
    s.acquire();
    s.release();
  }
}

/// try_acquire() then release(): sem_trywait + sem_post for raw.
template <class C>
void try_acquire_release(benchmark::State& state) {
  const std::string name = unique_name("tr");
  C s(name, true, 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.try_acquire());
    s.release();
  }
}

/// try_acquire_for(1 s) on an available semaphore, then release().
template <class C>
void try_acquire_for_release(benchmark::State& state) {
  const std::string name = unique_name("tf");
  C s(name, true, 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.try_acquire_for(std::chrono::seconds(1)));
    s.release();
  }
}

}  // namespace

void register_uncontended() {
  for_each_contender([](auto t) {
    using C = typename decltype(t)::type;
    add("acquire_release", C::label, acquire_release<C>);
    add("try_acquire_release", C::label, try_acquire_release<C>);
    add("try_acquire_for_1s", C::label, try_acquire_for_release<C>);
  });
}

}  // namespace bench
