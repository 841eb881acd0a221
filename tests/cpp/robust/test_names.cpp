// Names: the same rules as every nob object, checked before any system
// call; normalised to one '/'; the backing file is /dev/shm/nob.NAME.
#include "support.hpp"

namespace robust_test {
namespace {

class Names : public RobustTest {};

TEST_F(Names, InvalidNamesAreRefusedBeforeAnySystemCall) {
  const std::string too_long(252, 'a');
  for (std::string bad : {std::string(""), std::string("/"), std::string("a/b"),
                          std::string("sp ace"), std::string("at@"), std::string("nul\0x", 5),
                          std::string("caf\xc3\xa9"), std::string(".."), too_long}) {
    EXPECT_THROW(robust_semaphore(bad, existence_policy::link_or_create), std::invalid_argument)
        << nob::detail::quote(bad);
    EXPECT_THROW(robust_semaphore::remove(bad), std::invalid_argument);
    EXPECT_THROW(robust_semaphore::exists(bad), std::invalid_argument);
    EXPECT_THROW(robust_semaphore::status(bad), std::invalid_argument);
  }
  EXPECT_TRUE(shm_files("nob.at@").empty());
}

TEST_F(Names, NormalisedToOneSlash) {
  const auto name = unique_name();
  robust_semaphore s("//" + name, existence_policy::raise_if_exists);
  EXPECT_EQ(s.name(), "/" + name);
  EXPECT_TRUE(file_present(name));
  EXPECT_TRUE(robust_semaphore::exists(name));
  EXPECT_TRUE(robust_semaphore::exists("/" + name));
}

TEST_F(Names, LongestNameWorks) {
  std::string name = unique_name();
  robust_semaphore::remove(name);
  name.resize(251, 'x');
  robust_semaphore s(name, existence_policy::raise_if_exists);
  EXPECT_TRUE(robust_semaphore::exists(name));
  s.close();
  EXPECT_FALSE(file_present(name));
}

TEST_F(Names, ErrorsCarryTheName) {
  const auto name = unique_name();
  try {
    robust_semaphore s(name);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/" + name), std::string::npos) << e.what();
  }
  try {
    robust_semaphore s(name, existence_policy::raise_if_exists, 0);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/" + name), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace robust_test
