// nob-cpp-ratios: the hot paths of nob against the raw calls they wrap, as
// ratios that a shared machine can measure.
//
//   nob-cpp-ratios [ROUNDS [OPS]]     (default 41 rounds of 20000 operations)
//   nob-cpp-ratios --count CASE raw|nob N
//       runs one loop of N operations inside nob_bench_counted(), for
//       valgrind --tool=callgrind --toggle-collect=nob_bench_counted
//       (exact instruction counts; CASE is the case's number, from 1)
//
// How (issue 20, "The hot paths"):
//  * thread CPU time (CLOCK_THREAD_CPUTIME_ID): what this thread spent, in
//    user space and in the kernel for it, not the wall clock, so time the
//    machine gave to other programs is not counted;
//  * every round runs every case, raw and nob, once each, in a new random
//    order, so a burst of load or a frequency change hits all alike;
//  * the ratio nob / raw is taken per round, and the median of those ratios
//    reported with its 25th and 75th percentiles.
// It prints figures and the targets; it never fails on them (not a test).
#include <nob/message_queue.hpp>
#include <nob/named_semaphore.hpp>
#include <nob/robust_semaphore.hpp>
#include <nob/shared_memory.hpp>

#include <fcntl.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

/// Keeps the compiler from dropping work it thinks unused.
template <class T>
void keep(T* p) {
  asm volatile("" : : "r"(p) : "memory");
}

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

double thread_cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

std::string name_of(const char* what) {
  return "/nob-ratios-" + std::to_string(::getpid()) + "-" + what;
}

// Each contender's loop is a function of its own (noinline): the loops are
// compiled alike, whatever the code around them.
#define NOB_BENCH_LOOP __attribute__((noinline))

// --- named_semaphore: acquire + release -------------------------------------
sem_t* raw_sem = nullptr;
nob::named_semaphore* nob_sem = nullptr;

NOB_BENCH_LOOP void raw_pair(long n) {
  for (long i = 0; i < n; ++i) {
    ::sem_wait(raw_sem);
    ::sem_post(raw_sem);
  }
}
NOB_BENCH_LOOP void nob_pair(long n) {
  for (long i = 0; i < n; ++i) {
    nob_sem->acquire();
    nob_sem->release();
  }
}

// --- try_acquire + release ---------------------------------------------------
NOB_BENCH_LOOP void raw_try(long n) {
  for (long i = 0; i < n; ++i) {
    if (::sem_trywait(raw_sem) == 0) keep(raw_sem);
    ::sem_post(raw_sem);
  }
}
NOB_BENCH_LOOP void nob_try(long n) {
  for (long i = 0; i < n; ++i) {
    if (nob_sem->try_acquire()) keep(nob_sem);
    nob_sem->release();
  }
}

// --- try_acquire_for(1 s) + release --------------------------------------------
// The raw code at its best: sem_trywait first, the clock and sem_clockwait
// only when no unit is free (as nob does; a deadline computed first costs a
// clock_gettime every time).
NOB_BENCH_LOOP void raw_timed(long n) {
  for (long i = 0; i < n; ++i) {
    if (::sem_trywait(raw_sem) != 0) {
      timespec ts{};
      ::clock_gettime(CLOCK_MONOTONIC, &ts);
      ts.tv_sec += 1;
      if (::sem_clockwait(raw_sem, CLOCK_MONOTONIC, &ts) != 0) continue;
    }
    keep(raw_sem);
    ::sem_post(raw_sem);
  }
}
NOB_BENCH_LOOP void nob_timed(long n) {
  for (long i = 0; i < n; ++i) {
    if (nob_sem->try_acquire_for(std::chrono::seconds(1))) keep(nob_sem);
    nob_sem->release();
  }
}

// --- robust_semaphore: try_acquire + release --------------------------------------
// Against the same raw loop as the semaphore's (raw_try: sem_trywait +
// sem_post); measured on its own in each round.
nob::robust_semaphore* nob_robust = nullptr;

NOB_BENCH_LOOP void robust_try(long n) {
  for (long i = 0; i < n; ++i) {
    if (nob_robust->try_acquire()) keep(nob_robust);
    nob_robust->release();
  }
}

// --- shared memory: create + map + close + unlink (4 KiB) -----------------------
std::string raw_shm_name, nob_shm_name;

NOB_BENCH_LOOP void raw_shm_create(long n) {
  for (long i = 0; i < n; ++i) {
    const int fd = ::shm_open(raw_shm_name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ::ftruncate(fd, 4096) != 0) die("shm_open");
    void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    keep(p);
    ::munmap(p, 4096);
    ::close(fd);
    ::shm_unlink(raw_shm_name.c_str());
  }
}
NOB_BENCH_LOOP void nob_shm_create(long n) {
  for (long i = 0; i < n; ++i) {
    nob::named_shared_memory m(nob_shm_name, nob::existence_policy::raise_if_exists, 4096);
    keep(m.data());
  }
}

