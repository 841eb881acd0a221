// Running out of file descriptors or mappings: a clear std::system_error,
// nothing leaked, and new handles work once resources are back.
#include <fcntl.h>
#include <sys/resource.h>

#include "../common/stress_util.hpp"

#include "../common/private_dev_shm.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;

/// Temporary files nob makes while creating ("sem.nob-XXXXXX"), in this
/// process's /dev/shm.
std::set<std::string> temp_files() {
  std::set<std::string> out;
  for (const auto& f : stress::shm_files("sem.nob-"))
    if (f.size() == std::string("sem.nob-XXXXXX").size()) out.insert(f);
  return out;
}

TEST(ResourceExhaustion, HandlesHoldNoDescriptorAndEmfileIsAClearError) {
  if (stress::sanitized)  // their runtimes need descriptors (/proc/self/maps) to check anything
    GTEST_SKIP() << "sanitizers cannot run with every file descriptor used up";
  const std::string prefix = stress::unique_name();
  stress::shm_guard guard(prefix);
  named_semaphore sem(prefix, existence_policy::raise_if_exists, 1);
  const pid_t kid = stress::spawn([&] {
    const int fds_before = stress::open_fds();
    const int maps_before = stress::sem_mappings();
    rlimit lim{64, 64};
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return 2;
    // Far more handles than descriptors: nob keeps only the mapping.
    std::vector<named_semaphore> many;
    for (int i = 0; i < 2000; ++i) many.emplace_back(prefix);
    if (stress::sem_mappings() != maps_before + 2000) return 3;
    // Now use up every descriptor: opening and creating fail cleanly.
    std::vector<int> hogs;
    for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) hogs.push_back(fd);
    int clear_errors = 0;
    for (auto policy : {existence_policy::raise_if_not_exists, existence_policy::link_or_create,
                        existence_policy::raise_if_exists}) {
      try {
        named_semaphore s(policy == existence_policy::raise_if_exists ? prefix + "-new" : prefix,
                          policy);
        return 4;
      } catch (const std::system_error& e) {
        if (e.code() == std::errc::too_many_files_open &&
            std::string(e.what()).find(prefix) != std::string::npos)
          ++clear_errors;
      }
    }
    if (clear_errors != 3) return 5;
    if (named_semaphore::exists(prefix + "-new")) return 6;
    for (int fd : hogs) ::close(fd);
    many.clear();
    // Back to where we started: no descriptor, no mapping left behind.
    if (stress::open_fds() != fds_before) return 7;
    if (stress::sem_mappings() != maps_before) return 8;
    named_semaphore again(prefix + "-new", existence_policy::raise_if_exists, 0);
    again.release();
    return again.value() == 1 ? 0 : 9;
  });
  EXPECT_EQ(stress::wait_exit(kid), 0);
  EXPECT_EQ(sem.value(), 1);
}

TEST(ResourceExhaustion, OutOfMappingsIsAClearErrorAndLeaksNothing) {
  long max_maps = 0;
  if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    if (std::fscanf(f, "%ld", &max_maps) != 1) max_maps = 0;
    std::fclose(f);
  }
  if (stress::sanitized)
    GTEST_SKIP() << "sanitizer runtimes need fresh mappings themselves to report anything";
  if (max_maps <= 0 || max_maps > 70000 * stress::scale())
    GTEST_SKIP() << "vm.max_map_count is " << max_maps << ": too many handles to exhaust quickly";
  // In a /dev/shm of its own: the temporary files counted at the end are
  // exactly this test's, whatever other programs create meanwhile.
  const int rc = nob_test::in_private_dev_shm([max_maps] {
    const std::string prefix = "exhausted";
    named_semaphore sem(prefix, existence_policy::raise_if_exists, 1);
    const pid_t kid = stress::spawn([&] {
      const int fds_before = stress::open_fds();
      const int maps_before = stress::sem_mappings();
      std::vector<named_semaphore> many;
      many.reserve(static_cast<std::size_t>(max_maps) + 10);
      int err = 0;
      for (long i = 0; i <= max_maps; ++i) {
        try {
          many.emplace_back(prefix);
        } catch (const std::system_error& e) {
          err = e.code().value();
          break;
        }
      }
      if (err != ENOMEM) return 2;  // mmap fails with ENOMEM at the map limit
      std::printf("[figures] %zu handles open when mappings ran out (vm.max_map_count %ld)\n",
                  many.size(), max_maps);
      try {  // creating fails as cleanly, and removes its temporary file
        named_semaphore s(prefix + "-new", existence_policy::raise_if_exists);
        return 3;
      } catch (const std::system_error& e) {
        if (e.code() != std::errc::not_enough_memory) return 4;
      }
      if (named_semaphore::exists(prefix + "-new")) return 5;
      many.clear();
      if (stress::open_fds() != fds_before || stress::sem_mappings() != maps_before) return 6;
      named_semaphore again(prefix);
      again.release();
      return 0;
    });
    if (const int k = stress::wait_exit(kid); k != 0) {
      std::fprintf(stderr, "the exhausting child ended with %d\n", k);
      return 2;
    }
    if (sem.value() != 2) return 3;
    const std::set<std::string> left = temp_files();
    if (!left.empty()) {
      std::fprintf(stderr, "temporary files left: %s\n", left.begin()->c_str());
      return 4;
    }
    return 0;
  });
  if (rc == nob_test::no_private_dev_shm) GTEST_SKIP() << "needs root for a private /dev/shm";
  EXPECT_EQ(rc, 0);
}

}  // namespace
