// nob-cpp-bench: nob against raw POSIX calls and Boost.Interprocess.
// Pass Google Benchmark flags as usual; benchmarks/run.sh picks them.
#include "support.hpp"

namespace bench {
void register_uncontended();
void register_processes();
void register_lifecycle();
void register_timeout();
}  // namespace bench

int main(int argc, char** argv) {
  bench::register_uncontended();
  bench::register_processes();
  bench::register_lifecycle();
  bench::register_timeout();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