// The same create written by hand with nob's guarantees, one more at a time
// (figures only: where nob's time goes, call by call, against raw):
//   1  no half-made object under the name: made nameless (O_TMPFILE), sized
//      and mapped, then linked in place (linkat; nob's link_nameless);
//   2  + exact mode whatever the umask, and the device and inode: fstat
//      (fchmod only where the umask took bits);
//   3  + close unlinks only the very object it made: lstat before unlink.
// nob's create must cost what step 3 costs: its own row against step 3 says
// what nob adds to the calls themselves.
std::string by_hand_shm_path;

template <int Guarantees>
NOB_BENCH_LOOP void by_hand_shm_create(long n) {
  const char* path = by_hand_shm_path.c_str();
  for (long i = 0; i < n; ++i) {
    const int fd = ::open("/dev/shm", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    struct stat made {}, named {};
    if (fd < 0) die("open O_TMPFILE");
    if (Guarantees >= 2 && (::fstat(fd, &made) != 0 ||
                            ((made.st_mode & 07777) != 0600 && ::fchmod(fd, 0600) != 0)))
      die("fstat");
    if (::ftruncate(fd, 4096) != 0) die("ftruncate");
    void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    if (nob::detail::link_nameless(fd, path) != 0) die("linkat");
    keep(p);
    if (Guarantees >= 3 && (::lstat(path, &named) != 0 || named.st_ino != made.st_ino ||
                            named.st_dev != made.st_dev))
      die("lstat");
    ::unlink(path);
    ::munmap(p, 4096);
    ::close(fd);
  }
}

// --- shared memory: open + map + close of an existing object -------------------
std::string raw_shm_existing, nob_shm_existing;

NOB_BENCH_LOOP void raw_shm_open(long n) {
  for (long i = 0; i < n; ++i) {
    const int fd = ::shm_open(raw_shm_existing.c_str(), O_RDWR, 0);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) die("shm_open existing");
    void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ | PROT_WRITE,
                     MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    keep(p);
    ::munmap(p, static_cast<std::size_t>(st.st_size));
    ::close(fd);
  }
}
NOB_BENCH_LOOP void nob_shm_open(long n) {
  for (long i = 0; i < n; ++i) {
    nob::named_shared_memory m(nob_shm_existing);
    keep(m.data());
  }
}

// --- message queue: send + receive of 32 bytes ----------------------------------
mqd_t raw_mq = static_cast<mqd_t>(-1);
nob::named_message_queue* nob_mq = nullptr;
char message[32] = "0123456789abcdef0123456789abcde";

NOB_BENCH_LOOP void raw_mq_pair(long n) {
  char buf[64];
  unsigned prio = 0;
  for (long i = 0; i < n; ++i) {
    if (::mq_send(raw_mq, message, sizeof message, 1) != 0) die("mq_send");
    if (::mq_receive(raw_mq, buf, sizeof buf, &prio) < 0) die("mq_receive");
    keep(buf);
  }
}
NOB_BENCH_LOOP void nob_mq_pair(long n) {
  char buf[64];
  for (long i = 0; i < n; ++i) {
    nob_mq->send(message, sizeof message, 1);
    const auto got = nob_mq->receive(buf, sizeof buf);
    keep(&got);
  }
}

}  // namespace

/// The only function callgrind counts (with everything it calls).
extern "C" __attribute__((noinline)) void nob_bench_counted(void (*fn)(long), long n) {
  fn(n);
  asm volatile("" ::: "memory");
}

