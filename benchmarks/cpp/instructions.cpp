// nob-cpp-instr CASE CONTENDER N: runs one case N times inside
// nob_bench_counted(), for `valgrind --tool=callgrind
// --toggle-collect=nob_bench_counted --collect-systime=yes`: instructions
// executed in user space and system calls made per operation, exact and
// unaffected by other load on the machine (benchmarks/run.sh does this).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "contenders.hpp"

namespace {

/// Keeps the compiler from dropping a handle it thinks unused.
template <class T>
void keep(T* p) {
  asm volatile("" : : "r"(p) : "memory");
}

template <class C>
struct cases {
  static void acquire_release(void* p, long n) {
    C& s = *static_cast<C*>(p);
    for (long i = 0; i < n; ++i) {
      s.acquire();
      s.release();
    }
  }
  static void try_acquire_release(void* p, long n) {
    C& s = *static_cast<C*>(p);
    for (long i = 0; i < n; ++i) {
      if (s.try_acquire()) keep(&s);
      s.release();
    }
  }
  static void try_acquire_for_1s(void* p, long n) {
    C& s = *static_cast<C*>(p);
    for (long i = 0; i < n; ++i) {
      if (s.try_acquire_for(std::chrono::seconds(1))) keep(&s);
      s.release();
    }
  }
  static void open_close(void* p, long n) {
    const std::string& name = *static_cast<std::string*>(p);
    for (long i = 0; i < n; ++i) {
      C s(name, false, 0);
      keep(&s);
    }
  }
  static void create_close_unlink(void* p, long n) {
    const std::string& name = *static_cast<std::string*>(p);
    for (long i = 0; i < n; ++i) {
      C s(name, true, 1);
      keep(&s);
    }
  }
};

template <class C>
int run(const char* what, long n);

}  // namespace

/// The only function callgrind counts (with everything it calls).
extern "C" __attribute__((noinline)) void nob_bench_counted(void (*fn)(void*, long), void* ctx,
                                                           long n) {
  fn(ctx, n);
  asm volatile("" ::: "memory");
}

namespace {

template <class C>
int run(const char* what, long n) {
  const std::string name = "/nob-bench-instr-" + std::to_string(::getpid());
  if (std::strcmp(what, "open_close") == 0 || std::strcmp(what, "create_close_unlink") == 0) {
    const bool open = what[0] == 'o';
    sem_t* made = SEM_FAILED;
    if (open) {  // the name exists, no handle on it is open here (see lifecycle.cpp)
      made = ::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 1);
      if (made == SEM_FAILED) return 1;
      ::sem_close(made);
    }
    std::string arg = name;
    nob_bench_counted(open ? cases<C>::open_close : cases<C>::create_close_unlink, &arg, n);
    if (open) ::sem_unlink(name.c_str());
    return 0;
  }
  C s(name, true, 1);
  void (*fn)(void*, long) = nullptr;
  if (std::strcmp(what, "acquire_release") == 0) fn = cases<C>::acquire_release;
  if (std::strcmp(what, "try_acquire_release") == 0) fn = cases<C>::try_acquire_release;
  if (std::strcmp(what, "try_acquire_for_1s") == 0) fn = cases<C>::try_acquire_for_1s;
  if (fn == nullptr) return 2;
  nob_bench_counted(fn, &s, n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s CASE raw|nob|boost N\n", argv[0]);
    return 2;
  }
  const long n = std::atol(argv[3]);
  const std::string who = argv[2];
  int rc = 2;
  if (who == "raw") rc = run<bench::raw_posix>(argv[1], n);
  if (who == "nob") rc = run<bench::nob_sem>(argv[1], n);
  if (who == "boost") rc = run<bench::boost_sem>(argv[1], n);
  if (rc != 0) std::fprintf(stderr, "%s: bad case or contender, or setup failed\n", argv[0]);
  return rc;
}
