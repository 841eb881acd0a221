// Shared memory between processes: a forked child and an unrelated opener
// share the contents; a creator SIGKILLed at random points never leaves a
// half-sized object or a temporary file behind, and one that replaces a
// re-created name leaves at most complete objects under temporary names.
#include "ipc_support.hpp"

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

/// Names in /dev/shm that start with `prefix`.
std::vector<std::string> shm_entries(const std::string& prefix) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir("/dev/shm")) {
    while (dirent* e = ::readdir(d)) {
      if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0) out.push_back(e->d_name);
    }
    ::closedir(d);
  }
  return out;
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

TEST_F(ShmProcesses, ACreatorKilledAtRandomPointsLeavesNothingHalfMade) {
  // A child creates and closes 16 MiB objects in a loop and is SIGKILLed at
  // a random moment. Afterwards the name is absent or a full-sized object,
  // never a smaller one, and no temporary file is left in /dev/shm.
  if (!nob::uses_dev_shm) GTEST_SKIP() << "shm_open path: the object is sized after it is named";
  constexpr std::size_t size = 16u << 20;
  const std::string name = unique_name();
  const auto temporaries_before = shm_entries("nob-shm-").size();
  unsigned rng = 12345;
  int seen_full = 0, seen_absent = 0;
  for (int round = 0; round < 30; ++round) {
    EXPECT_EQ(kill_a_creator(name, size, rng), 101);
    struct stat st {};
    if (::stat(("/dev/shm/" + name).c_str(), &st) == 0) {
      ASSERT_EQ(static_cast<std::size_t>(st.st_size), size) << "a half-made object, round "
                                                            << round;
      ++seen_full;
      named_shared_memory::remove(name);
    } else {
      ++seen_absent;
    }
  }
  EXPECT_EQ(shm_entries("nob-shm-").size(), temporaries_before);
  RecordProperty("full", seen_full);
  RecordProperty("absent", seen_absent);
}

TEST_F(ShmProcesses, AReplacerKilledAtRandomPointsLeavesOnlyCompleteObjects) {
  // As above, with a second child that re-creates the name as fast as it
  // can, so that unlink_and_create often replaces it in one step (linked
  // under a temporary name, then renamed over the name). A kill between the
  // two calls may leave the new object under its temporary name: complete,
  // never half sized. The name itself is always absent or complete.
  if (!nob::uses_dev_shm) GTEST_SKIP() << "shm_open path: the object is sized after it is named";
  constexpr std::size_t size = (16u << 20) + 4096 * 7;  // ours: no one else makes this size
  const std::string name = unique_name();
  const std::string source = unique_name("src");
  named_shared_memory(source, existence_policy::raise_if_exists, size).unlink_on_destroy(false);
  const std::string from = "/dev/shm/" + source, to = "/dev/shm/" + name;
  unsigned rng = 54321;
  int leftovers = 0;
  for (int round = 0; round < 30; ++round) {
    const std::vector<std::string> before = shm_entries("nob-shm-");
    nob_test::recreator racer([&] { return ::link(from.c_str(), to.c_str()) == 0; });
    ASSERT_TRUE(racer.started());
    EXPECT_EQ(kill_a_creator(name, size, rng), 101);
    EXPECT_EQ(racer.stop(), 0);
    struct stat st {};
    if (::stat(to.c_str(), &st) == 0) {
      ASSERT_EQ(static_cast<std::size_t>(st.st_size), size) << "a half-made object, round " << round;
    }
    for (const std::string& tmp : shm_entries("nob-shm-")) {
      if (std::find(before.begin(), before.end(), tmp) != before.end()) continue;
      const std::string path = "/dev/shm/" + tmp;
      if (::stat(path.c_str(), &st) != 0) continue;  // someone else's, gone again
      EXPECT_EQ(static_cast<std::size_t>(st.st_size), size) << "a half-made temporary " << tmp;
      ::unlink(path.c_str());
      ++leftovers;
    }
  }
  RecordProperty("leftovers", leftovers);
}

}  // namespace