namespace {

struct bench_case {
  const char* label;
  void (*raw)(long);
  void (*nob)(long);
  double target;   ///< the issue's bound on the median ratio; 0: figures only
  long ops_scale;  ///< divides OPS (the slow cases run fewer operations)
};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

int main(int argc, char** argv) {
  const bool count = argc == 5 && std::strcmp(argv[1], "--count") == 0;
  const int rounds = count ? 1 : argc > 1 ? std::atoi(argv[1]) : 41;
  const long ops = count ? 100 : argc > 2 ? std::atol(argv[2]) : 20000;
  if (rounds < 1 || ops < 100) {
    std::fprintf(stderr, "usage: %s [ROUNDS>=1 [OPS>=100]]\n", argv[0]);
    return 2;
  }

  const std::string raw_sem_name = name_of("raw-sem");
  raw_sem = ::sem_open(raw_sem_name.c_str(), O_CREAT | O_EXCL, 0600, 1);
  if (raw_sem == SEM_FAILED) die("sem_open");
  ::sem_unlink(raw_sem_name.c_str());  // the mapping keeps it: nothing left, whatever the exit
  nob::named_semaphore sem(name_of("nob-sem"), nob::existence_policy::raise_if_exists, 1);
  nob_sem = &sem;
  nob::robust_semaphore robust(name_of("robust"), nob::existence_policy::raise_if_exists, 1);
  nob_robust = &robust;
  raw_shm_name = name_of("raw-shm");
  nob_shm_name = name_of("nob-shm");
  raw_shm_existing = name_of("raw-shm-existing");
  nob_shm_existing = name_of("nob-shm-existing");
  by_hand_shm_path = "/dev/shm" + name_of("by-hand-shm");
  nob::named_shared_memory raw_keep(raw_shm_existing, nob::existence_policy::raise_if_exists, 4096);
  nob::named_shared_memory nob_keep(nob_shm_existing, nob::existence_policy::raise_if_exists, 4096);
  const std::string raw_mq_name = name_of("raw-mq");
  mq_attr attr{};
  attr.mq_maxmsg = 4;
  attr.mq_msgsize = 64;
  raw_mq = ::mq_open(raw_mq_name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
  if (raw_mq == static_cast<mqd_t>(-1)) die("mq_open");
  ::mq_unlink(raw_mq_name.c_str());  // the descriptor keeps it: nothing left if we are killed
  nob::named_message_queue mq(name_of("nob-mq"), nob::existence_policy::raise_if_exists, 4, 64);
  nob_mq = &mq;

  const std::vector<bench_case> cases = {
      {"semaphore acquire+release", raw_pair, nob_pair, 1.05, 1},
      {"semaphore try_acquire+release", raw_try, nob_try, 1.03, 1},
      {"semaphore try_acquire_for(1s)+release", raw_timed, nob_timed, 1.06, 1},
      {"robust try_acquire+release", raw_try, robust_try, 1.10, 1},
      {"shm create+map+close+unlink (4 KiB)", raw_shm_create, nob_shm_create, 1.30, 20},
      {"shm open+map+close (4 KiB)", raw_shm_open, nob_shm_open, 0, 20},
      {"mq send+receive (32 bytes)", raw_mq_pair, nob_mq_pair, 0, 10},
      // Where shm create's time goes (above): by hand against raw, nob against by hand.
      {"shm create by hand: nameless+linkat", raw_shm_create, by_hand_shm_create<1>, 0, 20},
      {"shm create by hand: + fstat", raw_shm_create, by_hand_shm_create<2>, 0, 20},
      {"shm create by hand: + lstat (= nob's)", raw_shm_create, by_hand_shm_create<3>, 0, 20},
      {"shm create: nob / by hand, same calls", by_hand_shm_create<3>, nob_shm_create, 0, 20},
  };
  if (count) {
    const std::size_t k = static_cast<std::size_t>(std::atoi(argv[2]));
    if (k < 1 || k > cases.size()) return 2;
    const bench_case& c = cases[k - 1];
    void (*fn)(long) = std::strcmp(argv[3], "raw") == 0 ? c.raw : c.nob;
    fn(10);  // warm up
    nob_bench_counted(fn, std::atol(argv[4]));
    return 0;
  }
  // One entry per case and contender: index 2k raw, 2k+1 nob.
  std::vector<std::vector<double>> ns(cases.size() * 2);
  std::vector<std::size_t> order(cases.size() * 2);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  for (const bench_case& c : cases) {  // warm up: code, page tables, caches
    c.raw(ops / c.ops_scale / 10 + 1);
    c.nob(ops / c.ops_scale / 10 + 1);
  }
  for (int r = 0; r < rounds; ++r) {
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t k : order) {
      const bench_case& c = cases[k / 2];
      const long n = ops / c.ops_scale;
      const double t0 = thread_cpu_ns();
      (k % 2 == 0 ? c.raw : c.nob)(n);
      ns[k].push_back((thread_cpu_ns() - t0) / static_cast<double>(n));
    }
  }

  std::printf("nob / raw, thread CPU time, %d rounds in random order (%ld ops per round; /N: fewer)\n",
              rounds, ops);
  std::printf("%-40s %10s %10s %8s %17s %8s\n", "case", "raw ns", "nob ns", "ratio", "p25..p75",
              "target");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    std::vector<double> ratios;
    for (int r = 0; r < rounds; ++r) ratios.push_back(ns[2 * i + 1][static_cast<std::size_t>(r)] /
                                                      ns[2 * i][static_cast<std::size_t>(r)]);
    const double med = percentile(ratios, 0.5);
    char target[32] = "-";
    if (cases[i].target > 0)
      std::snprintf(target, sizeof target, "%.2f %s", cases[i].target,
                    med <= cases[i].target ? "met" : "MISSED");
    std::printf("%-40s %10.1f %10.1f %8.3f %8.3f..%-8.3f %s\n", cases[i].label,
                percentile(ns[2 * i], 0.5), percentile(ns[2 * i + 1], 0.5), med,
                percentile(ratios, 0.25), percentile(ratios, 0.75), target);
  }

  ::sem_close(raw_sem);
  ::mq_close(raw_mq);
  return 0;
}
