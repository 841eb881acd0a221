// A fresh name that exists is never opened and never removed: create_unique()
// draws another. Collisions are forced by choosing the random source
// (support.hpp: getrandom refused, /dev/urandom a FIFO with the test's
// bytes) and creating the names it will give first. A random source that
// only repeats ends in file_exists after detail::fresh_name_tries draws,
// with a message that says so, and leaves nothing behind.
#include "support.hpp"

namespace {

using namespace fresh_test;

template <class Kind>
class FreshCollisions : public ::testing::Test {};
TYPED_TEST_SUITE(FreshCollisions, Kinds, KindNames);

TYPED_TEST(FreshCollisions, ATakenNameIsDrawnAgainAndLeftAlone) {
  using K = TypeParam;
  EXPECT_CHILD_PASSES(in_private_ipc([] {
    const draw taken = draw_of(0xa1), free_one = draw_of(0xb2);
    // Someone else's object under the name the first two draws give.
    auto other = K::create(name_of(taken));
    K::mark(other);
    const auto before = ipc_entries();
    if (const int rc = choose_random_source({taken, taken, free_one})) return rc;
    auto h = K::make();
    CHILD_CHECK(h.name() == name_of(free_one));
    CHILD_CHECK(!h.linked_existing());
    auto again = K::open(name_of(taken));  // the other object, as it was
    CHILD_CHECK(K::marked(again));
    h.close();
    CHILD_CHECK(ipc_entries() == before);  // only the other object is left
    return 0;
  }));
}

TYPED_TEST(FreshCollisions, ADrawThatRepeatsForEverEndsInFileExists) {
  using K = TypeParam;
  EXPECT_CHILD_PASSES(in_private_ipc([] {
    const draw taken = draw_of(0x5c);
    auto other = K::create(name_of(taken));
    const auto before = ipc_entries();
    if (const int rc = choose_random_source(
            std::vector<draw>(static_cast<std::size_t>(nob::detail::fresh_name_tries), taken)))
      return rc;
    try {
      K::make();
      CHILD_CHECK(!"create_unique succeeded under a name that exists");
    } catch (const std::system_error& e) {
      CHILD_CHECK(e.code() == std::errc::file_exists);
      const std::string what = e.what();
      CHILD_CHECK(what.find("every fresh name drawn already existed") != std::string::npos);
      CHILD_CHECK(what.find(name_of(taken)) != std::string::npos);
    }
    CHILD_CHECK(ipc_entries() == before);  // nothing made, nothing removed
    CHILD_CHECK(K::exists(name_of(taken)));
    return 0;
  }));
}

TYPED_TEST(FreshCollisions, TheNonThrowingTwinSaysFileExists) {
  using K = TypeParam;
  EXPECT_CHILD_PASSES(in_private_ipc([] {
    const draw taken = draw_of(0x77);
    auto other = K::create(name_of(taken));
    const auto before = ipc_entries();
    if (const int rc = choose_random_source(
            std::vector<draw>(static_cast<std::size_t>(nob::detail::fresh_name_tries), taken)))
      return rc;
    std::error_code ec;
    CHILD_CHECK(!K::make(ec).has_value());
    CHILD_CHECK(ec == std::errc::file_exists);
    CHILD_CHECK(ipc_entries() == before);
    return 0;
  }));
}

TYPED_TEST(FreshCollisions, TheBoundIsExactlyFreshNameTries) {
  // The last allowed draw still counts: fresh_name_tries - 1 taken names,
  // then a free one.
  using K = TypeParam;
  EXPECT_CHILD_PASSES(in_private_ipc([] {
    const draw taken = draw_of(0x3e), free_one = draw_of(0x4f);
    auto other = K::create(name_of(taken));
    std::vector<draw> draws(static_cast<std::size_t>(nob::detail::fresh_name_tries), taken);
    draws.back() = free_one;
    if (const int rc = choose_random_source(draws)) return rc;
    auto h = K::make();
    CHILD_CHECK(h.name() == name_of(free_one));
    return 0;
  }));
}

}  // namespace
