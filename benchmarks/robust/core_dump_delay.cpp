// How long a holder that dumps core keeps its units: a holder process that
// has touched MB megabytes holds the only unit of a robust semaphore and is
// sent SIGABRT; the parent, blocked in acquire(), measures the time from the
// signal to getting the unit, with core dumps off (RLIMIT_CORE 0) and on
// (unlimited), interleaved. The kernel writes the core before the process
// releases its files, so the lock that makes it a live holder lasts as long
// as the dump. Core files go to a fresh directory under /tmp (the holder's
// working directory; with a core_pattern of "core") and are removed.
// Usage: core_dump_delay [MB=400] [rounds=5]. Not part of CI.
#include <nob/robust_semaphore.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using clk = std::chrono::steady_clock;

/// Removes every file in `dir` (the core files).
void empty_dir(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
        ::unlink((dir + "/" + e->d_name).c_str());
    ::closedir(d);
  }
}

/// One round: ms from SIGABRT of the holder to the unit in this process.
double one_round(nob::robust_semaphore& sem, const std::string& dir, std::size_t mb, bool dump) {
  int ready[2];
  if (::pipe(ready) != 0) std::exit(1);
  const pid_t holder = ::fork();
  if (holder == 0) {
    rlimit rl{};
    rl.rlim_cur = rl.rlim_max = dump ? RLIM_INFINITY : 0;
    if (::setrlimit(RLIMIT_CORE, &rl) != 0 || ::chdir(dir.c_str()) != 0) ::_exit(2);
    std::vector<char> memory(mb << 20);
    for (std::size_t i = 0; i < memory.size(); i += 4096) memory[i] = static_cast<char>(i >> 12 | 1);
    sem.acquire();
    if (::write(ready[1], "h", 1) != 1) ::_exit(3);
    for (;;) ::pause();
  }
  char c;
  if (::read(ready[0], &c, 1) != 1) std::exit(1);
  ::close(ready[0]);
  ::close(ready[1]);
  const auto t0 = clk::now();
  ::kill(holder, SIGABRT);
  sem.acquire();
  const double ms = std::chrono::duration<double, std::milli>(clk::now() - t0).count();
  sem.release();
  int status = 0;
  ::waitpid(holder, &status, 0);
  if (dump && !WCOREDUMP(status)) std::printf("(no core was written: check core_pattern and the disk)\n");
  empty_dir(dir);
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t mb = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 400;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  char tmpl[] = "/tmp/nob-core-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  nob::robust_semaphore sem("/nob-bench-core-dump-" + std::to_string(::getpid()),
                            nob::existence_policy::raise_if_exists, 1);
  std::vector<double> off, on;
  for (int r = 0; r < rounds; ++r) {
    off.push_back(one_round(sem, dir, mb, false));
    on.push_back(one_round(sem, dir, mb, true));
  }
  ::rmdir(dir.c_str());
  for (auto* v : {&off, &on}) std::sort(v->begin(), v->end());
  std::printf("holder of %zu MB killed by SIGABRT, signal -> unit in a blocked acquire(), %d rounds:\n",
              mb, rounds);
  std::printf("  core dumps off: median %.0f ms (min %.0f, max %.0f)\n", off[off.size() / 2], off.front(),
              off.back());
  std::printf("  core dumps on:  median %.0f ms (min %.0f, max %.0f)\n", on[on.size() / 2], on.front(),
              on.back());
  return 0;
}
