// Glue for nob.ipc._async: the futex calls its helper thread makes. The
// helper blocks in futex_waitv (Linux 5.16+) on the 32-bit futex words of
// every awaited semaphore plus one private word of its own; where that
// system call is missing every function here says so (ENOSYS) and the
// module polls instead. Compiled into the extension, not installed.
//
// A "wait word" is a 64-bit word in shared memory: the low 32 bits are the
// futex word that posts change and wake, the high 32 bits count registered
// waiters (a post issues FUTEX_WAKE only while that count is non-zero).
// glibc's 64-bit sem_t starts with such a word (value low, nwaiters high,
// SEM_NWAITERS_SHIFT 32); nob::robust_semaphore::wait_word() follows the
// same convention.
#ifndef NOB_PY_ASYNC_SUPPORT_HPP
#define NOB_PY_ASYNC_SUPPORT_HPP

#include <semaphore.h>

#include <cerrno>
#include <cstdint>
#include <ctime>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__linux__) && !defined(SYS_futex_waitv) && defined(__x86_64__)
#define SYS_futex_waitv 449  // the same number on every architecture since 5.16
#endif

namespace nob_py {

/// Most words one futex_waitv call may wait on (FUTEX_WAITV_MAX).
constexpr unsigned async_waitv_max = 128;

/// The futex word address of a sem_t that nob mapped from /dev/shm, or 0
/// where glibc's 64-bit layout is not known to hold (the module then polls).
inline std::uintptr_t sem_wait_word(sem_t* sem) noexcept {
#if defined(__linux__) && defined(__GLIBC__) && defined(__LP64__) &&            \
    (defined(__x86_64__) || defined(__aarch64__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(SYS_futex_waitv)
  return reinterpret_cast<std::uintptr_t>(sem);
#else
  (void)sem;
  return 0;
#endif
}

/// A second mapping, private to the caller, of the shared page that holds
/// the wait word at `addr` (mremap with old_size 0 duplicates a shared
/// mapping): the address of the word in it, or 0 when that fails. The helper
/// thread waits on this copy, so the semaphore's own mapping may be unmapped
/// while the helper still sits in futex_waitv on it: the futex is the same
/// (shared futexes are keyed by file and offset), and a wake it takes there
/// can still be handed on. Released by async_drop_word().
///
/// The copy is never inherited by a child (MADV_DONTFORK): a mapping keeps
/// its open file description alive, and for a RobustSemaphore that is the
/// description whose OFD lock says this process lives. A child that kept
/// the copy would keep a dead or exec'd parent's units from being
/// reclaimed for as long as it lives. In a child the copy's address is
/// therefore unmapped: forget it there, never unmap or read it.
inline std::uintptr_t async_dup_word(std::uintptr_t addr) noexcept {
#if defined(__linux__)
  const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const std::uintptr_t base = addr & ~(page - 1);
  void* p = ::mremap(reinterpret_cast<void*>(base), 0, page, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) return 0;
  if (::madvise(p, page, MADV_DONTFORK) != 0) {
    ::munmap(p, page);
    return 0;
  }
  return reinterpret_cast<std::uintptr_t>(p) + (addr - base);
#else
  (void)addr;
  return 0;
#endif
}

/// Unmaps a copy made by async_dup_word().
inline void async_drop_word(std::uintptr_t dup) noexcept {
#if defined(__linux__)
  const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  ::munmap(reinterpret_cast<void*>(dup & ~(page - 1)), page);
#else
  (void)dup;
#endif
}

/// The futex word (low 32 bits) of the wait word at `addr`.
inline std::uint32_t async_load(std::uintptr_t addr) noexcept {
  return __atomic_load_n(reinterpret_cast<std::uint32_t*>(addr), __ATOMIC_SEQ_CST);
}

/// Adds `delta` (+1 or -1) to the waiter count (high 32 bits) at `addr`.
inline void async_count_waiter(std::uintptr_t addr, int delta) noexcept {
  const std::uint64_t one = std::uint64_t{1} << 32;
  auto* word = reinterpret_cast<std::uint64_t*>(addr);
  if (delta > 0) {
    __atomic_fetch_add(word, one, __ATOMIC_SEQ_CST);
  } else {
    __atomic_fetch_sub(word, one, __ATOMIC_SEQ_CST);
  }
}

/// FUTEX_WAKE of up to `n` waiters on the word at `addr`: process-shared,
/// or private to this process (`is_private`, the helper's own word).
inline void async_wake(std::uintptr_t addr, int n, bool is_private) noexcept {
#if defined(__linux__)
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr),
            is_private ? (FUTEX_WAKE | FUTEX_PRIVATE_FLAG) : FUTEX_WAKE, n, nullptr, nullptr, 0);
#else
  (void)addr, (void)n, (void)is_private;
#endif
}

/// Bumps the private word at `addr` and wakes the helper waiting on it.
inline void async_poke(std::uintptr_t addr) noexcept {
  __atomic_fetch_add(reinterpret_cast<std::uint32_t*>(addr), 1u, __ATOMIC_SEQ_CST);
  async_wake(addr, 1, true);
}

/// Waits until one of the `n` words changes from its expected value, the
/// first word being private and the others process-shared, for at most
/// `timeout_ns` (< 0: no limit). Returns the index of the word that woke it,
/// or -1 with *err set: EAGAIN (a word already differed), ETIMEDOUT, EINTR,
/// ENOSYS (no futex_waitv here), or another errno.
inline int async_waitv(const std::uintptr_t* addrs, const std::uint32_t* expected, unsigned n,
                       long long timeout_ns, int* err) noexcept {
  *err = 0;
#if defined(__linux__) && defined(SYS_futex_waitv)
  struct futex_waitv items[async_waitv_max] = {};
  if (n > async_waitv_max) n = async_waitv_max;
  for (unsigned i = 0; i < n; ++i) {
    items[i].val = expected[i];
    items[i].uaddr = static_cast<std::uint64_t>(addrs[i]);
    items[i].flags = FUTEX_32 | (i == 0 ? FUTEX_PRIVATE_FLAG : 0);
  }
  timespec abs{};
  timespec* deadline = nullptr;
  if (timeout_ns >= 0) {
    ::clock_gettime(CLOCK_MONOTONIC, &abs);
    long long ns = abs.tv_nsec + timeout_ns % 1000000000LL;
    abs.tv_sec += static_cast<time_t>(timeout_ns / 1000000000LL + ns / 1000000000LL);
    abs.tv_nsec = static_cast<long>(ns % 1000000000LL);
    deadline = &abs;
  }
  long r = ::syscall(SYS_futex_waitv, items, n, 0, deadline, CLOCK_MONOTONIC);
  if (r < 0) {
    *err = errno;
    return -1;
  }
  return static_cast<int>(r);
#else
  (void)addrs, (void)expected, (void)n, (void)timeout_ns;
  *err = ENOSYS;
  return -1;
#endif
}

/// True when futex_waitv exists and is allowed here (probed with an empty
/// call, which a kernel that has it refuses with EINVAL).
inline bool async_have_waitv() noexcept {
#if defined(__linux__) && defined(SYS_futex_waitv)
  long r = ::syscall(SYS_futex_waitv, nullptr, 0, 0, nullptr, CLOCK_MONOTONIC);
  return r < 0 && errno == EINVAL;
#else
  return false;
#endif
}

/// Waits at most `timeout_ns` while the private word at `addr` holds
/// `expected` (FUTEX_WAIT; a plain sleep where there are no futexes): the
/// polling fallback's backoff, cut short by async_poke().
inline void async_wait_private(std::uintptr_t addr, std::uint32_t expected,
                               long long timeout_ns) noexcept {
  timespec ts{static_cast<time_t>(timeout_ns / 1000000000LL),
              static_cast<long>(timeout_ns % 1000000000LL)};
#if defined(__linux__)
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
            expected, &ts, nullptr, 0);
#else
  (void)addr, (void)expected;
  ::nanosleep(&ts, nullptr);
#endif
}

}  // namespace nob_py

#endif  // NOB_PY_ASYNC_SUPPORT_HPP
