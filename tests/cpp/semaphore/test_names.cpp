// Name rules: what is refused (before any system call) and how good names
// are normalised to exactly one leading '/'.
#include "../common/support.hpp"

#include <string>
#include <string_view>

namespace {

using nob::named_semaphore;
using nob_test::SemTest;

class Names : public SemTest {};

/// Every bad name the contract lists, as string_views (NUL included).
std::vector<std::string> bad_names() {
  using namespace std::string_literals;
  return {
      ""s,
      "/"s,
      "//"s,
      "a/b"s,
      "/a/b"s,
      "a b"s,
      "a@b"s,
      "a\0b"s,
      "\0"s,
      "caf\xc3\xa9"s,
      "\xff"s,
      std::string(252, 'x'),
      "/" + std::string(252, 'x'),
      "."s,
      ".."s,
      "..."s,
      "/.."s,
      "a\tb"s,
      "a\nb"s,
      "a:b"s,
      "a*b"s,
      "a\\b"s,
  };
}

TEST_F(Names, EveryBadNameIsRefusedWithInvalidArgument) {
  for (const std::string& bad : bad_names()) {
    const std::string_view sv(bad.data(), bad.size());
    SCOPED_TRACE("name of " + std::to_string(bad.size()) + " bytes");
    EXPECT_FALSE(nob::is_valid_name(sv));
    EXPECT_THROW(nob::normalize_name(sv), std::invalid_argument);
    EXPECT_THROW(named_semaphore(sv, nob::existence_policy::link_or_create),
                 std::invalid_argument);
    EXPECT_THROW(named_semaphore(sv, nob::existence_policy::raise_if_exists),
                 std::invalid_argument);
    EXPECT_THROW(named_semaphore(sv, nob::existence_policy::unlink_and_create),
                 std::invalid_argument);
    EXPECT_THROW(named_semaphore{sv}, std::invalid_argument);
    EXPECT_THROW(named_semaphore::exists(sv), std::invalid_argument);
    EXPECT_THROW(named_semaphore::remove(sv), std::invalid_argument);
  }
}

TEST_F(Names, NulInsideTheViewIsRefusedEvenWhenThePrefixIsValid) {
  const std::string name = unique_name();
  named_semaphore prefix(name, nob::existence_policy::raise_if_exists);
  const std::string with_nul = name + std::string(1, '\0') + "tail";
  EXPECT_THROW(named_semaphore(std::string_view(with_nul), nob::existence_policy::link_or_create),
               std::invalid_argument);
  EXPECT_THROW(named_semaphore::remove(std::string_view(with_nul)), std::invalid_argument);
  EXPECT_TRUE(named_semaphore::exists(name)) << "the valid prefix must not have been touched";
}

TEST_F(Names, BadNamesAreRefusedBeforeAnySystemCall) {
  // A refused name must not reach /dev/shm: nothing called "sem.a" appears
  // and no existing file of a prefix name is removed.
  const std::string name = unique_name();
  named_semaphore keep(name, nob::existence_policy::raise_if_exists);
  EXPECT_THROW(named_semaphore::remove(name + " "), std::invalid_argument);
  EXPECT_THROW(named_semaphore(name + "@x", nob::existence_policy::unlink_and_create),
               std::invalid_argument);
  EXPECT_TRUE(named_semaphore::exists(name));
  EXPECT_FALSE(named_semaphore::exists(name + "x"));
}

TEST_F(Names, TheMessageQuotesTheBadName) {
  try {
    named_semaphore s("bad@name", nob::existence_policy::link_or_create);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("bad@name"), std::string::npos) << e.what();
  }
}

TEST_F(Names, A251ByteBodyIsAccepted) {
  std::string name = unique_name();
  name += std::string(251 - name.size(), 'z');
  ASSERT_EQ(name.size(), 251u);
  EXPECT_TRUE(nob::is_valid_name(name));
  EXPECT_EQ(nob::normalize_name(name), "/" + name);
  named_semaphore s(name, nob::existence_policy::raise_if_exists);
  EXPECT_EQ(s.name(), "/" + name);
  EXPECT_TRUE(named_semaphore::exists("/" + name));
  s.close();
  EXPECT_FALSE(named_semaphore::exists(name));
}

TEST_F(Names, A252ByteBodyIsRefusedWithOrWithoutSlashes) {
  std::string body(252, 'y');
  EXPECT_THROW(nob::normalize_name(body), std::invalid_argument);
  EXPECT_THROW(nob::normalize_name("//" + body), std::invalid_argument);
  EXPECT_TRUE(nob::is_valid_name("//" + body.substr(1)));
}

TEST_F(Names, OneLeadingSlashIsKeptAndExtraOnesDropped) {
  EXPECT_EQ(nob::normalize_name("x"), "/x");
  EXPECT_EQ(nob::normalize_name("/x"), "/x");
  EXPECT_EQ(nob::normalize_name("//x"), "/x");
  EXPECT_EQ(nob::normalize_name("///x"), "/x");
  EXPECT_EQ(nob::normalize_name("A-z_0.9"), "/A-z_0.9");
  EXPECT_EQ(nob::normalize_name(".x"), "/.x");
  EXPECT_EQ(nob::normalize_name("x."), "/x.");
}

TEST_F(Names, AllThreeSpellingsOpenTheSameSemaphore) {
  const std::string name = unique_name();
  named_semaphore plain(name, nob::existence_policy::raise_if_exists, 0);
  named_semaphore one("/" + name);
  named_semaphore two("//" + name);
  EXPECT_EQ(plain.name(), "/" + name);
  EXPECT_EQ(one.name(), "/" + name);
  EXPECT_EQ(two.name(), "/" + name);
  two.release();
  EXPECT_EQ(plain.value(), 1);
  EXPECT_TRUE(one.try_acquire());
  EXPECT_EQ(plain.value(), 0);
  EXPECT_TRUE(named_semaphore::exists("//" + name));
}

TEST_F(Names, ValidationHelpersAgree) {
  for (std::string_view good : {"a", "/a", "//a", "a.b", "-", "_", "0", "a..", ".a."}) {
    EXPECT_TRUE(nob::is_valid_name(good)) << good;
    EXPECT_NO_THROW(nob::normalize_name(good)) << good;
  }
}

}  // namespace
