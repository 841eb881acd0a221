// Post-to-wake latency of one futex wake across processes, seen by a waiter
// asleep in epoll_wait (the shape of an asyncio loop), for several ways of
// waiting on the futex with io_uring's IORING_OP_FUTEX_WAIT (Linux 6.7+),
// against the floor of a pipe written by the other process.
//
// Build and run (no liburing; raw system calls; Linux 6.7+ for the rings):
//   cc -O2 -Wall -Wextra -o /tmp/uring_wake_probe benchmarks/python/uring_wake_probe.c
//   PROBE_ONLY=evfd,evfd_coop,ringfd,ringfd_coop,sqpoll_ringfd /tmp/uring_wake_probe 40 100
//   PROBE_ONLY=defer_evfd,defer_ringfd /tmp/uring_wake_probe 2 25
// Arguments: rounds (30), wakes per variant per round (100). PROBE_ONLY
// picks variants (the pipe floor always runs); without it every variant
// runs, and the DEFER_TASKRUN ones take 15 to 100 ms per wake here.
//
// One process waits, another posts: the waiter arms its wait (a FUTEX_WAIT
// submission on a shared word, or nothing for the pipe), tells the poster
// (a futex word of its own), and sleeps in epoll_wait; the poster sleeps
// 150-400 us (so the waiter is asleep), reads CLOCK_MONOTONIC into shared
// memory and posts (word = 1 and FUTEX_WAKE of one waiter, as sem_post
// does, with no linked TIMEOUT and FUTEX_WAKE behind the wait as nob's
// NamedSemaphore has; or one byte into the pipe). The waiter's wake ends when it holds
// the completion (CQE popped, or the byte read): latency = that time - the
// poster's. Rounds visit the variants in a shuffled order; every variant is
// measured in the same run, so compare ratios to the same run's floor.
//
// Variants (the waiter's epoll set has one descriptor):
//   pipe          the floor: a pipe's read end
//   evfd          a ring (no setup flags) + IORING_REGISTER_EVENTFD, eventfd
//                 in epoll (nob's uring mode until it watched the ring's fd)
//   evfd_coop     the same with COOP_TASKRUN|TASKRUN_FLAG
//   ringfd        no eventfd: the ring's own fd in epoll (POLLIN when CQEs;
//                 nob's uring mode today)
//   ringfd_coop   the same with COOP_TASKRUN|TASKRUN_FLAG
//   defer_evfd    DEFER_TASKRUN|SINGLE_ISSUER + eventfd in epoll; on wake:
//                 drain the eventfd, io_uring_enter(GETEVENTS), pop
//   defer_ringfd  DEFER_TASKRUN|SINGLE_ISSUER, the ring's fd in epoll; on
//                 wake: io_uring_enter(GETEVENTS), pop
//   sqpoll_ringfd SQPOLL (a kernel thread of the process submits and runs
//                 the task work, spinning for 1 ms after each submission),
//                 the ring's fd in epoll
// A wait that epoll has not ended after 100 ms counts as a miss (then the
// waiter enters the ring with GETEVENTS to collect it); EINTR counts how
// often epoll_wait returned EINTR (it is re-entered, as Python does).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

// The parts of the io_uring ABI used here (the build host's header may
// predate the futex opcodes).
#define OP_FUTEX_WAIT 51
#define SETUP_SQPOLL (1u << 1)
#define SETUP_CQSIZE (1u << 3)
#define SETUP_COOP_TASKRUN (1u << 8)
#define SETUP_TASKRUN_FLAG (1u << 9)
#define SETUP_SINGLE_ISSUER (1u << 12)
#define SETUP_DEFER_TASKRUN (1u << 13)
#define ENTER_GETEVENTS 1u
#define ENTER_SQ_WAKEUP 2u
#define SQ_NEED_WAKEUP 1u
#define REGISTER_EVENTFD 4u
#define FUTEX2_SIZE_U32 0x02u

