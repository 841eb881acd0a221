// Glue for nob.ipc._async's "uring" mode: one io_uring per event loop, in
// which every awaited semaphore is one IORING_OP_FUTEX_WAIT (Linux 6.7+) on
// its 32-bit futex word; the ring's own descriptor, readable while
// completions are queued, wakes the loop (loop.add_reader), which reads the
// completions on its own thread.
//
// Raw system calls and a hand-written copy of the stable io_uring ABI: no
// liburing (Debian's 2.3 has no futex helpers, and a wheel must not need a
// shared library that pip users lack) and no dependency on the build
// host's <linux/io_uring.h> (older ones lack the futex opcodes). Compiled
// into the extension, not installed. Everything here is single-threaded:
// one ring is used by one thread at a time (the module holds the GIL around
// every call that touches the queues).
#ifndef NOB_PY_ASYNC_URING_HPP
#define NOB_PY_ASYNC_URING_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__linux__)
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace nob_py {
namespace uring_abi {

// The parts of the io_uring ABI (include/uapi/linux/io_uring.h) used here.
constexpr std::uint8_t op_nop = 0;
constexpr std::uint8_t op_timeout = 11;
constexpr std::uint8_t op_async_cancel = 14;
constexpr std::uint8_t op_futex_wait = 51;  // Linux 6.7
constexpr std::uint8_t op_futex_wake = 52;  // Linux 6.7
constexpr std::uint8_t sqe_io_link = 1u << 2;
constexpr std::uint32_t timeout_etime_success = 1u << 5;  // an expiry does not break a link
constexpr std::uint32_t futex2_size_u32 = 0x02;           // shared (no FUTEX2_PRIVATE)
constexpr std::uint64_t futex_match_any = 0xffffffffu;
constexpr std::uint32_t setup_cqsize = 1u << 3;
constexpr std::uint32_t setup_clamp = 1u << 4;
constexpr std::uint32_t setup_submit_all = 1u << 7;  // an SQE refused at submission stops nothing
constexpr std::uint32_t setup_coop_taskrun = 1u << 8;
constexpr std::uint32_t setup_taskrun_flag = 1u << 9;
constexpr std::uint32_t feat_single_mmap = 1u << 0;
constexpr std::uint32_t feat_nodrop = 1u << 1;
constexpr std::uint32_t sq_cq_overflow = 1u << 1;
constexpr std::uint32_t sq_taskrun = 1u << 2;
constexpr std::uint32_t enter_getevents = 1u << 0;
constexpr std::uint32_t enter_ext_arg = 1u << 3;
constexpr std::uint64_t off_sq_ring = 0;
constexpr std::uint64_t off_sqes = 0x10000000ull;

struct sqe {
  std::uint8_t opcode;
  std::uint8_t flags;
  std::uint16_t ioprio;
  std::int32_t fd;
  std::uint64_t off_or_addr2;
  std::uint64_t addr;
  std::uint32_t len;
  std::uint32_t op_flags;  // timeout_flags, cancel_flags, futex_flags
  std::uint64_t user_data;
  std::uint16_t buf_index;
  std::uint16_t personality;
  std::int32_t file_index;
  std::uint64_t addr3;
  std::uint64_t pad;
};
static_assert(sizeof(sqe) == 64, "io_uring_sqe is 64 bytes");

struct cqe {
  std::uint64_t user_data;
  std::int32_t res;
  std::uint32_t flags;
};
static_assert(sizeof(cqe) == 16, "io_uring_cqe is 16 bytes");

struct ring_offsets {  // io_sqring_offsets and io_cqring_offsets have the same shape
  std::uint32_t head, tail, ring_mask, ring_entries, flags_or_overflow, dropped_or_cqes,
      array_or_flags, resv1;
  std::uint64_t user_addr;
};
static_assert(sizeof(ring_offsets) == 40, "io_*ring_offsets are 40 bytes");

struct params {
  std::uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd,
      resv[3];
  ring_offsets sq_off;
  ring_offsets cq_off;
};
static_assert(sizeof(params) == 120, "io_uring_params is 120 bytes");

struct kernel_timespec {
  std::int64_t tv_sec;
  long long tv_nsec;
};

struct getevents_arg {
  std::uint64_t sigmask;
  std::uint32_t sigmask_sz;
  std::uint32_t min_wait_usec;
  std::uint64_t ts;
};

}  // namespace uring_abi

#if defined(__linux__) && defined(__NR_io_uring_setup) && defined(__NR_io_uring_enter) && \
    defined(__NR_io_uring_register)
#define NOB_PY_HAVE_URING 1
#else
#define NOB_PY_HAVE_URING 0
#endif

/// What a completion was for: the low 2 bits of its user_data.
enum : unsigned { uring_wait = 0, uring_timeout = 1, uring_wake = 2, uring_cancel = 3 };

/// One io_uring. Not thread-safe; not copyable.
class async_ring {
 public:
  async_ring() = default;
  async_ring(const async_ring&) = delete;
  async_ring& operator=(const async_ring&) = delete;
  ~async_ring() { close(); }

  /// Sets the ring up: 0, or the errno of the step that failed (the ring
  /// is then closed). `flags`: extra IORING_SETUP_* flags.
  int open(unsigned sq_entries, unsigned cq_entries, std::uint32_t flags) noexcept {
#if NOB_PY_HAVE_URING
    using namespace uring_abi;
    params p{};
    p.flags = setup_cqsize | setup_clamp | setup_submit_all | flags;
    p.cq_entries = cq_entries;
    const long fd = ::syscall(__NR_io_uring_setup, sq_entries, &p);
    if (fd < 0) return errno;
    fd_ = static_cast<int>(fd);  // O_CLOEXEC: io_uring_setup always sets it
    if ((p.features & feat_single_mmap) == 0 || (p.features & feat_nodrop) == 0) {
      close();
      return ENOSYS;  // older than 5.5: no futex operations either
    }
    map_len_ = p.sq_off.array_or_flags + p.sq_entries * sizeof(std::uint32_t);
    const std::size_t cq_len = p.cq_off.dropped_or_cqes + p.cq_entries * sizeof(cqe);
    if (cq_len > map_len_) map_len_ = cq_len;
    void* m = ::mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_,
                     static_cast<off_t>(off_sq_ring));
    if (m == MAP_FAILED) return fail(errno);
    map_ = static_cast<unsigned char*>(m);
    sqes_len_ = p.sq_entries * sizeof(sqe);
    m = ::mmap(nullptr, sqes_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_,
               static_cast<off_t>(off_sqes));
    if (m == MAP_FAILED) return fail(errno);
    sqes_ = static_cast<sqe*>(m);
    // A forked child must never see these queues (it would share the
    // parent's ring). Where the kernel refuses, the child unmaps them.
    dontfork_ = ::madvise(map_, map_len_, MADV_DONTFORK) == 0 &&
                ::madvise(sqes_, sqes_len_, MADV_DONTFORK) == 0;
    sq_head_ = u32(p.sq_off.head);
    sq_tail_ = u32(p.sq_off.tail);
    sq_mask_ = *u32(p.sq_off.ring_mask);
    sq_entries_ = p.sq_entries;
    sq_flags_ = u32(p.sq_off.flags_or_overflow);
    sq_array_ = u32(p.sq_off.array_or_flags);
    cq_head_ = u32(p.cq_off.head);
    cq_tail_ = u32(p.cq_off.tail);
    cq_mask_ = *u32(p.cq_off.ring_mask);
    cqes_ = reinterpret_cast<cqe*>(map_ + p.cq_off.dropped_or_cqes);
    sq_local_tail_ = *sq_tail_;
    flags_ = p.flags;
    return 0;
#else
    (void)sq_entries, (void)cq_entries, (void)flags;
    return ENOSYS;
#endif
  }

  /// Unmaps and closes everything (in-flight requests are the caller's
  /// business: it cancels and reaps them first).
  void close() noexcept {
#if defined(__linux__)
    if (sqes_ != nullptr) ::munmap(sqes_, sqes_len_);
    if (map_ != nullptr) ::munmap(map_, map_len_);
    if (fd_ >= 0) ::close(fd_);
#endif
    forget();
  }

  /// In a forked child: the parent's ring is not ours. Close our copies of
  /// its descriptors, unmap the queues if they were inherited after all,
  /// and never touch any of it again.
  void drop_in_child() noexcept {
    if (dontfork_) {
      map_ = nullptr;  // not inherited (MADV_DONTFORK): the addresses are not ours
      sqes_ = nullptr;
    }
    close();
  }

  bool is_open() const noexcept { return fd_ >= 0; }

  /// The ring's own descriptor, for the loop to watch: it polls readable
  /// while completions wait in the queue or in the kernel's overflow list
  /// (io_uring_poll), so reading them all ends its readiness; nothing to
  /// drain, and no eventfd for the kernel to signal on every completion.
  int fd() const noexcept { return fd_; }
  std::uint32_t setup_flags() const noexcept { return flags_; }

  /// True when SQEs were queued and not submitted yet.
  bool queued() const noexcept { return sq_local_tail_ != *sq_tail_; }

  /// Room for `n` more SQEs before enter() must run.
  bool has_room(unsigned n) const noexcept {
    return sq_local_tail_ - __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE) + n <= sq_entries_;
  }

  /// Queues one FUTEX_WAIT on the shared 32-bit word at `addr` while it
  /// holds `expected`. With `hand_on_ns` > 0 it is linked to a TIMEOUT of
  /// that long (an expiry does not break the link) and then to a FUTEX_WAKE
  /// of one waiter: if the wait was woken and nobody cancels the timeout in
  /// time, the kernel hands the wake on by itself. user_data: `tag` (its
  /// low 2 bits clear) plus the kind (uring_wait, uring_timeout,
  /// uring_wake). The caller checked has_room(3).
  void queue_futex_wait(std::uintptr_t addr, std::uint32_t expected, std::uint64_t tag,
                        long long hand_on_ns) noexcept {
    uring_abi::sqe* w = futex_sqe(uring_abi::op_futex_wait, addr, expected, tag | uring_wait);
    if (hand_on_ns <= 0) return;
    w->flags = uring_abi::sqe_io_link;
    queue_timeout(hand_on_ns, tag | uring_timeout, true);
    queue_futex_wake(addr, 1, tag | uring_wake);
  }

  /// Queues a FUTEX_WAKE of up to `n` waiters of the shared word at `addr`.
  void queue_futex_wake(std::uintptr_t addr, unsigned n, std::uint64_t user_data) noexcept {
    futex_sqe(uring_abi::op_futex_wake, addr, n, user_data);
  }

  /// Queues an ASYNC_CANCEL of the request whose user_data is `target`
  /// (its own completion: `tag` | uring_cancel). The caller checked
  /// has_room(1).
  void queue_cancel(std::uint64_t target, std::uint64_t tag) noexcept {
    uring_abi::sqe* c = next();
    c->opcode = uring_abi::op_async_cancel;
    c->fd = -1;
    c->addr = target;
    c->user_data = tag | uring_cancel;
  }

  /// Queues a NOP (for the probe).
  void queue_nop(std::uint64_t user_data, bool link) noexcept {
    uring_abi::sqe* n = next();
    n->opcode = uring_abi::op_nop;
    n->fd = -1;
    n->flags = link ? uring_abi::sqe_io_link : 0;
    n->user_data = user_data;
  }

  /// Queues a TIMEOUT of `ns` whose expiry does not break a link (`link`:
  /// linked to the next SQE). Its timespec is the ring's own: the kernel
  /// copies it when the SQE is submitted, and one enter() submits every
  /// queued SQE, so all the timeouts of one submission share one length.
  void queue_timeout(long long ns, std::uint64_t user_data, bool link) noexcept {
    timeout_.tv_sec = ns / 1000000000LL;
    timeout_.tv_nsec = ns % 1000000000LL;
    uring_abi::sqe* t = next();
    t->opcode = uring_abi::op_timeout;
    t->flags = link ? uring_abi::sqe_io_link : 0;
    t->fd = -1;
    t->addr = reinterpret_cast<std::uintptr_t>(&timeout_);
    t->len = 1;
    t->op_flags = uring_abi::timeout_etime_success;
    t->user_data = user_data;
  }

  /// Submits what was queued; with `wait_nr` > 0 also waits until that many
  /// completions are in the queue, at most `timeout_ns` (< 0: no limit);
  /// with `getevents` (or `wait_nr` > 0) also moves completions out of the
  /// kernel's overflow list. Returns 0 or an errno (ETIME: the wait timed
  /// out; EINTR: a signal).
  int enter(unsigned wait_nr, long long timeout_ns, bool getevents = false) noexcept {
#if NOB_PY_HAVE_URING
    using namespace uring_abi;
    const unsigned to_submit = sq_local_tail_ - __atomic_load_n(sq_tail_, __ATOMIC_RELAXED);
    __atomic_store_n(sq_tail_, sq_local_tail_, __ATOMIC_RELEASE);
    unsigned flags = wait_nr > 0 || getevents ? enter_getevents : 0;
    kernel_timespec ts{};
    getevents_arg arg{};
    const void* argp = nullptr;
    std::size_t argsz = 0;
    if (wait_nr > 0 && timeout_ns >= 0) {
      ts.tv_sec = timeout_ns / 1000000000LL;
      ts.tv_nsec = timeout_ns % 1000000000LL;
      arg.ts = reinterpret_cast<std::uintptr_t>(&ts);
      argp = &arg;
      argsz = sizeof arg;
      flags |= enter_ext_arg;
    }
    unsigned left = to_submit;
    for (;;) {
      const long r = ::syscall(__NR_io_uring_enter, fd_, left, wait_nr, flags, argp, argsz);
      if (r >= 0) {
        const unsigned done = static_cast<unsigned>(r) < left ? static_cast<unsigned>(r) : left;
        left -= done;
        if (left == 0) return 0;
        if (done == 0) return EAGAIN;  // the kernel took none: the caller reaps, then again
        continue;
      }
      if (errno == EINTR && left > 0) continue;  // nothing was submitted: again
      return errno;
    }
#else
    (void)wait_nr, (void)timeout_ns;
    return ENOSYS;
#endif
  }

  /// Takes the oldest completion, if any.
  bool pop(std::uint64_t& user_data, int& res) noexcept {
    const unsigned head = *cq_head_;  // only we move it
    if (head == __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE)) return false;
    const uring_abi::cqe& c = cqes_[head & cq_mask_];
    user_data = c.user_data;
    res = c.res;
    __atomic_store_n(cq_head_, head + 1, __ATOMIC_RELEASE);
    return true;
  }

  /// True when completions wait in the kernel's overflow list (the queue
  /// was full): enter(0 submitted, GETEVENTS) moves them in.
  bool overflowed() const noexcept {
    return (__atomic_load_n(sq_flags_, __ATOMIC_ACQUIRE) & uring_abi::sq_cq_overflow) != 0;
  }

 private:
  int fail(int err) noexcept {
    close();
    return err;
  }

  std::uint32_t* u32(std::uint32_t off) const noexcept {
    return reinterpret_cast<std::uint32_t*>(map_ + off);
  }

  /// A futex SQE (FUTEX_WAIT: `val` is the expected value; FUTEX_WAKE: how
  /// many to wake) on the shared 32-bit word at `addr`, any bit set.
  uring_abi::sqe* futex_sqe(std::uint8_t op, std::uintptr_t addr, std::uint64_t val,
                            std::uint64_t user_data) noexcept {
    uring_abi::sqe* s = next();
    s->opcode = op;
    s->fd = static_cast<std::int32_t>(uring_abi::futex2_size_u32);
    s->addr = addr;
    s->off_or_addr2 = val;
    s->addr3 = uring_abi::futex_match_any;
    s->user_data = user_data;
    return s;
  }

  uring_abi::sqe* next() noexcept {
    const unsigned i = sq_local_tail_ & sq_mask_;
    uring_abi::sqe* s = &sqes_[i];
    std::memset(s, 0, sizeof *s);
    sq_array_[i] = i;
    ++sq_local_tail_;
    return s;
  }

  void forget() noexcept {
    fd_ = -1;
    map_ = nullptr;
    sqes_ = nullptr;
  }

  int fd_ = -1;
  std::uint32_t flags_ = 0;
  bool dontfork_ = false;
  unsigned char* map_ = nullptr;
  std::size_t map_len_ = 0;
  uring_abi::sqe* sqes_ = nullptr;
  std::size_t sqes_len_ = 0;
  std::uint32_t* sq_head_ = nullptr;
  std::uint32_t* sq_tail_ = nullptr;
  std::uint32_t* sq_flags_ = nullptr;
  std::uint32_t* sq_array_ = nullptr;
  std::uint32_t sq_mask_ = 0;
  std::uint32_t sq_entries_ = 0;
  std::uint32_t sq_local_tail_ = 0;
  std::uint32_t* cq_head_ = nullptr;
  std::uint32_t* cq_tail_ = nullptr;
  std::uint32_t cq_mask_ = 0;
  uring_abi::cqe* cqes_ = nullptr;
  uring_abi::kernel_timespec timeout_{};
};

