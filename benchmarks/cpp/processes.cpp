// Several processes on one semaphore: ping-pong latency and contended throughput.
#include "support.hpp"

namespace bench {
namespace {

/// Round trip: the parent posts `ping` and waits on `pong`; a forked child
/// (with its own handles, opened by name) waits on `ping` and posts `pong`.
/// Both run on one CPU, so a round trip is two context switches rather than
/// a cross-CPU wake-up, whose cost swings widely on a shared VM.
template <class C>
void ping_pong(benchmark::State& state) {
  const std::string ping_name = unique_name("ping");
  const std::string pong_name = unique_name("pong");
  C ping(ping_name, true, 0);
  C pong(pong_name, true, 0);
  shared_state shared;
  one_cpu pin;
  const pid_t child = spawn([&] {
    C p(ping_name, false, 0);
    C q(pong_name, false, 0);
    for (;;) {
      p.acquire();
      if (shared->stop.load(std::memory_order_acquire)) return;
      q.release();
    }
  });
  for (auto _ : state) {
    ping.release();
    pong.acquire();
  }
  shared->stop.store(1, std::memory_order_release);
  ping.release();
  reap({child});
}

/// Throughput of acquire+release pairs on one semaphore of value 1 (a
/// mutex) hammered by N processes at once; each round every worker does
/// kPairs pairs. Reported per pair (items_per_second counts pairs).
template <class C>
void contended(benchmark::State& state) {
  constexpr int kPairs = 20000;
  const int procs = static_cast<int>(state.range(0));
  const std::string name = unique_name("cont");
  C sem(name, true, 1);
  shared_state shared;
  std::vector<pid_t> kids;
  for (int i = 0; i < procs; ++i) {
    kids.push_back(spawn([&] {
      C s(name, false, 0);
      for (;;) {
        ::sem_wait(&shared->start);
        if (shared->stop.load(std::memory_order_acquire)) return;
        for (int k = 0; k < kPairs; ++k) {
          s.acquire();
          s.release();
        }
        ::sem_post(&shared->done);
      }
    }));
  }
  for (auto _ : state) {
    for (int i = 0; i < procs; ++i) ::sem_post(&shared->start);
    for (int i = 0; i < procs; ++i) ::sem_wait(&shared->done);
  }
  shared->stop.store(1, std::memory_order_release);
  for (int i = 0; i < procs; ++i) ::sem_post(&shared->start);
  reap(kids);
  state.SetItemsProcessed(state.iterations() * procs * kPairs);
  state.counters["pairs_per_round"] = procs * kPairs;
}

}  // namespace

void register_processes() {
  for_each_contender([](auto t) {
    using C = typename decltype(t)::type;
    add("ping_pong", C::label, ping_pong<C>)->UseRealTime();
    add("contended_2proc", C::label, contended<C>)->Arg(2)->UseRealTime();
    add("contended_4proc", C::label, contended<C>)->Arg(4)->UseRealTime();
  });
}

}  // namespace bench
