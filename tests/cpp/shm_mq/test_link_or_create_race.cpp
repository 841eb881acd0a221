// link_or_create between processes, for both race_kinds: exactly one creator
// among racers, and never an error while another process removes the name
// in a loop (the vanished-name window is retried).
#include "../common/ipc_support.hpp"

#include <chrono>

namespace {

using nob::existence_policy;
using nob::named_message_queue;
using nob::named_semaphore;
using nob::named_shared_memory;
using nob_test::IpcTest;

template <class T>
class LinkOrCreateRace : public IpcTest {};

/// How each kind is made by link_or_create for these tests.
struct race_shm {
  using type = named_shared_memory;
  static type make(const std::string& n) {
    return type(n, existence_policy::link_or_create, 4096);
  }
};
struct race_mq {
  using type = named_message_queue;
  static type make(const std::string& n) {
    return type(n, existence_policy::link_or_create, 2, 16);
  }
};
using race_kinds = ::testing::Types<race_shm, race_mq>;
TYPED_TEST_SUITE(LinkOrCreateRace, race_kinds);

constexpr int created_and_owns = 10;
constexpr int linked_and_not_owner = 11;
constexpr int inconsistent = 12;

TYPED_TEST(LinkOrCreateRace, ExactlyOneOfManyRacingProcessesCreates) {
  constexpr int rounds = 20;
  constexpr int racers = 4;
  named_semaphore start(this->unique_name("start"), existence_policy::raise_if_exists, 0);
  const std::string target = this->unique_name("target");
  for (int round = 0; round < rounds; ++round) {
    std::vector<pid_t> kids;
    for (int i = 0; i < racers; ++i) {
      kids.push_back(nob_test::start_child([&] {
        start.acquire();
        auto h = TypeParam::make(target);
        const bool created = !h.linked_existing();
        const int rc = created == h.unlink_on_destroy()
                           ? (created ? created_and_owns : linked_and_not_owner)
                           : inconsistent;
        h.unlink_on_destroy(false);  // the parent removes the name after the round
        return rc;
      }));
    }
    start.release(racers);
    int creators = 0, linkers = 0;
    for (pid_t k : kids) {
      const int rc = nob_test::wait_child(k);
      creators += rc == created_and_owns;
      linkers += rc == linked_and_not_owner;
    }
    ASSERT_EQ(creators, 1) << "round " << round;
    ASSERT_EQ(linkers, racers - 1) << "round " << round;
    ASSERT_TRUE(TypeParam::type::remove(target));
  }
}

TYPED_TEST(LinkOrCreateRace, NeverThrowsWhileAnotherProcessRemovesTheName) {
  const std::string name = this->unique_name();
  named_semaphore stop(this->unique_name("stop"), existence_policy::raise_if_exists, 0);
  const pid_t remover = nob_test::start_child([&] {
    while (!stop.try_acquire()) TypeParam::type::remove(name);
    return 0;
  });
  int failures = 0, opened = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
  while (std::chrono::steady_clock::now() < until) {
    try {
      auto h = TypeParam::make(name);
      failures += h.unlink_on_destroy() == h.linked_existing();
      ++opened;
    } catch (const std::exception& e) {
      ++failures;
      ADD_FAILURE() << e.what();
    }
  }
  stop.release();
  EXPECT_EQ(nob_test::wait_child(remover), 0);
  EXPECT_EQ(failures, 0);
  EXPECT_GT(opened, 0);
}

}  // namespace
