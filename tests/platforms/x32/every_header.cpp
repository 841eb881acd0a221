// Built for x32 by tests/platforms/x32/compile.sh: every public header in
// one program, which makes and uses one semaphore (run only where the
// kernel executes x32 programs).
#include <nob/common.hpp>
#include <nob/named_semaphore.hpp>
#if __has_include(<nob/robust_semaphore.hpp>)
#include <nob/robust_semaphore.hpp>
#endif
#if __has_include(<nob/shared_memory.hpp>)
#include <nob/shared_memory.hpp>
#endif
#if __has_include(<nob/message_queue.hpp>)
#include <nob/message_queue.hpp>
#endif

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  nob::named_semaphore s(argv[1], nob::existence_policy::raise_if_exists, 1);
  return s.try_acquire() && !s.try_acquire() ? 0 : 1;
}
