///
// nob - robust semaphore: who is alive, and reclaiming (implementation detail)
//
// A process is alive while the lock byte of its user entry is locked at the
// generation its tokens name (alive()); a census asks each entry once per
// pass over the slots. reclaim() frees the slots of dead owners; the waiter
// counts of dead processes are dropped from the wait word. docs/robust.md
// has the protocol, its states and its crash points.
///

#ifndef NOB_DETAIL_ROBUST_LIVENESS_HPP
#define NOB_DETAIL_ROBUST_LIVENESS_HPP

#include <nob/detail/errors.hpp>
#include <nob/detail/robust/config.hpp>
#include <nob/detail/robust/futex.hpp>
#include <nob/detail/robust/layout.hpp>
#include <nob/detail/robust/locks.hpp>

#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

namespace nob::detail::robust {

/// True when the process registered as entry i at generation g (odd) still
/// lives. The generation is read before and after the lock test: nobody but
/// g's registrant takes byte i while the entry is at g (a re-user first
/// moves gen past g, then locks), and the registrant locked before it
/// published g; so "gen == g, then byte unlocked" proves g's owner gone and
/// "byte locked while gen == g throughout" proves it alive.
inline bool alive(const file& f, std::uint32_t i, std::uint64_t g) noexcept {
  if (i == f.index && g == f.gen && f.token != 0) return true;
  if (f.users[i].gen.load(std::memory_order_acquire) != g) return false;
  if (!user_byte_locked(f.fd, i)) return false;
  return f.users[i].gen.load(std::memory_order_acquire) == g;
}

/// Takes entry i's waiters out of the wait word's count (the entry's owner
/// has ended, or the entry is being taken): its sleepers will never
/// subtract themselves. Never below zero.
inline void drop_waiters(const file& f, std::uint32_t i) noexcept {
  const std::uint64_t n = f.users[i].waiters.exchange(0, std::memory_order_seq_cst);
  if (n == 0) return;
  std::uint64_t w = f.head->wait_word.load(std::memory_order_seq_cst);
  for (;;) {
    const std::uint64_t k = (w >> 32) < n ? (w >> 32) : n;
    if (f.head->wait_word.compare_exchange_weak(w, w - (k << 32), std::memory_order_seq_cst))
      return;
  }
}

/// Under the file-wide lock: the entries of ended processes that still
/// count waiters (a waiter SIGKILLed in its sleep) are freed and their
/// waiters dropped. Only entries with waiters are asked about.
inline void drop_dead_waiters(const file& f) noexcept {
  for (std::uint32_t i = 0; i < f.nusers; ++i) {
    if (f.users[i].waiters.load(std::memory_order_relaxed) == 0) continue;
    std::uint64_t g = f.users[i].gen.load(std::memory_order_acquire);
    if ((g & 1) != 0) {
      if (alive(f, i, g)) continue;
      if (!f.users[i].gen.compare_exchange_strong(g, g + 1, std::memory_order_seq_cst)) continue;
    }
    drop_waiters(f, i);
  }
}

/// True when some process other than this one's entry `skip` is registered and alive.
/// With `sweep` (only under the file-wide lock, when nobody registers), the
/// entries of dead processes met on the way are freed (generation made
/// even), so that later looks and registrations skip them cheaply.
inline bool any_live_user(const file& f, std::uint32_t skip, bool sweep = false) noexcept {
  for (std::uint32_t i = 0; i < f.nusers; ++i) {
    if (i == skip) continue;
    std::uint64_t g = f.users[i].gen.load(std::memory_order_acquire);
    if ((g & 1) == 0) continue;
    if (alive(f, i, g)) return true;
    if (sweep && f.users[i].gen.compare_exchange_strong(g, g + 1, std::memory_order_seq_cst))
      drop_waiters(f, i);
  }
  return false;
}

/// What a look at every entry found: for entry i, the generation seen and
/// whether its owner lived. A slot token of entry i is dead when its
/// generation is older than the one seen, or equal and the owner was dead;
/// a newer one is asked about on its own (alive only if the entry is at
/// that generation now and its owner lives).
/// Its two arrays are allocated without throwing (ok() false when there was
/// no memory): reclaim(), on a waiter's path, reports ENOMEM instead.
struct census {
  std::unique_ptr<std::uint64_t[]> gen;
  std::unique_ptr<signed char[]> live;  ///< -1: not looked at yet
  explicit census(const file& f) noexcept
      : gen(new (std::nothrow) std::uint64_t[f.nusers]()),
        live(new (std::nothrow) signed char[f.nusers]) {
    if (live) std::memset(live.get(), -1, f.nusers);
  }
  bool ok() const noexcept { return gen != nullptr && live != nullptr; }

