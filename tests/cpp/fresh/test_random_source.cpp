// Where the random bytes of a fresh name come from: getrandom(2), and
// /dev/urandom where getrandom is refused; with neither, create_unique()
// fails with the errno and makes nothing. Bad arguments are refused before
// the random source is asked (and before any other system call).
#include "support.hpp"

#include "../common/ipc_support.hpp"  // forbid_ipc_syscalls

namespace {

using namespace fresh_test;

template <class Kind>
class FreshRandomSource : public ::testing::Test {};
TYPED_TEST_SUITE(FreshRandomSource, Kinds, KindNames);

TYPED_TEST(FreshRandomSource, DevUrandomServesWhereGetrandomIsRefused) {
  using K = TypeParam;
  EXPECT_CHILD_PASSES(in_private_ipc([] {
    const draw d = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    if (const int rc = choose_random_source({d})) return rc;
    auto h = K::make();
    CHILD_CHECK(h.name() == "/nob-0123456789abcdef");
    return 0;
  }));
}

TYPED_TEST(FreshRandomSource, WithoutAnyTheErrnoComesBackAndNothingIsMade) {
  using K = TypeParam;
  EXPECT_CHILD_PASSES(in_private_ipc([] {
    const auto before = ipc_entries();
    if (const int rc = break_random_source()) return rc;
    try {
      K::make();
      CHILD_CHECK(!"create_unique succeeded without a random source");
    } catch (const std::system_error& e) {
      CHILD_CHECK(e.code() == std::errc::io_error);  // /dev/urandom ended at once
      const std::string what = e.what();
      CHILD_CHECK(what.find("no random source") != std::string::npos);
      CHILD_CHECK(what.find("(no name drawn)") != std::string::npos);
    }
    std::error_code ec;
    CHILD_CHECK(!K::make(ec).has_value());
    CHILD_CHECK(ec == std::errc::io_error);
    CHILD_CHECK(ipc_entries() == before);
    return 0;
  }));
}

TYPED_TEST(FreshRandomSource, BadArgumentsAreRefusedBeforeAnySystemCall) {
  using K = TypeParam;
  // The child dies (SIGSYS) at getrandom or at any IPC system call.
  const int rc = nob_test::run_in_child([] {
    if (!nob_test::forbid_ipc_syscalls() || !filter_getrandom(SECCOMP_RET_KILL_PROCESS))
      return no_seccomp;
    try {
      K::bad_arguments();
      return 1;
    } catch (const std::invalid_argument& e) {
      if (std::string(e.what()).find("for a fresh name") == std::string::npos) return 2;
    }
    std::error_code ec;
    if (K::bad_arguments_ec(ec) || ec != std::errc::invalid_argument) return 3;
    return 0;
  });
  if (rc == no_seccomp) GTEST_SKIP() << "cannot install a seccomp filter here";
  EXPECT_EQ(rc, 0);
}

}  // namespace
