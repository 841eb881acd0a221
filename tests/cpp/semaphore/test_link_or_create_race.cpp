// link_or_create between processes: exactly one creator among racers, and
// a truthful linked_existing() while another process unlinks and re-creates
// the name in a loop (the vanished-name window is retried, never thrown).
#include "../common/support.hpp"

#include <chrono>

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using nob_test::SemTest;

class LinkOrCreateRace : public SemTest {};

// Exit codes of a racing child.
constexpr int created_and_owns = 10;
constexpr int linked_and_not_owner = 11;
constexpr int inconsistent = 12;

TEST_F(LinkOrCreateRace, ExactlyOneOfManyRacersCreates) {
  constexpr int rounds = 25;
  constexpr int racers = 4;
  named_semaphore start(unique_name("start"), existence_policy::raise_if_exists, 0);
  const std::string target = unique_name("target");
  for (int round = 0; round < rounds; ++round) {
    std::vector<pid_t> kids;
    for (int i = 0; i < racers; ++i) {
      kids.push_back(nob_test::start_child([&] {
        start.acquire();
        named_semaphore s(target, existence_policy::link_or_create, 0);
        const bool created = !s.linked_existing();
        const int rc = created == s.unlink_on_destroy()
                           ? (created ? created_and_owns : linked_and_not_owner)
                           : inconsistent;
        s.unlink_on_destroy(false);  // the parent removes the name after the round
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
    ASSERT_TRUE(named_semaphore::remove(target));
  }
}

TEST_F(LinkOrCreateRace, LinkedExistingStaysTruthfulWhileTheNameIsUnlinkedInALoop) {
  // A child replaces the name over and over by semaphores of value 5; this
  // process links or creates with value 0 and never posts. So a handle that
  // says "I created it" must see 0, and one that says "I linked" must see 5.
  const std::string name = unique_name();
  named_semaphore stop(unique_name("stop"), existence_policy::raise_if_exists, 0);
  const pid_t churner = nob_test::start_child([&] {
    while (!stop.try_acquire()) {
      try {
        named_semaphore s(name, existence_policy::unlink_and_create, 5);
        s.unlink_on_destroy(false);
      } catch (const std::system_error& e) {
        if (e.code() != std::errc::file_exists) return 1;  // lost a race: fine
      }
      named_semaphore::remove(name);
    }
    return 0;
  });

  int created = 0, linked = 0, bad = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
  int thrown = 0;
  while (std::chrono::steady_clock::now() < until) {
    try {
      named_semaphore s(name, existence_policy::link_or_create, 0);  // must never throw
      const int v = s.value();
      if (s.linked_existing()) {
        ++linked;
        bad += s.unlink_on_destroy() || v != 5;
      } else {
        ++created;
        bad += !s.unlink_on_destroy() || v != 0;
      }
    } catch (const std::exception&) {
      ++thrown;  // counted, so that the child is still stopped below
    }
  }
  stop.release();
  EXPECT_EQ(nob_test::wait_child(churner), 0);
  EXPECT_EQ(thrown, 0) << "link_or_create threw while the name came and went";
  EXPECT_EQ(bad, 0) << "created " << created << ", linked " << linked;
  EXPECT_GT(created + linked, 0);
  RecordProperty("created", created);
  RecordProperty("linked", linked);
}

TEST_F(LinkOrCreateRace, RacersAgainstARemoverNeverThrowNoSuchFile) {
  // Two children hammer the name: one removes it, the other links or creates.
  // Every link_or_create must succeed, the creator owning and a linker not.
  const std::string name = unique_name();
  named_semaphore stop(unique_name("stop"), existence_policy::raise_if_exists, 0);
  const pid_t remover = nob_test::start_child([&] {
    while (!stop.try_acquire()) named_semaphore::remove(name);
    return 0;
  });
  const pid_t opener = nob_test::start_child([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < until) {
      named_semaphore s(name, existence_policy::link_or_create, 1);
      if (s.unlink_on_destroy() == s.linked_existing()) return inconsistent;
    }
    return 0;
  });
  // Also race from this process, so two openers compete with the remover.
  int failures = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < until) {
    try {
      named_semaphore s(name, existence_policy::link_or_create, 1);
      failures += s.unlink_on_destroy() == s.linked_existing();
    } catch (const std::system_error&) {
      ++failures;
    }
  }
  const int opener_rc = nob_test::wait_child(opener);
  stop.release();
  EXPECT_EQ(nob_test::wait_child(remover), 0);
  EXPECT_EQ(opener_rc, 0);
  EXPECT_EQ(failures, 0);
}

}  // namespace
