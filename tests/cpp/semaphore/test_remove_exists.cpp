// The static remove() and exists().
#include "../common/support.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using nob_test::SemTest;

class RemoveExists : public SemTest {};

TEST_F(RemoveExists, ExistsFollowsTheName) {
  const std::string name = unique_name();
  EXPECT_FALSE(named_semaphore::exists(name));
  named_semaphore s(name, existence_policy::raise_if_exists);
  EXPECT_TRUE(named_semaphore::exists(name));
  EXPECT_TRUE(named_semaphore::exists("/" + name));
  EXPECT_TRUE(named_semaphore::exists("//" + name));
  s.close();
  EXPECT_FALSE(named_semaphore::exists(name));
}

TEST_F(RemoveExists, RemoveReturnsTrueOnceThenFalse) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists, 0);
  EXPECT_TRUE(named_semaphore::remove("/" + name));
  EXPECT_FALSE(named_semaphore::exists(name));
  EXPECT_FALSE(named_semaphore::remove(name));
  s.release();  // the open handle lives on
  EXPECT_EQ(s.value(), 1);
}

TEST_F(RemoveExists, RemoveOfAMissingNameIsFalse) {
  EXPECT_FALSE(named_semaphore::remove(unique_name()));
}

TEST_F(RemoveExists, ExistsDoesNotCreate) {
  const std::string name = unique_name();
  EXPECT_FALSE(named_semaphore::exists(name));
  EXPECT_FALSE(named_semaphore::exists(name));
  EXPECT_THROW(named_semaphore s(name), std::system_error);
}

TEST_F(RemoveExists, SeenFromAnotherProcess) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  EXPECT_EQ(nob_test::run_in_child([&] { return named_semaphore::exists(name) ? 0 : 1; }), 0);
  EXPECT_EQ(nob_test::run_in_child([&] { return named_semaphore::remove(name) ? 0 : 1; }), 0);
  EXPECT_FALSE(named_semaphore::exists(name));
}

TEST_F(RemoveExists, BackedByDevShmFile) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  EXPECT_EQ(::access(("/dev/shm/sem." + name).c_str(), F_OK), 0)
      << "other sem_open users look for /dev/shm/sem.NAME";
}

}  // namespace
