// Each test executable is built with different NOB_ macros; this proves the
// macros took effect (the build passes NOB_TEST_EXPECT_* to say what it asked for).
#include "../common/support.hpp"

namespace {

TEST(BuildVariant, WaitStrategyIsTheOneAskedFor) {
#ifdef NOB_TEST_EXPECT_STRATEGY
  EXPECT_EQ(nob::compiled_wait_strategy, nob::wait_strategy::NOB_TEST_EXPECT_STRATEGY);
#else
  GTEST_SKIP() << "the build did not say which wait strategy it asked for";
#endif
}

TEST(BuildVariant, DevShmUseIsTheOneAskedFor) {
#ifdef NOB_TEST_EXPECT_DEV_SHM
  EXPECT_EQ(nob::uses_dev_shm, NOB_TEST_EXPECT_DEV_SHM != 0);
#else
  GTEST_SKIP() << "the build did not say whether it asked for /dev/shm";
#endif
}

TEST(BuildVariant, LanguageStandardIsTheOneAskedFor) {
#ifdef NOB_TEST_EXPECT_CPLUSPLUS
  EXPECT_EQ(__cplusplus, NOB_TEST_EXPECT_CPLUSPLUS);
#else
  GTEST_SKIP() << "the build did not say which C++ standard it asked for";
#endif
}

TEST(BuildVariant, VersionMacros) {
  EXPECT_GE(NOB_VERSION_MAJOR, 0);
  EXPECT_GE(NOB_VERSION_MINOR, 0);
  EXPECT_GE(NOB_VERSION_PATCH, 0);
}

}  // namespace