struct sqe {
  uint8_t opcode, flags;
  uint16_t ioprio;
  int32_t fd;
  uint64_t off, addr;
  uint32_t len, op_flags;
  uint64_t user_data;
  uint16_t buf_index, personality;
  int32_t file_index;
  uint64_t addr3, pad;
};
struct cqe {
  uint64_t user_data;
  int32_t res;
  uint32_t flags;
};
struct ring_off {
  uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
  uint64_t user_addr;
};
struct params {
  uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd, resv[3];
  struct ring_off sq_off, cq_off;
};

struct ring {
  int fd, efd;
  unsigned char* map;
  size_t map_len;
  struct sqe* sqes;
  int sqpoll;
  uint32_t *sq_head, *sq_flags;
  uint32_t *sq_tail, *sq_array, sq_mask, *cq_head, *cq_tail, cq_mask;
  struct cqe* cqes;
};

static int ring_open(struct ring* r, uint32_t flags, int with_eventfd) {
  struct params p;
  memset(&p, 0, sizeof p);
  p.flags = SETUP_CQSIZE | flags;
  p.cq_entries = 16;
  p.sq_thread_idle = 1;  // ms (SQPOLL only)
  r->fd = (int)syscall(__NR_io_uring_setup, 8, &p);
  if (r->fd < 0) return -errno;
  r->map_len = p.sq_off.array + p.sq_entries * 4u;
  size_t cq_len = p.cq_off.dropped + p.cq_entries * sizeof(struct cqe);
  if (cq_len > r->map_len) r->map_len = cq_len;
  r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, 0);
  r->sqes = mmap(NULL, p.sq_entries * sizeof(struct sqe), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_POPULATE, r->fd, 0x10000000);
  if (r->map == MAP_FAILED || r->sqes == MAP_FAILED) return -errno;
  r->sqpoll = (flags & SETUP_SQPOLL) != 0;
  r->sq_head = (uint32_t*)(r->map + p.sq_off.head);
  r->sq_flags = (uint32_t*)(r->map + p.sq_off.flags);
  r->sq_tail = (uint32_t*)(r->map + p.sq_off.tail);
  r->sq_array = (uint32_t*)(r->map + p.sq_off.array);
  r->sq_mask = *(uint32_t*)(r->map + p.sq_off.ring_mask);
  r->cq_head = (uint32_t*)(r->map + p.cq_off.head);
  r->cq_tail = (uint32_t*)(r->map + p.cq_off.tail);
  r->cq_mask = *(uint32_t*)(r->map + p.cq_off.ring_mask);
  r->cqes = (struct cqe*)(r->map + p.cq_off.dropped);  // cq_off.cqes: same slot
  r->efd = -1;
  if (with_eventfd) {
    r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (syscall(__NR_io_uring_register, r->fd, REGISTER_EVENTFD, &r->efd, 1) < 0) return -errno;
  }
  return 0;
}

static int ring_enter(struct ring* r, unsigned submit, unsigned flags) {
  for (;;) {
    long n = syscall(__NR_io_uring_enter, r->fd, submit, 0, flags, NULL, 0);
    if (n >= 0) return (int)n;
    if (errno != EINTR) return -errno;
  }
}

static void ring_futex_wait(struct ring* r, uint32_t* word, uint32_t expected) {
  uint32_t tail = *r->sq_tail, i = tail & r->sq_mask;
  struct sqe* s = &r->sqes[i];
  memset(s, 0, sizeof *s);
  s->opcode = OP_FUTEX_WAIT;
  s->fd = FUTEX2_SIZE_U32;  // futex2 flags: shared, 32-bit
  s->addr = (uintptr_t)word;
  s->off = expected;
  s->addr3 = 0xffffffffu;
  s->user_data = 42;
  r->sq_array[i] = i;
  __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
  if (r->sqpoll) {  // the kernel's SQ thread submits it; wait until it has
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(r->sq_flags, __ATOMIC_RELAXED) & SQ_NEED_WAKEUP)
      ring_enter(r, 0, ENTER_SQ_WAKEUP);
    while (__atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) != tail + 1) sched_yield();
    return;
  }
  int n = ring_enter(r, 1, 0);
  if (n != 1) {
    fprintf(stderr, "submit: %d\n", n);
    exit(1);
  }
}

