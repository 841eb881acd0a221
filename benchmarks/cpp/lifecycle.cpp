// The cost of a handle's life: open+close of an existing name, and
// create+close+unlink of a fresh one.
//
// glibc's sem_open keeps one mapping per semaphore per process and hands it
// out again (with a reference count) while any handle on it is open there;
// open_close measures the usual case of a semaphore that this process does
// not hold open yet, open_close_while_open the case glibc caches.
#include "support.hpp"

namespace bench {
namespace {

/// Opens an existing semaphore that no handle in this process holds, and
/// closes it again.
template <class C>
void open_close(benchmark::State& state) {
  const std::string name = unique_name("oc");
  sem_t* made = ::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 1);
  if (made == SEM_FAILED) {
    state.SkipWithError("sem_open O_CREAT failed");
    return;
  }
  ::sem_close(made);  // the name stays; nothing of it stays mapped here
  for (auto _ : state) {
    C s(name, false, 0);
    benchmark::DoNotOptimize(&s);
  }
  ::sem_unlink(name.c_str());
}

/// As open_close, while another handle on the same semaphore stays open in
/// this process (glibc's sem_open then reuses its mapping).
template <class C>
void open_close_while_open(benchmark::State& state) {
  const std::string name = unique_name("ow");
  C keeper(name, true, 1);
  for (auto _ : state) {
    C s(name, false, 0);
    benchmark::DoNotOptimize(&s);
  }
}

/// Opens an existing semaphore, takes and gives back one unit, closes:
/// what a process that opens a semaphore to use it pays (the first touch
/// of the shared page happens here for every contender).
template <class C>
void open_use_close(benchmark::State& state) {
  const std::string name = unique_name("ou");
  sem_t* made = ::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 1);
  if (made == SEM_FAILED) {
    state.SkipWithError("sem_open O_CREAT failed");
    return;
  }
  ::sem_close(made);
  for (auto _ : state) {
    C s(name, false, 0);
    s.acquire();
    s.release();
  }
  ::sem_unlink(name.c_str());
}

/// Creates a new name exclusively, closes it and removes the name.
template <class C>
void create_close_unlink(benchmark::State& state) {
  const std::string name = unique_name("cc");
  for (auto _ : state) {
    C s(name, true, 1);
    benchmark::DoNotOptimize(&s);
  }
}

}  // namespace

void register_lifecycle() {
  for_each_contender([](auto t) {
    using C = typename decltype(t)::type;
    add("open_close", C::label, open_close<C>);
    add("open_close_while_open", C::label, open_close_while_open<C>);
    add("open_use_close", C::label, open_use_close<C>);
    add("create_close_unlink", C::label, create_close_unlink<C>);
  });
}

}  // namespace bench
