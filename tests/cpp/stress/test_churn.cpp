// link_or_create / unlink_and_create / unlink churn from several processes.
#include "../common/stress_util.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;

struct tally {
  std::atomic<long> created{0};        // handles with linked_existing() == false
  std::atomic<long> linked{0};         // handles with linked_existing() == true
  std::atomic<long> owner_unlinks{0};  // names removed by their creating handle
  std::atomic<long> expected_errors{0};
  std::atomic<long> bad{0};            // anything the contract does not allow
  stress::gate start;
};

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Only creators unlink: every semaphore created must be unlinked exactly
// once, by its creator, either by close() or by an explicit unlink().
TEST(Churn, OnlyOwnersUnlinkAndEachCreationIsUnlinkedOnce) {
  const std::string prefix = stress::unique_name();
  stress::shm_guard guard(prefix);
  const int procs = 4, names = 3;
  const long rounds = 4000 * stress::scale();
  stress::shared<tally> t;
  std::vector<pid_t> kids;
  for (int p = 0; p < procs; ++p) {
    kids.push_back(stress::spawn([&, p] {
      unsigned seed = 777u + static_cast<unsigned>(p);
      t->start.wait();
      for (long i = 0; i < rounds; ++i) {
        const std::string name = prefix + "-" + std::to_string(rand_r(&seed) % names);
        const std::string path = stress::shm_path(name);
        const int pick = rand_r(&seed) % 3;
        const auto policy = pick == 0   ? existence_policy::link_or_create
                            : pick == 1 ? existence_policy::raise_if_exists
                                        : existence_policy::raise_if_not_exists;
        try {
          named_semaphore s(name, policy, 1);
          if (s.try_acquire()) s.release();
          if (s.linked_existing()) {
            ++t->linked;
            continue;  // close() of a linking handle never unlinks
          }
          ++t->created;
          if (s.linked_existing() || !s.unlink_on_destroy()) ++t->bad;
          const ino_t mine = inode_of(path);
          if (mine == 0) ++t->bad;  // nobody but me may unlink it
          if (rand_r(&seed) % 2) {
            s.unlink();
          } else {
            s.close();
          }
          if (inode_of(path) == mine) ++t->bad;  // still linked: not unlinked
          ++t->owner_unlinks;
        } catch (const std::system_error& e) {
          const bool ok = (policy == existence_policy::raise_if_exists &&
                           e.code() == std::errc::file_exists) ||
                          (policy == existence_policy::raise_if_not_exists &&
                           e.code() == std::errc::no_such_file_or_directory);
          ++(ok ? t->expected_errors : t->bad);
        }
      }
      return 0;
    }));
  }
  t->start.open(procs);
  for (pid_t k : kids) EXPECT_EQ(stress::wait_exit(k), 0);
  EXPECT_EQ(t->bad.load(), 0);
  EXPECT_GT(t->created.load(), 0);
  EXPECT_GT(t->linked.load(), 0);
  EXPECT_EQ(t->created.load(), t->owner_unlinks.load());
  std::printf("[figures] owner-only churn: %d procs x %ld rounds: %ld created, %ld owner unlinks, "
              "%ld linked, %ld expected errors\n",
              procs, rounds, t->created.load(), t->owner_unlinks.load(), t->linked.load(),
              t->expected_errors.load());
  EXPECT_TRUE(stress::shm_files("sem." + prefix).empty());
}

// Everything at once, foreign unlinks included: no crash, only the errors
// the contract documents, and nothing left once every handle is closed.
TEST(Churn, AllPoliciesAndForeignUnlinksRaiseOnlyDocumentedErrors) {
  const std::string prefix = stress::unique_name();
  stress::shm_guard guard(prefix);
  const int procs = 4, names = 2;
  const long rounds = 4000 * stress::scale();
  stress::shared<tally> t;
  std::vector<pid_t> kids;
  for (int p = 0; p < procs; ++p) {
    kids.push_back(stress::spawn([&, p] {
      unsigned seed = 999u + static_cast<unsigned>(p);
      std::vector<named_semaphore> held;  // some handles live across rounds
      t->start.wait();
      for (long i = 0; i < rounds; ++i) {
        const std::string name = prefix + "-" + std::to_string(rand_r(&seed) % names);
        const int pick = rand_r(&seed) % 6;
        try {
          if (pick == 4) {
            (void)named_semaphore::remove(name);
            continue;
          }
          if (pick == 5) {
            if (!held.empty()) {
              named_semaphore& h = held[static_cast<std::size_t>(rand_r(&seed)) % held.size()];
              if (h.is_open()) h.unlink();  // may be gone already: ENOENT
            }
            continue;
          }
          const auto policy = static_cast<existence_policy>(pick);
          named_semaphore s(name, policy, 2);
          ++(s.linked_existing() ? t->linked : t->created);
          if (s.try_acquire()) s.release();
          if (rand_r(&seed) % 3 == 0) held.push_back(std::move(s));
          if (held.size() > 4) held.erase(held.begin());
        } catch (const std::system_error& e) {
          // raise_if_exists, unlink_and_create (someone created in between):
          // file_exists; raise_if_not_exists, unlink(): no such file.
          const bool ok = (pick == 0 || pick == 3)
                              ? e.code() == std::errc::file_exists
                              : e.code() == std::errc::no_such_file_or_directory;
          ++(ok ? t->expected_errors : t->bad);
          if (!ok) std::fprintf(stderr, "unexpected: %s\n", e.what());
        }
      }
      return 0;
    }));
  }
  t->start.open(procs);
  for (pid_t k : kids) EXPECT_EQ(stress::wait_exit(k), 0);
  EXPECT_EQ(t->bad.load(), 0);
  EXPECT_GT(t->created.load(), 0);
  EXPECT_GT(t->expected_errors.load(), 0);
  std::printf("[figures] full churn: %d procs x %ld rounds: %ld created, %ld linked, "
              "%ld documented errors\n",
              procs, rounds, t->created.load(), t->linked.load(), t->expected_errors.load());
  // Every last name belongs to a handle that has since closed: it unlinked it.
  EXPECT_TRUE(stress::shm_files("sem." + prefix).empty());
}

}  // namespace
