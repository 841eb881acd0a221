// named_semaphore::open(): the constructor without exceptions.
#include "../common/support.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;

class NothrowOpen : public nob_test::SemTest {};

TEST_F(NothrowOpen, CreatesAndOpens) {
  const std::string name = unique_name();
  std::error_code ec;
  auto made = named_semaphore::open(name, ec, existence_policy::raise_if_exists, 2);
  ASSERT_TRUE(made.has_value());
  EXPECT_FALSE(ec);
  EXPECT_EQ(made->name(), "/" + name);
  EXPECT_FALSE(made->linked_existing());
  EXPECT_TRUE(made->unlink_on_destroy());
  auto again = named_semaphore::open("//" + name, ec);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->linked_existing());
  EXPECT_EQ(again->value(ec), 2);
  made.reset();  // closes and unlinks
  EXPECT_FALSE(named_semaphore::exists(name));
}

TEST_F(NothrowOpen, ErrorsGoToTheErrorCode) {
  const std::string name = unique_name();
  std::error_code ec;
  EXPECT_FALSE(named_semaphore::open(name, ec).has_value());
  EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
  auto first = named_semaphore::open(name, ec, existence_policy::raise_if_exists);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(named_semaphore::open(name, ec, existence_policy::raise_if_exists).has_value());
  EXPECT_EQ(ec, std::errc::file_exists);
}

TEST_F(NothrowOpen, BadArgumentsAreInvalidArgumentBeforeAnySystemCall) {
  std::error_code ec;
  for (const char* bad : {"", "/", "a/b", "a b", "..", "\xff"}) {
    EXPECT_FALSE(named_semaphore::open(bad, ec, existence_policy::link_or_create).has_value());
    EXPECT_EQ(ec, std::errc::invalid_argument) << bad;
  }
  const std::string name = unique_name();
  EXPECT_FALSE(named_semaphore::open(name, ec, existence_policy::link_or_create,
                                     static_cast<unsigned>(named_semaphore::max()) + 1u)
                   .has_value());
  EXPECT_EQ(ec, std::errc::invalid_argument);
  EXPECT_FALSE(named_semaphore::open(name, ec, existence_policy::link_or_create, 1, 01777)
                   .has_value());
  EXPECT_EQ(ec, std::errc::invalid_argument);
  EXPECT_FALSE(named_semaphore::exists(name));
}

}  // namespace