static int ring_pop(struct ring* r, int* res) {
  uint32_t head = *r->cq_head;
  if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) return 0;
  *res = r->cqes[head & r->cq_mask].res;
  __atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
  return 1;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long futex(uint32_t* w, int op, uint32_t v) {
  return syscall(SYS_futex, w, op, v, NULL, NULL, 0);
}

enum {
  V_PIPE,
  V_EVFD,
  V_EVFD_COOP,
  V_RINGFD,
  V_RINGFD_COOP,
  V_DEFER_EVFD,
  V_DEFER_RINGFD,
  V_SQPOLL_RINGFD,
  NV
};
static const char* names[NV] = {"pipe",        "evfd",       "evfd_coop",    "ringfd",
                                "ringfd_coop", "defer_evfd", "defer_ringfd", "sqpoll_ringfd"};

struct shared {
  uint32_t go;    // the waiter bumps it when armed (the poster waits on it)
  uint32_t word;  // the futex word the waiter waits on
  uint32_t variant;
  uint32_t stop;
  uint64_t t0;  // the poster's clock just before the post
};

static int cmp_u64(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 30;
  int per = argc > 2 ? atoi(argv[2]) : 100;
  struct shared* sh =
      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {  // the poster
    uint32_t seen = 0;
    srand(12345);
    for (;;) {
      while (__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE) == seen) futex(&sh->go, FUTEX_WAIT, seen);
      seen = __atomic_load_n(&sh->go, __ATOMIC_ACQUIRE);
      if (sh->stop) _exit(0);
      struct timespec d = {0, 150000 + rand() % 250000};
      nanosleep(&d, NULL);
      sh->t0 = now_ns();
      if (sh->variant == V_PIPE) {
        if (write(pfd[1], "x", 1) != 1) _exit(2);
      } else {
        __atomic_store_n(&sh->word, 1, __ATOMIC_RELEASE);
        futex(&sh->word, FUTEX_WAKE, 1);  // shared (no FUTEX_PRIVATE_FLAG)
      }
    }
  }

  struct ring rings[NV];
  memset(rings, 0, sizeof rings);
  int ep[NV];
  static const uint32_t flags[NV] = {0,
                                     0,
                                     SETUP_COOP_TASKRUN | SETUP_TASKRUN_FLAG,
                                     0,
                                     SETUP_COOP_TASKRUN | SETUP_TASKRUN_FLAG,
                                     SETUP_DEFER_TASKRUN | SETUP_SINGLE_ISSUER,
                                     SETUP_DEFER_TASKRUN | SETUP_SINGLE_ISSUER,
                                     SETUP_SQPOLL};
  int usable[NV];
  const char* only = getenv("PROBE_ONLY");  // e.g. PROBE_ONLY=pipe,defer_evfd
  for (int v = 0; v < NV; ++v) {
    ep[v] = epoll_create1(EPOLL_CLOEXEC);
    int fd = pfd[0];
    usable[v] = 1;
    if (only != NULL && v != V_PIPE) {
      size_t len = strlen(names[v]);
      usable[v] = 0;
      for (const char* at = only; at != NULL; at = strchr(at, ',') ? strchr(at, ',') + 1 : NULL)
        if (strncmp(at, names[v], len) == 0 && (at[len] == 0 || at[len] == ',')) usable[v] = 1;
      if (!usable[v]) continue;
    }
    if (v != V_PIPE) {
      int with_efd = v == V_EVFD || v == V_EVFD_COOP || v == V_DEFER_EVFD;
      int err = ring_open(&rings[v], flags[v], with_efd);
      if (err != 0) {
        printf("%-13s refused: %s\n", names[v], strerror(-err));
        usable[v] = 0;
        continue;
      }
      fd = with_efd ? rings[v].efd : rings[v].fd;
    }
    struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)v};
    epoll_ctl(ep[v], EPOLL_CTL_ADD, fd, &e);
  }

  size_t cap = (size_t)rounds * per;
  uint64_t* lat[NV];
  long eintr[NV] = {0}, miss[NV] = {0}, empty[NV] = {0};
  size_t n[NV] = {0};
  for (int v = 0; v < NV; ++v) lat[v] = malloc(cap * sizeof(uint64_t));
  int order[NV];
  for (int v = 0; v < NV; ++v) order[v] = v;
  srand(777);
  uint32_t go = 0;
  for (int round = 0; round < rounds; ++round) {
    for (int i = NV - 1; i > 0; --i) {
      int j = rand() % (i + 1), t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (int k = 0; k < NV; ++k) {
      int v = order[k];
      if (!usable[v]) continue;
      struct ring* r = &rings[v];
      for (int w = 0; w < per; ++w) {
        sh->variant = (uint32_t)v;
        if (v != V_PIPE) {
          __atomic_store_n(&sh->word, 0, __ATOMIC_RELEASE);
          ring_futex_wait(r, &sh->word, 0);
        }
        __atomic_store_n(&sh->go, ++go, __ATOMIC_RELEASE);
        futex(&sh->go, FUTEX_WAKE, 1);
        int res = 0;
        for (;;) {
          struct epoll_event e;
          int m = epoll_wait(ep[v], &e, 1, 100);
          if (m < 0) {
            if (errno == EINTR) {
              ++eintr[v];
              continue;
            }
            perror("epoll_wait");
            return 1;
          }
          if (m == 0) {  // no wake in 100 ms: collect by hand
            ++miss[v];
            if (v == V_PIPE) continue;
            ring_enter(r, 0, ENTER_GETEVENTS);
            if (ring_pop(r, &res)) break;
            continue;
          }
          if (v == V_PIPE) {
            char c;
            if (read(pfd[0], &c, 1) == 1) break;
            continue;
          }
          if (r->efd >= 0) {
            uint64_t x;
            (void)!read(r->efd, &x, sizeof x);
          }
          if (v == V_DEFER_EVFD || v == V_DEFER_RINGFD) ring_enter(r, 0, ENTER_GETEVENTS);
          if (ring_pop(r, &res)) break;
          ++empty[v];  // a readiness with no completion yet
        }
        uint64_t t1 = now_ns();
        if (v != V_PIPE && res != 0) {
          fprintf(stderr, "%s: futex wait completed with %d\n", names[v], res);
          return 1;
        }
        lat[v][n[v]++] = t1 - sh->t0;
        if (v != V_PIPE && r->efd >= 0) {  // a late eventfd count (after the CQE)
          uint64_t x;
          (void)!read(r->efd, &x, sizeof x);
        }
      }
    }
  }
  sh->stop = 1;
  __atomic_store_n(&sh->go, ++go, __ATOMIC_RELEASE);
  futex(&sh->go, FUTEX_WAKE, 1);
  waitpid(child, NULL, 0);

  double floor_med = 0;
  printf("%-13s %7s %9s %9s %9s %7s %6s %6s %6s\n", "variant", "wakes", "median_us", "p90_us",
         "p99_us", "ratio", "EINTR", "empty", "miss");
  for (int v = 0; v < NV; ++v) {
    if (!usable[v] || n[v] == 0) continue;
    qsort(lat[v], n[v], sizeof(uint64_t), cmp_u64);
    double med = lat[v][n[v] / 2] / 1000.0, p90 = lat[v][n[v] * 9 / 10] / 1000.0,
           p99 = lat[v][n[v] * 99 / 100] / 1000.0;
    if (v == V_PIPE) floor_med = med;
    printf("%-13s %7zu %9.1f %9.1f %9.1f %7.2f %6ld %6ld %6ld\n", names[v], n[v], med, p90, p99,
           med / floor_med, eintr[v], empty[v], miss[v]);
  }
  return 0;
}
