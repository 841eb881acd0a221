// create_unique() applies `mode` exactly, whatever the umask (the semaphore
// where it is a file nob makes: NOB_USE_DEV_SHM), and defaults to 0600.
#include "support.hpp"
#include "../common/scoped_umask.hpp"

namespace {

using namespace fresh_test;

using nob_test::scoped_umask;

template <class Kind>
class FreshMode : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::is_same<Kind, semaphore_kind>::value && !nob::uses_dev_shm)
      GTEST_SKIP() << "sem_open path: the umask applies, no exact mode";
  }
};
TYPED_TEST_SUITE(FreshMode, Kinds, KindNames);

TYPED_TEST(FreshMode, ExactUnderEveryUmask) {
  for (mode_t um : {022, 077, 0, 0777}) {
    scoped_umask scope(um);
    for (mode_t mode : {0600, 0640, 0604, 0660, 0666, 0400, 0777}) {
      auto h = TypeParam::make(mode);
      EXPECT_EQ(TypeParam::mode_of(h), static_cast<int>(mode))
          << std::oct << mode << " under umask " << um;
      std::error_code ec;
      auto twin = TypeParam::make(ec, mode);
      ASSERT_TRUE(twin.has_value()) << ec.message();
      EXPECT_EQ(TypeParam::mode_of(*twin), static_cast<int>(mode)) << std::oct << mode;
    }
    EXPECT_EQ(::umask(um), um);  // left as it was
  }
}

TYPED_TEST(FreshMode, DefaultsTo0600) {
  scoped_umask scope(0);
  auto h = TypeParam::handle::create_unique();
  EXPECT_EQ(TypeParam::mode_of(h), 0600);
}

}  // namespace
