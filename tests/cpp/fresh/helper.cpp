// Exec'd by test_ownership.cpp: `nob_fresh_helper KIND NAME` opens the
// object of that kind by name and checks the creator's mark. Exit status 0
// when it linked and saw the mark.
#include "kinds.hpp"

#include <cstdio>

#include <cstring>

namespace {

template <class Kind>
int check(const char* name) {
  auto h = Kind::open(name);
  return h.linked_existing() && Kind::marked(h) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fresh_test;
  if (argc != 3) return 2;
  try {
    if (std::strcmp(argv[1], "semaphore") == 0) return check<semaphore_kind>(argv[2]);
    if (std::strcmp(argv[1], "shm") == 0) return check<shm_kind>(argv[2]);
    if (std::strcmp(argv[1], "mq") == 0) return check<mq_kind>(argv[2]);
    if (std::strcmp(argv[1], "robust") == 0) return check<robust_kind>(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nob_fresh_helper: %s\n", e.what());
    return 3;
  }
  return 2;
}
