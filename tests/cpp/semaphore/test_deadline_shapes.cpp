// Timed acquires with deadlines of every shape (deadline_shapes.hpp): a far
// deadline waits for a unit released later (never false at once, never an
// overflow); a passed deadline or NaN is one try.
#include "../common/deadline_shapes.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;

class DeadlineShapes : public nob_test::SemTest {};

TEST_F(DeadlineShapes, FarTimePointsWaitForAUnit) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  nob_test::for_each_far_time_point([&](const char* what, auto deadline) {
    EXPECT_TRUE(nob_test::waits_for_the_supply(
        what, [&] { return s.try_acquire_until(deadline); }, [&] { s.release(); }, [&] { s.try_acquire(); }));
  });
}

TEST_F(DeadlineShapes, FarDurationsWaitForAUnit) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  nob_test::for_each_far_duration([&](const char* what, auto rel) {
    EXPECT_TRUE(nob_test::waits_for_the_supply(
        what, [&] { return s.try_acquire_for(rel); }, [&] { s.release(); }, [&] { s.try_acquire(); }));
  });
}

TEST_F(DeadlineShapes, PassedOrNaNIsOneTry) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  nob_test::for_each_passed_time_point([&](const char* what, auto deadline) {
    EXPECT_TRUE(nob_test::is_one_try(what, [&] { return s.try_acquire_until(deadline); }));
    s.release();
    EXPECT_TRUE(s.try_acquire_until(deadline)) << what << ": one try takes a unit that is there";
  });
  nob_test::for_each_passed_duration([&](const char* what, auto rel) {
    EXPECT_TRUE(nob_test::is_one_try(what, [&] { return s.try_acquire_for(rel); }));
    s.release();
    EXPECT_TRUE(s.try_acquire_for(rel)) << what << ": one try takes a unit that is there";
  });
}

}  // namespace
