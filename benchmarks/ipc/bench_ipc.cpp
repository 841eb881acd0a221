// nob vs raw C for shared memory and message queues, in one run.
//
//   g++ -O2 -std=c++17 -I include benchmarks/ipc/bench_ipc.cpp -o /tmp/bench_ipc
//   /tmp/bench_ipc [rounds]
//
// Each case runs both contenders in many short alternating rounds (raw,
// nob, raw, nob, ...), so that load on the machine hits both alike, and
// prints the median ns per operation of each and the median of the
// per-round ratios nob / raw (target: at most 1.05 for the mq round trip
// and for shm open+map+close). Not part of the test suite: it prints
// figures and never fails on them.
#include <nob/message_queue.hpp>
#include <nob/shared_memory.hpp>

#include <fcntl.h>
#include <mqueue.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

/// Keeps the compiler from dropping work it thinks unused.
template <class T>
void keep(T* p) {
  asm volatile("" : : "r"(p) : "memory");
}

void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

/// ns per operation of `n` calls of `op`.
template <class Op>
double ns_per_op(Op& op, long n) {
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) op();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(n);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Runs raw and nob in alternating rounds and prints one line.
template <class Raw, class Nob>
void compare(const char* label, Raw raw, Nob nob, long n, int rounds, const char* target) {
  for (int i = 0; i < 3; ++i) {  // warm up both
    ns_per_op(raw, n / 10 + 1);
    ns_per_op(nob, n / 10 + 1);
  }
  std::vector<double> r, b;
  for (int i = 0; i < rounds; ++i) {
    r.push_back(ns_per_op(raw, n));
    b.push_back(ns_per_op(nob, n));
  }
  // Per-round ratios (each nob round against the raw round just before it)
  // cancel slow drifts in the machine's load; their median is the figure.
  std::vector<double> ratio;
  for (std::size_t i = 0; i < r.size(); ++i) ratio.push_back(b[i] / r[i]);
  std::printf("%-31s raw %7.1f ns  nob %7.1f ns  nob/raw %5.3f%s\n", label, median(r), median(b),
              median(ratio), target);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 101;
  const std::string base = "/nob-bench-ipc-" + std::to_string(::getpid());
  std::printf("nob vs raw C, medians of %d alternating rounds\n", rounds);

  // --- message queue: send + receive of 32 bytes, one thread -------------
  {
    const std::string name = base + "-mq";
    nob::named_message_queue q(name, nob::existence_policy::raise_if_exists, 8, 64);
    const mqd_t raw_q = ::mq_open(name.c_str(), O_RDWR);
    if (raw_q == static_cast<mqd_t>(-1)) die("mq_open");
    char msg[32] = "thirty-two bytes of payload....";
    char buf[64];
    unsigned prio = 0;
    auto raw = [&] {
      if (::mq_send(raw_q, msg, sizeof msg, 1) != 0) die("mq_send");
      if (::mq_receive(raw_q, buf, sizeof buf, &prio) < 0) die("mq_receive");
      keep(buf);
    };
    auto nob = [&] {
      q.send(msg, sizeof msg, 1);
      const auto r = q.receive(buf, sizeof buf);
      keep(&r);
    };
    compare("mq send+receive", raw, nob, 4000, rounds, "   (target <= 1.05)");

    auto raw_timed = [&] {
      timespec ts{};
      ::clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_sec += 1;
      if (::mq_timedsend(raw_q, msg, sizeof msg, 1, &ts) != 0) die("mq_timedsend");
      if (::mq_timedreceive(raw_q, buf, sizeof buf, &prio, &ts) < 0) die("mq_timedreceive");
      keep(buf);
    };
    auto nob_timed = [&] {
      using namespace std::chrono_literals;
      if (!q.try_send_for(msg, sizeof msg, 1s, 1)) die("try_send_for");
      const auto r = q.try_receive_for(buf, sizeof buf, 1s);
      keep(&r);
    };
    compare("mq timed send+receive (1 s)", raw_timed, nob_timed, 4000, rounds,
            "   (steady clock vs wall clock)");

    auto nob_string = [&] {
      q.send(std::string_view(msg, sizeof msg), 1);
      const auto m = q.receive();  // allocates a string
      keep(&m);
    };
    compare("mq send+receive(), std::string", raw, nob_string, 4000, rounds, "");
    ::mq_close(raw_q);
  }

  // --- shared memory: open an existing 4 KiB object, map, unmap, close ----
  // Once with a long name (nob's normalised name and path go to the heap)
  // and once with a name of at most 15 bytes (std::string keeps it inline).
  const std::string short_name = "/nbi" + std::to_string(::getpid() % 100000);
  for (const std::string& name : {base + "-shm", short_name}) {
    nob::named_shared_memory keeper(name, nob::existence_policy::raise_if_exists, 4096);
    auto raw = [&] {
      const int fd = ::shm_open(name.c_str(), O_RDWR, 0);
      if (fd < 0) die("shm_open");
      struct stat st {};
      if (::fstat(fd, &st) != 0) die("fstat");
      void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ | PROT_WRITE,
                       MAP_SHARED, fd, 0);
      if (p == MAP_FAILED) die("mmap");
      keep(p);
      ::munmap(p, static_cast<std::size_t>(st.st_size));
      ::close(fd);
    };
    auto nob = [&] {
      nob::named_shared_memory m(name);
      keep(m.data());
    };
    const std::string label = "shm open+map+close, " + std::to_string(name.size()) + " B name";
    compare(label.c_str(), raw, nob, 1000, rounds, "   (target <= 1.05)");
    if (name == short_name) break;

    // Create + map + close + unlink: nob does more on purpose (a nameless
    // file linked into place, exact mode, the inode check before unlink).
    const std::string fresh = base + "-shm-fresh";
    auto raw_create = [&] {
      const int fd = ::shm_open(fresh.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
      if (fd < 0) die("shm_open create");
      if (::ftruncate(fd, 4096) != 0) die("ftruncate");
      void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (p == MAP_FAILED) die("mmap");
      keep(p);
      ::munmap(p, 4096);
      ::close(fd);
      ::shm_unlink(fresh.c_str());
    };
    auto nob_create = [&] {
      nob::named_shared_memory m(fresh, nob::existence_policy::raise_if_exists, 4096);
      keep(m.data());
    };
    compare("shm create+map+close+unlink", raw_create, nob_create, 500, rounds,
            "   (information)");
  }
  return 0;
}