/// Whether this kernel runs what uring mode needs, tried for real once:
/// a ring whose descriptor polls readable with completions queued, FUTEX_WAIT refusing a word that moved (EAGAIN,
/// where an unknown opcode gives EINVAL), FUTEX_WAKE, ASYNC_CANCEL, and a
/// TIMEOUT whose expiry keeps its link (the hand-on chain). 0, or the errno
/// that rules uring mode out (ENOSYS, EPERM from io_uring_disabled or
/// seccomp, EINVAL from a kernel without futex operations, ...).
inline int async_uring_probe(std::uint32_t flags) noexcept {
#if NOB_PY_HAVE_URING
  async_ring r;
  int err = r.open(8, 16, flags);
  if (err != 0) return err;
  std::uint32_t word = 1;
  const auto addr = reinterpret_cast<std::uintptr_t>(&word);
  r.queue_futex_wait(addr, 0, 1u << 2, 0);  // word is 1, not 0: EAGAIN at once
  r.queue_futex_wait(addr, 1, 2u << 2, 0);  // sleeps until cancelled
  r.queue_cancel((2u << 2) | uring_wait, 3u << 2);
  r.queue_timeout(1, (4u << 2) | uring_timeout, true);  // expires: the link goes on
  r.queue_nop((5u << 2) | uring_wait, false);
  err = r.enter(5, 1000000000LL);
  int seen = 0;
  for (int round = 0; err == 0 && seen < 5 && round < 100; ++round) {
    std::uint64_t ud;
    int res;
    while (r.pop(ud, res)) {
      ++seen;
      const std::uint64_t s = ud >> 2;
      if (s == 1 && res != -EAGAIN) err = res < 0 ? -res : EPROTO;
      if (s == 2 && res != -ECANCELED) err = res < 0 ? -res : EPROTO;
      if (s == 3 && res < 0) err = -res;
      if (s == 4 && res != -ETIME) err = res < 0 ? -res : EPROTO;
      if (s == 5 && res != 0) err = res < 0 ? -res : EPROTO;
    }
    if (err == 0 && seen < 5) err = r.enter(1, 100000000LL);
  }
  if (err == 0 && seen < 5) err = ETIME;
  if (err == 0) {
    // The ring's descriptor polls readable while a completion is queued
    // (the loop watches it), and no longer once it was read.
    r.queue_nop(8u << 2, false);
    err = r.enter(1, 1000000000LL);
    pollfd p{r.fd(), POLLIN, 0};
    if (err == 0 && (::poll(&p, 1, 0) != 1 || (p.revents & POLLIN) == 0)) err = EPROTO;
    std::uint64_t ud;
    int res;
    while (err == 0 && r.pop(ud, res)) {
    }
    p.revents = 0;
    if (err == 0 && ::poll(&p, 1, 0) != 0) err = EPROTO;
  }
  if (err == 0) {
    // FUTEX_WAKE of nobody completes with 0.
    r.queue_nop(6u << 2, false);
    r.queue_futex_wake(addr, 1, 7u << 2);
    err = r.enter(2, 1000000000LL);
    std::uint64_t ud;
    int res;
    while (err == 0 && r.pop(ud, res)) {
      if ((ud >> 2) == 7 && res != 0) err = res < 0 ? -res : EPROTO;
    }
  }
  r.close();
  return err;
#else
  (void)flags;
  return ENOSYS;
#endif
}

}  // namespace nob_py

#endif  // NOB_PY_ASYNC_URING_HPP
