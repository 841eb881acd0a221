// A small program the robust suite runs as a separate process (exec'd, in a
// PID namespace, or stopped at a crash point; built with
// NOB_ROBUST_TEST_HOOKS so NOB_CRASH_AT=<step> stops it there):
// It is built with NOB_ROBUST_MAX_USERS=4: files it creates have room for
// four processes (test_users.cpp fills them).
//   helper create NAME CAP      create NAME (persistent), print "made", exit
//   helper open NAME            open NAME, print "open" (or the error), sleep
//   helper hold NAME [N]        acquire N units, print "held <pid>", sleep
//   helper exec NAME            acquire one unit, print "held", exec sleep 30
//   helper remove NAME          robust_semaphore::remove(NAME), print "removed" or "absent"
//   helper crash SCENARIO NAME CAP
//       create   link_or_create NAME with CAP units
//       open     open NAME
//       acquire  open, acquire one unit
//       wait     open, acquire (waits: the test holds every unit)
//       release  open, acquire two units, release both (the claiming path)
//       release1 open, acquire one unit, release it (the one-CAS path)
//       close    link_or_create, acquire one unit, close
//       reclaim  open, try_acquire (a dead process holds a unit)
//       fork     open, acquire one unit, fork, print "child <pid>", sleep
//       hold     link_or_create NAME with CAP units, acquire one, print "held", sleep
//   exit status 0 when the scenario ran to its end (the step was not reached)
#include <nob/robust_semaphore.hpp>

#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <system_error>

namespace {

[[noreturn]] void sleep_forever() {
  for (;;) ::pause();
}

int crash(const std::string& scenario, const std::string& name, unsigned cap) {
  using nob::existence_policy;
  using nob::robust_semaphore;
  if (scenario == "create") {
    robust_semaphore s(name, existence_policy::link_or_create, cap);
  } else if (scenario == "open") {
    robust_semaphore s(name);
  } else if (scenario == "acquire" || scenario == "wait") {
    robust_semaphore s(name);
    s.acquire();
  } else if (scenario == "release") {
    robust_semaphore s(name);
    s.acquire();
    s.acquire();
    s.release(2);
  } else if (scenario == "release1") {
    robust_semaphore s(name);
    s.acquire();
    s.release();
  } else if (scenario == "close") {
    robust_semaphore s(name, existence_policy::link_or_create, cap);
    s.acquire();
    s.close();
  } else if (scenario == "fork") {  // hold one unit, fork, report the child, wait for it
    robust_semaphore s(name);
    s.acquire();
    const pid_t child = ::fork();
    if (child == 0) sleep_forever();
    std::printf("child %d\n", static_cast<int>(child));
    std::fflush(stdout);
    sleep_forever();
  } else if (scenario == "hold") {
    robust_semaphore s(name, existence_policy::link_or_create, cap);
    s.acquire();
    std::printf("held\n");
    std::fflush(stdout);
    sleep_forever();
  } else if (scenario == "reclaim") {
    robust_semaphore s(name);
    s.try_acquire();
  } else {
    return 64;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 64;
  const std::string cmd = argv[1];
  try {
    if (cmd == "create" && argc == 4) {
      nob::robust_semaphore s(argv[2], nob::existence_policy::raise_if_exists,
                              static_cast<unsigned>(std::atoi(argv[3])));
      s.persistent(true);
      std::printf("made\n");
      return 0;
    }
    if (cmd == "open") {
      try {
        nob::robust_semaphore s(argv[2]);
        std::printf("open\n");
        std::fflush(stdout);
        sleep_forever();
      } catch (const std::system_error& e) {
        std::printf("error %d\n", e.code().value());
        return 0;
      }
    }
    if (cmd == "hold") {
      nob::robust_semaphore s(argv[2]);
      const int n = argc > 3 ? std::atoi(argv[3]) : 1;
      for (int i = 0; i < n; ++i) s.acquire();
      std::printf("held %d\n", static_cast<int>(::getpid()));
      std::fflush(stdout);
      sleep_forever();
    }
    if (cmd == "exec") {
      nob::robust_semaphore s(argv[2]);
      s.acquire();
      std::printf("held\n");
      std::fflush(stdout);
      ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
      return 3;
    }
    if (cmd == "remove") {
      std::printf(nob::robust_semaphore::remove(argv[2]) ? "removed\n" : "absent\n");
      return 0;
    }
    if (cmd == "crash" && argc == 5) return crash(argv[2], argv[3], static_cast<unsigned>(std::atoi(argv[4])));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "helper: %s\n", e.what());
    return 2;
  }
  return 64;
}
