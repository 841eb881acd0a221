// A fresh name belongs to the handle that made it, as a name it created
// would: its close() (or destructor) removes it, a forked child never does,
// and another process (forked, or a program it execs) opens it by name.
#include "support.hpp"

#include <cstdlib>

namespace {

using namespace fresh_test;

template <class Kind>
class FreshOwnership : public ::testing::Test {};
TYPED_TEST_SUITE(FreshOwnership, Kinds, KindNames);

TYPED_TEST(FreshOwnership, CloseRemovesTheName) {
  auto h = TypeParam::make();
  const std::string name = h.name();
  ASSERT_TRUE(TypeParam::exists(name));
  h.close();
  EXPECT_FALSE(TypeParam::exists(name));
}

TYPED_TEST(FreshOwnership, TheDestructorRemovesTheName) {
  std::string name;
  {
    auto h = TypeParam::make();
    name = h.name();
    ASSERT_TRUE(TypeParam::exists(name));
  }
  EXPECT_FALSE(TypeParam::exists(name));
}

TYPED_TEST(FreshOwnership, AMovedHandleKeepsOwningIt) {
  auto h = TypeParam::make();
  const std::string name = h.name();
  typename TypeParam::handle moved(std::move(h));
  h.close();  // the moved-from handle owns nothing
  EXPECT_TRUE(TypeParam::exists(name));
  EXPECT_EQ(moved.name(), name);
  moved.close();
  EXPECT_FALSE(TypeParam::exists(name));
}

TEST(FreshOwnershipPlain, UnlinkOnDestroyCanBeTurnedOff) {
  // The plain kinds say who unlinks with unlink_on_destroy(); a fresh name
  // starts owned, and can be handed on.
  std::string names[3];
  {
    auto s = nob::named_semaphore::create_unique();
    auto m = nob::named_shared_memory::create_unique(8);
    auto q = nob::named_message_queue::create_unique(1, 8);
    EXPECT_TRUE(s.unlink_on_destroy() && m.unlink_on_destroy() && q.unlink_on_destroy());
    s.unlink_on_destroy(false);
    m.unlink_on_destroy(false);
    q.unlink_on_destroy(false);
    names[0] = s.name();
    names[1] = m.name();
    names[2] = q.name();
  }
  EXPECT_TRUE(nob::named_semaphore::remove(names[0]));
  EXPECT_TRUE(nob::named_shared_memory::remove(names[1]));
  EXPECT_TRUE(nob::named_message_queue::remove(names[2]));
}

TYPED_TEST(FreshOwnership, AForkedChildOpensItAndNeverRemovesIt) {
  auto h = TypeParam::make();
  const std::string name = h.name();
  TypeParam::mark(h);
  const pid_t pid = start_child([&] {
    {
      auto by_name = TypeParam::open(name);
      if (!by_name.linked_existing() || !TypeParam::marked(by_name)) return 1;
    }
    h.close();  // its copy of the creator's handle: the child is not the creator
    return TypeParam::exists(name) ? 0 : 2;
  });
  ASSERT_GE(pid, 0);
  EXPECT_TRUE(child_passed(pid));
  EXPECT_TRUE(TypeParam::exists(name));
  h.close();
  EXPECT_FALSE(TypeParam::exists(name));
}

TYPED_TEST(FreshOwnership, AnExecdProgramOpensItByName) {
  const char* helper = std::getenv("NOB_FRESH_HELPER");
  if (helper == nullptr) GTEST_SKIP() << "NOB_FRESH_HELPER is not set (meson test sets it)";
  auto h = TypeParam::make();
  const std::string name = h.name();
  TypeParam::mark(h);
  const pid_t pid = start_child([&] {
    ::execl(helper, helper, kind_label<TypeParam>(), name.c_str(), static_cast<char*>(nullptr));
    return 127;
  });
  ASSERT_GE(pid, 0);
  EXPECT_TRUE(child_passed(pid));
  EXPECT_TRUE(TypeParam::exists(name));  // the program linked: it removed nothing
  h.close();
  EXPECT_FALSE(TypeParam::exists(name));
}

}  // namespace
