///
// nob - robust semaphore: taking and giving back units (implementation detail)
//
// A unit is a slot: taken by one compare-and-swap from 0 to the process's
// token (taking it and recording its owner are one atomic step), given back
// by one from the token to 0; release(n > 1) claims n slots first so that it
// gives back all of them or none.
///

#ifndef NOB_DETAIL_ROBUST_UNITS_HPP
#define NOB_DETAIL_ROBUST_UNITS_HPP

#include <nob/detail/robust/config.hpp>
#include <nob/detail/robust/layout.hpp>
#include <nob/detail/robust/liveness.hpp>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <thread>

namespace nob::detail::robust {

/// One pass over the slots from this process's hint: takes a free one.
/// The slot loads are seq_cst: a waiter registers in the wait word (a
/// seq_cst read-modify-write) and then looks here, a releaser frees a slot
/// (seq_cst) and then reads the wait word (seq_cst); in the single total
/// order of those four, either the waiter sees the free slot or the releaser
/// sees the waiter and wakes it. (Free on x86; an ldar on Arm.)
inline bool take_free(file& f) noexcept {
  const std::uint32_t cap = f.capacity;
  std::uint32_t j = f.hint.load(std::memory_order_relaxed);
  if (j >= cap) j = 0;
  const std::uint32_t start = j;
  for (std::uint32_t k = 0; k < cap; ++k) {
    std::uint64_t t = f.slots[j].load(std::memory_order_seq_cst);
    if (t == 0 && f.slots[j].compare_exchange_strong(t, f.token, std::memory_order_seq_cst)) {
      NOB_ROBUST_STEP("acquire.taken");
      if (j != start) f.hint.store(j, std::memory_order_relaxed);
      return true;
    }
    if (++j == cap) j = 0;
  }
  return false;
}

/// The hot path of try_acquire() and acquire(): takes the slot at this
/// process's hint if it is free (one load and one compare-and-swap, seq_cst
/// as in take_free()); false, having changed nothing, when it is not, or
/// when this process has no entry (token 0). take_free() looks at the rest.
inline bool take_at_hint(file& f) noexcept {
  const std::uint64_t mine = f.token;
  std::uint32_t j = f.hint.load(std::memory_order_relaxed);
  if (j >= f.capacity) j = 0;
  std::uint64_t t = f.slots[j].load(std::memory_order_seq_cst);
  if (mine == 0 || t != 0 || !f.slots[j].compare_exchange_strong(t, mine, std::memory_order_seq_cst))
    return false;
  NOB_ROBUST_STEP("acquire.taken");
  return true;
}

/// Takes a free unit, else frees dead holders' units and tries again.
/// 1 taken, 0 none free, -1 error (err set).
inline int take(file& f, bool reclaim_first_if_full, int& err) noexcept {
  if (f.token == 0) {
    err = f.broken != 0 ? f.broken : EBADF;
    return -1;
  }
  if (take_free(f)) return 1;
  if (!reclaim_first_if_full) return 0;
  int no_memory = 0;
  if (reclaim(f, no_memory) == 0) {
    if (no_memory == 0) return 0;
    err = no_memory;
    return -1;
  }
  return take_free(f) ? 1 : 0;
}

/// Units this process holds: its slots, claimed or not.
inline std::uint32_t count_own(const file& f) noexcept {
  std::uint32_t n = 0;
  if (f.token == 0) return 0;
  for (std::uint32_t j = 0; j < f.capacity; ++j)
    if ((f.slots[j].load(std::memory_order_relaxed) & ~claim_bit) == f.token) ++n;
  return n;
}

/// Serialises this process's slow releases (the only code that claims).
struct giving_back_guard {
  std::atomic<bool>& flag;
  explicit giving_back_guard(std::atomic<bool>& f) noexcept : flag(f) {
    while (flag.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
  }
  ~giving_back_guard() { flag.store(false, std::memory_order_release); }
  giving_back_guard(const giving_back_guard&) = delete;
  giving_back_guard& operator=(const giving_back_guard&) = delete;
};

/// The hot path of release(): gives back one unit of this process whose
/// slot is at the hint (one compare-and-swap); false, having changed
/// nothing, when that slot is not this process's (or it has no entry).
inline bool give_back_at_hint(file& f) noexcept {
  std::uint64_t t = f.token;
  std::uint32_t j = f.hint.load(std::memory_order_relaxed);
  if (j >= f.capacity) j = 0;
  if (t == 0 || f.slots[j].load(std::memory_order_relaxed) != t ||
      !f.slots[j].compare_exchange_strong(t, 0, std::memory_order_seq_cst))
    return false;
  NOB_ROBUST_STEP("release.cleared");
  return true;
}

/// Gives back `n` units of this process, all or none: true when given.
/// One unit whose slot is at the hint is one compare-and-swap. Otherwise,
/// with the process's other slow releases kept out, n slots are claimed
/// (token -> token|claim_bit: still ours for everybody) and then cleared; if
/// fewer than n are found, the claimed ones are restored and nothing is given.
inline bool give_back(file& f, std::uint64_t n) noexcept {
  if (n == 1 && give_back_at_hint(f)) return true;
  const std::uint32_t cap = f.capacity;
  std::uint32_t j = f.hint.load(std::memory_order_relaxed);
  if (j >= cap) j = 0;
  if (n > cap) return false;
  giving_back_guard guard(f.giving_back);
  const std::uint64_t mine = f.token, claimed = f.token | claim_bit;
  std::uint64_t got = 0;
  for (std::uint32_t k = 0; k < cap && got < n; ++k) {
    std::uint64_t t = mine;
    if (f.slots[j].load(std::memory_order_relaxed) == t &&
        f.slots[j].compare_exchange_strong(t, claimed, std::memory_order_relaxed))
      ++got;
    if (++j == cap) j = 0;
  }
  NOB_ROBUST_STEP("release.claimed");
  const std::uint64_t to = got == n ? 0 : mine;
  for (std::uint32_t i = 0; i < cap; ++i) {
    std::uint64_t t = claimed;
    if (f.slots[i].load(std::memory_order_relaxed) == t &&
        f.slots[i].compare_exchange_strong(t, to, std::memory_order_seq_cst) && to == 0)
      NOB_ROBUST_STEP("release.cleared");
  }
  return got == n;
}

/// Clears every slot of this process (its last handle closes); how many.
inline std::uint32_t clear_all_own(file& f) noexcept {
  std::uint32_t n = 0;
  for (std::uint32_t j = 0; j < f.capacity; ++j) {
    std::uint64_t t = f.slots[j].load(std::memory_order_relaxed);
    if ((t & ~claim_bit) == f.token && f.token != 0 &&
        f.slots[j].compare_exchange_strong(t, 0, std::memory_order_seq_cst))
      ++n;
  }
  return n;
}

}  // namespace nob::detail::robust

#endif  // NOB_DETAIL_ROBUST_UNITS_HPP
