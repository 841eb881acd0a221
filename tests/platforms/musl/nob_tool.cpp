// The same commands as sem_tool.c, through nob (built with the host's
// glibc toolchain by tests/platforms/musl/interop.sh):
//   nob_tool create NAME VALUE | open NAME | post NAME | trywait NAME |
//            value NAME | exists NAME | remove NAME
// Prints "ok" (value: the value; exists: yes/no) or "errno=<symbol>".
#include <nob/named_semaphore.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

namespace {

int fail(int err) {
  const char* e = err == ENOENT   ? "ENOENT"
                  : err == EEXIST ? "EEXIST"
                  : err == EAGAIN ? "EAGAIN"
                  : err == EINVAL ? "EINVAL"
                                  : "other";
  std::printf("errno=%s\n", e);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: nob_tool create|open|post|trywait|value|exists|remove NAME [VALUE]\n");
    return 2;
  }
  const std::string cmd = argv[1];
  const char* name = argv[2];
  using nob::existence_policy;
  try {
    if (cmd == "exists") {
      std::puts(nob::named_semaphore::exists(name) ? "yes" : "no");
      return 0;
    }
    if (cmd == "remove") {
      std::puts(nob::named_semaphore::remove(name) ? "ok" : "errno=ENOENT");
      return 0;
    }
    const bool create = cmd == "create";
    nob::named_semaphore s(name, create ? existence_policy::raise_if_exists
                                        : existence_policy::raise_if_not_exists,
                           create && argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 0);
    s.unlink_on_destroy(false);  // the name outlives this command
    if (cmd == "post") s.release();
    if (cmd == "trywait" && !s.try_acquire()) return fail(EAGAIN);
    if (cmd == "value") {
      std::printf("%d\n", s.value());
      return 0;
    }
    std::puts("ok");
    return 0;
  } catch (const std::system_error& e) {
    return fail(e.code().value());
  }
}
