// Existence policies: create, open, link_or_create, unlink_and_create; what
// a creating call's capacity means; a stale file (every user ended) counts
// as absent; link_or_create never splits a pool (issue 10's scenario).
#include "support.hpp"

namespace robust_test {
namespace {

class Policies : public RobustTest {};

TEST_F(Policies, RaiseIfExistsCreatesThenRefuses) {
  const auto name = unique_name();
  robust_semaphore a(name, existence_policy::raise_if_exists, 3);
  EXPECT_FALSE(a.linked_existing());
  EXPECT_EQ(a.capacity(), 3u);
  EXPECT_EQ(a.value(), 3);
  try {
    robust_semaphore b(name, existence_policy::raise_if_exists, 3);
    FAIL() << "created twice";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::file_exists);
  }
}

TEST_F(Policies, RaiseIfNotExistsOpensOrRefuses) {
  const auto name = unique_name();
  try {
    robust_semaphore a(name);
    FAIL() << "opened a missing name";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
  EXPECT_FALSE(file_present(name));
  robust_semaphore made(name, existence_policy::raise_if_exists, 2);
  EXPECT_EQ(run_in_child([&] {
              robust_semaphore b(name, existence_policy::raise_if_not_exists, 7);
              return b.linked_existing() && b.capacity() == 2u ? 0 : 1;
            }),
            0);
}

TEST_F(Policies, LinkOrCreateCreatesThenLinks) {
  const auto name = unique_name();
  robust_semaphore a(name, existence_policy::link_or_create, 4);
  EXPECT_FALSE(a.linked_existing());
  robust_semaphore b(name, existence_policy::link_or_create, 9);  // same process
  EXPECT_TRUE(b.linked_existing());
  EXPECT_EQ(b.capacity(), 4u);
  EXPECT_EQ(run_in_child([&] {
              a.close();
              b.close();
              robust_semaphore c(name, existence_policy::link_or_create, 9);
              return c.linked_existing() && c.capacity() == 4u ? 0 : 1;
            }),
            0);
}

TEST_F(Policies, UnlinkAndCreateReplaces) {
  const auto name = unique_name();
  robust_semaphore a(name, existence_policy::raise_if_exists, 1);
  a.acquire();
  robust_semaphore b(name, existence_policy::unlink_and_create, 5);
  EXPECT_FALSE(b.linked_existing());
  EXPECT_EQ(b.capacity(), 5u);
  EXPECT_EQ(b.value(), 5);
  EXPECT_EQ(a.value(), 0);  // the old object lives on, unnamed
  robust_semaphore c(name);
  EXPECT_EQ(c.capacity(), 5u);
}

TEST_F(Policies, UnknownPolicyIsInvalid) {
  EXPECT_THROW(robust_semaphore(unique_name(), static_cast<existence_policy>(42)),
               std::invalid_argument);
}

/// Leaves a stale file at `name`: its creator (the only user) is killed
/// while closing, with the file-wide lock held.
void leave_stale(const std::string& name) {
  const pid_t pid = spawn({helper_path(), "crash", "close", name, "2"}, "close.locked");
  int status = 0;
  ASSERT_TRUE(wait_stopped(pid, status)) << status;
  kill_child(pid);
  ASSERT_TRUE(file_present(name));
}

TEST_F(Policies, StaleFileCountsAsAbsent) {
  const auto name = unique_name();
  leave_stale(name);
  EXPECT_FALSE(robust_semaphore::exists(name));
  EXPECT_FALSE(file_present(name)) << "exists() cleans a stale file";

  leave_stale(name);  // opening it removes it and reports absent
  try {
    robust_semaphore s(name);
    FAIL() << "opened a stale file";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
  EXPECT_FALSE(file_present(name));

  leave_stale(name);
  robust_semaphore fresh(name, existence_policy::raise_if_exists, 3);  // not EEXIST
  EXPECT_EQ(fresh.capacity(), 3u);
  fresh.close();

  leave_stale(name);
  robust_semaphore linked(name, existence_policy::link_or_create, 6);
  EXPECT_FALSE(linked.linked_existing());
  EXPECT_EQ(linked.capacity(), 6u);
  linked.close();

  leave_stale(name);
  EXPECT_FALSE(robust_semaphore::remove(name)) << "nothing live was there";
  EXPECT_FALSE(file_present(name));
}

// A creates a 1-unit pool with link_or_create; B opens it and holds the
// unit; A closes; C's link_or_create must find B's pool, not make a new one.
TEST_F(Policies, LinkOrCreateNeverSplitsThePool) {
  const auto name = unique_name();
  auto a = std::make_unique<robust_semaphore>(name, existence_policy::link_or_create, 1);
  int out = -1;
  const pid_t b = start_holder(name, out);
  a.reset();  // A closes; B still has it open
  EXPECT_TRUE(robust_semaphore::exists(name));
  robust_semaphore c(name, existence_policy::link_or_create, 1);
  EXPECT_TRUE(c.linked_existing());
  EXPECT_FALSE(c.try_acquire()) << "B and C would both hold the only unit";
  kill_child(b);
  ::close(out);
  EXPECT_TRUE(c.try_acquire_for(5s)) << "B's unit comes back when B dies";
}

}  // namespace
}  // namespace robust_test
