// The four existence policies: which create, which open, which fail, and
// that initial_value and mode count only when the call creates.
#include "../common/support.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using nob_test::SemTest;

class Policies : public SemTest {};

TEST_F(Policies, RaiseIfExistsCreatesWithTheInitialValue) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists, 3);
  EXPECT_TRUE(s.is_open());
  EXPECT_FALSE(s.linked_existing());
  EXPECT_TRUE(s.unlink_on_destroy());
  EXPECT_EQ(s.value(), 3);
  EXPECT_TRUE(named_semaphore::exists(name));
}

TEST_F(Policies, RaiseIfExistsFailsWithFileExistsAndLeavesTheOldOne) {
  const std::string name = unique_name();
  named_semaphore first(name, existence_policy::raise_if_exists, 4);
  try {
    named_semaphore second(name, existence_policy::raise_if_exists, 9);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::file_exists);
  }
  EXPECT_EQ(first.value(), 4);
  EXPECT_TRUE(named_semaphore::exists(name));
}

TEST_F(Policies, RaiseIfNotExistsIsTheDefaultAndOpens) {
  const std::string name = unique_name();
  named_semaphore creator(name, existence_policy::raise_if_exists, 2);
  named_semaphore opened(name);
  EXPECT_TRUE(opened.linked_existing());
  EXPECT_FALSE(opened.unlink_on_destroy());
  EXPECT_EQ(opened.value(), 2);
  opened.release();
  EXPECT_EQ(creator.value(), 3);
}

TEST_F(Policies, RaiseIfNotExistsFailsWithNoSuchFileAndCreatesNothing) {
  const std::string name = unique_name();
  try {
    named_semaphore s(name, existence_policy::raise_if_not_exists);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
  EXPECT_FALSE(named_semaphore::exists(name));
}

TEST_F(Policies, LinkOrCreateCreatesWhenAbsent) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::link_or_create, 5);
  EXPECT_FALSE(s.linked_existing());
  EXPECT_TRUE(s.unlink_on_destroy());
  EXPECT_EQ(s.value(), 5);
}

TEST_F(Policies, LinkOrCreateLinksWhenPresentAndIgnoresTheInitialValue) {
  const std::string name = unique_name();
  named_semaphore creator(name, existence_policy::raise_if_exists, 1);
  named_semaphore linker(name, existence_policy::link_or_create, 7);
  EXPECT_TRUE(linker.linked_existing());
  EXPECT_FALSE(linker.unlink_on_destroy());
  EXPECT_EQ(linker.value(), 1);
  linker.close();
  EXPECT_TRUE(named_semaphore::exists(name)) << "a linker must not unlink";
}

TEST_F(Policies, UnlinkAndCreateReplacesAnExistingSemaphore) {
  const std::string name = unique_name();
  named_semaphore old(name, existence_policy::raise_if_exists, 6);
  named_semaphore fresh(name, existence_policy::unlink_and_create, 2);
  EXPECT_FALSE(fresh.linked_existing());
  EXPECT_TRUE(fresh.unlink_on_destroy());
  EXPECT_EQ(fresh.value(), 2);
  EXPECT_EQ(old.value(), 6) << "the old semaphore lives on, unnamed";
  fresh.release();
  EXPECT_EQ(old.value(), 6) << "the two must be different semaphores";
  named_semaphore by_name(name);
  EXPECT_EQ(by_name.value(), 3);
}

TEST_F(Policies, UnlinkAndCreateCreatesWhenAbsent) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::unlink_and_create, 0);
  EXPECT_FALSE(s.linked_existing());
  EXPECT_EQ(s.value(), 0);
  EXPECT_TRUE(named_semaphore::exists(name));
}

TEST_F(Policies, InitialValueZeroAndMaxAreAccepted) {
  named_semaphore zero(unique_name("zero"), existence_policy::raise_if_exists, 0);
  EXPECT_EQ(zero.value(), 0);
  EXPECT_FALSE(zero.try_acquire());
  named_semaphore top(unique_name("top"), existence_policy::raise_if_exists,
                      static_cast<unsigned>(named_semaphore::max()));
  EXPECT_EQ(top.value(), named_semaphore::max());
}

TEST_F(Policies, BadArgumentsAreInvalidArgumentAndCreateNothing) {
  const std::string name = unique_name();
  EXPECT_THROW(named_semaphore(name, existence_policy::raise_if_exists,
                               static_cast<unsigned>(named_semaphore::max()) + 1u),
               std::invalid_argument);
  EXPECT_THROW(named_semaphore(name, existence_policy::raise_if_exists, 1, 01000),
               std::invalid_argument);
  EXPECT_THROW(named_semaphore(name, static_cast<existence_policy>(42)), std::invalid_argument);
  EXPECT_FALSE(named_semaphore::exists(name));
}

TEST_F(Policies, AFailedConstructorLeavesNothingBehind) {
  const std::string name = unique_name();
  EXPECT_THROW(named_semaphore{name}, std::system_error);
  EXPECT_FALSE(named_semaphore::exists(name));
}

}  // namespace