  /// True when `token` (non-zero) belongs to a live process.
  bool owner_alive(const file& f, std::uint64_t token) {
    const std::uint64_t idx = token >> 48;
    const std::uint64_t g = token & gen_mask;  // without claim_bit
    if (idx == 0 || idx > f.nusers || (g & 1) == 0) return false;  // corrupt: free it
    const auto i = static_cast<std::uint32_t>(idx - 1);
    if (live[i] < 0) {
      gen[i] = f.users[i].gen.load(std::memory_order_acquire);
      live[i] = ((gen[i] & 1) != 0 && alive(f, i, gen[i])) ? 1 : 0;
    }
    if (g < gen[i]) return false;
    if (g == gen[i]) return live[i] == 1;
    // Newer than the look: registered since, or never issued. The slot was
    // read (acquire) after its owner published g, so the entry is at g or
    // past it now; behind g means no process ever had the token (a corrupt
    // or forged slot, which would otherwise count as held forever).
    const std::uint64_t now = f.users[i].gen.load(std::memory_order_acquire);
    return now == g && alive(f, i, g);
  }
};

/// Now on the steady clock, in ns since its epoch.
inline std::int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// True when no thread of this process has looked for dead holders for a
/// slice (NOB_ROBUST_SLICE_MS): a waiter looks then, whatever ended its last sleep.
inline bool look_due(const file& f) noexcept {
  constexpr std::int64_t slice_ns = std::int64_t(NOB_ROBUST_SLICE_MS) * 1000000;
  return steady_now_ns() - f.last_look.load(std::memory_order_relaxed) >= slice_ns;
}

/// Free units now: value(). Units of ended processes count as free. (`f` may
/// also be a copy of a file read with pread, f.token 0: nob-sem's inspection.)
inline int free_units(const file& f) {
  census c(f);
  if (!c.ok()) throw_or_abort(std::bad_alloc());
  int n = 0;
  for (std::uint32_t j = 0; j < f.capacity; ++j) {
    const std::uint64_t t = f.slots[j].load(std::memory_order_acquire);
    if (t == 0 || ((t & ~claim_bit) != f.token && !c.owner_alive(f, t))) ++n;
  }
  return n;
}

/// Live processes that hold units, with how many: holders(). (`Holder` is
/// nob::holder, an aggregate {pid, units}: public, so declared there.)
template <class Holder>
std::vector<Holder> live_holders(const file& f) {
  census c(f);
  if (!c.ok()) throw_or_abort(std::bad_alloc());
  std::vector<unsigned int> units(f.nusers, 0);
  for (std::uint32_t j = 0; j < f.capacity; ++j) {
    const std::uint64_t t = f.slots[j].load(std::memory_order_acquire) & ~claim_bit;
    if (t != 0 && (t == f.token || c.owner_alive(f, t))) ++units[(t >> 48) - 1];
  }
  std::vector<Holder> out;
  for (std::uint32_t i = 0; i < f.nusers; ++i)
    if (units[i] != 0) out.push_back(Holder{static_cast<pid_t>(f.users[i].pid.load()), units[i]});
  return out;
}

/// Frees the slots of dead owners; returns how many (waking waiters if any).
/// ENOMEM in `err` (and 0) when there was no memory for the census.
inline std::uint32_t reclaim(const file& f, int& err) noexcept {
  f.last_look.store(steady_now_ns(), std::memory_order_relaxed);
  census c(f);
  if (!c.ok()) {
    err = ENOMEM;
    return 0;
  }
  std::uint32_t freed = 0;
  for (std::uint32_t j = 0; j < f.capacity; ++j) {
    std::uint64_t t = f.slots[j].load(std::memory_order_acquire);
    if (t == 0 || (t & ~claim_bit) == f.token || c.owner_alive(f, t)) continue;
    NOB_ROBUST_STEP("reclaim.found");
    if (f.slots[j].compare_exchange_strong(t, 0, std::memory_order_seq_cst)) {
      ++freed;
      NOB_ROBUST_STEP("reclaim.freed");
    }
  }
  if (freed != 0) wake_waiters(f.head);
  return freed;
}

/// When no live process has the file open, nobody can be waiting: every
/// waiter count left by killed waiters (or by outside waiters that died,
/// which no entry records) is dropped.
inline void reset_waiters(const file& f) noexcept {
  for (std::uint32_t i = 0; i < f.nusers; ++i) f.users[i].waiters.store(0, std::memory_order_relaxed);
  std::uint64_t w = f.head->wait_word.load();
  while ((w >> 32) != 0 && !f.head->wait_word.compare_exchange_weak(w, std::uint32_t(w + 1),
                                                                     std::memory_order_seq_cst)) {
  }
}

}  // namespace nob::detail::robust

#endif  // NOB_DETAIL_ROBUST_LIVENESS_HPP
