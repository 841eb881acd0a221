// The per-run name prefix of nob's tests. tests/run_all.sh exports
// NOB_TEST_PREFIX (one value for the whole run) and afterwards checks only
// names that carry it for leftovers, so other programs' objects in /dev/shm
// never fail a run. Without it (a test binary run by hand) "nobt" is used.
#ifndef NOB_TESTS_RUN_PREFIX_HPP
#define NOB_TESTS_RUN_PREFIX_HPP

#include <cstdlib>
#include <string>

namespace nob_test {

/// NOB_TEST_PREFIX, or "nobt": the start of every name a test makes.
inline std::string run_prefix() {
  const char* p = std::getenv("NOB_TEST_PREFIX");
  return (p != nullptr && *p != '\0') ? std::string(p) : std::string("nobt");
}

}  // namespace nob_test

#endif  // NOB_TESTS_RUN_PREFIX_HPP
