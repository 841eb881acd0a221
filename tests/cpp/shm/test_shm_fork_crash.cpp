// Shared memory between processes: a forked child and an unrelated opener
// share the contents; a creator SIGKILLed at random points never leaves a
// half-sized object or a temporary file behind, and one that replaces a
// re-created name leaves at most complete objects under temporary names
// (counted exactly, in a /dev/shm of their own).
#include "../common/ipc_support.hpp"

#include "../common/private_dev_shm.hpp"
#include "../common/recreator.hpp"

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_shared_memory;
using nob_test::IpcTest;

class ShmProcesses : public IpcTest {};

TEST_F(ShmProcesses, AForkedChildWritesWhatTheParentReads) {
  named_shared_memory m(unique_name(), existence_policy::raise_if_exists, 1 << 16);
  auto* words = static_cast<std::atomic<int>*>(m.data());
  const int rc = nob_test::run_in_child([&] {
    for (int i = 0; i < 1000; ++i) words[i].store(i * 3);
    return 0;
  });
  ASSERT_EQ(rc, 0);
  int bad = 0;
  for (int i = 0; i < 1000; ++i) bad += words[i].load() != i * 3;
  EXPECT_EQ(bad, 0);
}

TEST_F(ShmProcesses, AnotherOpenerSeesWritesBothWays) {
  named_shared_memory m(unique_name(), existence_policy::raise_if_exists, 4096);
  auto* flag = static_cast<std::atomic<int>*>(m.data());
  const pid_t kid = nob_test::start_child([&] {
    // A fresh handle of its own, as an unrelated process would open it.
    named_shared_memory mine(m.name());
    auto* f = static_cast<std::atomic<int>*>(mine.data());
    f[1].store(42);
    f[0].store(1);
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (f[0].load() != 2) {
      if (std::chrono::steady_clock::now() > until) return 1;
      std::this_thread::sleep_for(1ms);
    }
    return f[2].load() == 7 ? 0 : 2;
  });
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (flag[0].load() != 1 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(flag[1].load(), 42);
  flag[2].store(7);
  flag[0].store(2);
  EXPECT_EQ(nob_test::wait_child(kid), 0);
}

/// Starts a child that creates `size`-byte objects under `name` in a loop
/// (unlink_and_create, closing each), SIGKILLs it after a pause drawn from
/// `rng` (a small LCG: the same pauses every run) and returns its status.
int kill_a_creator(const std::string& name, std::size_t size, unsigned& rng) {
  const pid_t kid = nob_test::start_child([&] {
    for (;;) named_shared_memory m(name, existence_policy::unlink_and_create, size);
    return 0;
  });
  rng = rng * 1103515245u + 12345u;
  std::this_thread::sleep_for(std::chrono::microseconds(200 + rng / 65536u % 3000));
  ::kill(kid, SIGKILL);
  return nob_test::wait_child(kid);
}

/// 0 when /dev/shm/`name` is absent or holds exactly `size` bytes (`full`
/// says which); else prints why and returns `code`.
int absent_or_full(const std::string& name, std::size_t size, bool& full, int code) {
  struct stat st {};
  full = ::stat(("/dev/shm/" + name).c_str(), &st) == 0;
  if (!full || static_cast<std::size_t>(st.st_size) == size) return 0;
  std::fprintf(stderr, "%s: %lld bytes, not %zu: a half-made object\n", name.c_str(),
               static_cast<long long>(st.st_size), size);
  return code;
}

// Both run in a /dev/shm of their own (tests/cpp/common/private_dev_shm.hpp),
// where every file is theirs: what they count there is exact, whatever
// other programs do in the machine's /dev/shm meanwhile.

TEST_F(ShmProcesses, ACreatorKilledAtRandomPointsLeavesNothingHalfMade) {
  // A child creates and closes 16 MiB objects in a loop and is SIGKILLed at
  // a random moment. Afterwards the name is absent or a full-sized object,
  // never a smaller one, and nothing else is left in /dev/shm (no
  // temporary file).
  if (!nob::uses_dev_shm) GTEST_SKIP() << "shm_open path: the object is sized after it is named";
  const int rc = nob_test::in_private_dev_shm([] {
    constexpr std::size_t size = 16u << 20;
    unsigned rng = 12345;
    int full = 0;
    for (int round = 0; round < 30; ++round) {
      if (kill_a_creator("made", size, rng) != 101) return 2;
      bool is_full = false;
      if (const int bad = absent_or_full("made", size, is_full, 3)) return bad;
      full += is_full;
      named_shared_memory::remove("made");
      const std::vector<std::string> left = nob_test::dev_shm_entries();
      if (!left.empty()) {
        std::fprintf(stderr, "round %d left %s in /dev/shm\n", round, left[0].c_str());
        return 4;
      }
    }
    std::printf("[figures] 30 kills: the object was there, whole, %d times\n", full);
    return 0;
  });
  if (rc == nob_test::no_private_dev_shm) GTEST_SKIP() << "needs root for a private /dev/shm";
  EXPECT_EQ(rc, 0);
}

TEST_F(ShmProcesses, AReplacerKilledAtRandomPointsLeavesOnlyCompleteObjects) {
  // As above, with a second child that re-creates the name as fast as it
  // can, so that unlink_and_create often replaces it in one step (linked
  // under a temporary name, then renamed over the name). A kill between the
  // two calls may leave the new object under its temporary name
  // (nob-shm-XXXXXX): complete, never half sized, and nothing else is left.
  // The name itself is always absent or complete.
  if (!nob::uses_dev_shm) GTEST_SKIP() << "shm_open path: the object is sized after it is named";
  const int rc = nob_test::in_private_dev_shm([] {
    constexpr std::size_t size = 16u << 20;
    named_shared_memory("source", existence_policy::raise_if_exists, size).unlink_on_destroy(false);
    unsigned rng = 54321;
    int leftovers = 0;
    for (int round = 0; round < 30; ++round) {
      nob_test::recreator racer([] { return ::link("/dev/shm/source", "/dev/shm/made") == 0; });
      if (!racer.started()) return 2;
      if (kill_a_creator("made", size, rng) != 101) return 3;
      if (racer.stop() != 0) return 4;
      bool full = false;
      if (const int bad = absent_or_full("made", size, full, 5)) return bad;
      for (const std::string& f : nob_test::dev_shm_entries()) {
        if (f == "source" || f == "made") continue;
        if (f.size() != std::string("nob-shm-XXXXXX").size() || f.rfind("nob-shm-", 0) != 0) {
          std::fprintf(stderr, "round %d left %s in /dev/shm\n", round, f.c_str());
          return 6;
        }
        if (const int bad = absent_or_full(f, size, full, 7)) return bad;
        named_shared_memory::remove(f);
        ++leftovers;
      }
    }
    std::printf("[figures] 30 kills of a replacer: %d complete objects left under a temporary name\n",
                leftovers);
    return 0;
  });
  if (rc == nob_test::no_private_dev_shm) GTEST_SKIP() << "needs root for a private /dev/shm";
  EXPECT_EQ(rc, 0);
}

}  // namespace
