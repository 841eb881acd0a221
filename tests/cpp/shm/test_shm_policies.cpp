// Shared memory: the four existence policies, size on create and on link,
// read_only, and what the accessors say.
#include "../common/ipc_support.hpp"

#include <cstdio>
#include <cstring>

namespace {

using nob::existence_policy;
using nob::named_shared_memory;
using nob_test::IpcTest;

class ShmPolicies : public IpcTest {};

/// The permissions column of /proc/self/maps for the mapping at `p`
/// ("r--s": read-only shared), or "" when there is none.
std::string mapping_permissions(const void* p) {
  std::FILE* f = std::fopen("/proc/self/maps", "r");
  if (f == nullptr) return "";
  char line[512];
  std::string perms;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long start = 0, end = 0;
    char pm[5] = {};
    if (std::sscanf(line, "%lx-%lx %4s", &start, &end, pm) == 3 &&
        start == reinterpret_cast<unsigned long>(p)) {
      perms = pm;
      break;
    }
  }
  std::fclose(f);
  return perms;
}

TEST_F(ShmPolicies, RaiseIfExistsCreatesZeroedMemoryOfTheSize) {
  const std::string name = unique_name();
  named_shared_memory m(name, existence_policy::raise_if_exists, 10000);
  EXPECT_FALSE(m.linked_existing());
  EXPECT_TRUE(m.unlink_on_destroy());
  EXPECT_EQ(m.name(), "/" + name);
  ASSERT_EQ(m.size(), 10000u);
  ASSERT_NE(m.data(), nullptr);
  const auto* p = static_cast<const unsigned char*>(m.data());
  for (std::size_t i = 0; i < m.size(); ++i) ASSERT_EQ(p[i], 0) << i;
  struct stat st {};
  ASSERT_EQ(::fstat(m.native_handle(), &st), 0);
  EXPECT_EQ(st.st_size, 10000);
  EXPECT_TRUE(named_shared_memory::exists(name));
}

TEST_F(ShmPolicies, RaiseIfExistsFailsWithFileExists) {
  const std::string name = unique_name();
  named_shared_memory m(name, existence_policy::raise_if_exists, 64);
  try {
    named_shared_memory again(name, existence_policy::raise_if_exists, 64);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::file_exists);
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

TEST_F(ShmPolicies, RaiseIfNotExistsFailsWithNoSuchFile) {
  const std::string name = unique_name();
  try {
    named_shared_memory m(name);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
  EXPECT_FALSE(named_shared_memory::exists(name));
}

TEST_F(ShmPolicies, LinkingTakesTheObjectAsItIsWhateverSize) {
  const std::string name = unique_name();
  named_shared_memory creator(name, existence_policy::raise_if_exists, 4096);
  std::memcpy(creator.data(), "shared", 7);
  for (std::size_t asked : {std::size_t{0}, std::size_t{1}, std::size_t{99999}}) {
    named_shared_memory a(name, existence_policy::raise_if_not_exists, asked);
    named_shared_memory b(name, existence_policy::link_or_create, asked);
    for (auto* m : {&a, &b}) {
      EXPECT_TRUE(m->linked_existing());
      EXPECT_FALSE(m->unlink_on_destroy());
      ASSERT_EQ(m->size(), 4096u);
      EXPECT_STREQ(static_cast<const char*>(m->data()), "shared");
    }
  }
  struct stat st {};
  ASSERT_EQ(::fstat(creator.native_handle(), &st), 0);
  EXPECT_EQ(st.st_size, 4096) << "linking resized the object";
}

TEST_F(ShmPolicies, LinkOrCreateCreatesWhenAbsent) {
  const std::string name = unique_name();
  named_shared_memory m(name, existence_policy::link_or_create, 128);
  EXPECT_FALSE(m.linked_existing());
  EXPECT_TRUE(m.unlink_on_destroy());
  EXPECT_EQ(m.size(), 128u);
}

TEST_F(ShmPolicies, UnlinkAndCreateReplacesTheObject) {
  const std::string name = unique_name();
  named_shared_memory old(name, existence_policy::raise_if_exists, 64);
  std::memcpy(old.data(), "old", 4);
  named_shared_memory fresh(name, existence_policy::unlink_and_create, 256);
  EXPECT_FALSE(fresh.linked_existing());
  EXPECT_EQ(fresh.size(), 256u);
  EXPECT_EQ(static_cast<const char*>(fresh.data())[0], 0);
  named_shared_memory look(name);
  EXPECT_EQ(look.size(), 256u);
  EXPECT_STREQ(static_cast<const char*>(old.data()), "old") << "the old mapping lives on";
}

TEST_F(ShmPolicies, SizeZeroMapsNothing) {
  const std::string name = unique_name();
  named_shared_memory m(name, existence_policy::raise_if_exists, 0);
  EXPECT_TRUE(m.is_open());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.data(), nullptr);
  EXPECT_GE(m.native_handle(), 0);
  named_shared_memory l(name);
  EXPECT_EQ(l.size(), 0u);
}

TEST_F(ShmPolicies, ReadOnlyOpensReadOnlyAndMapsReadOnly) {
  const std::string name = unique_name();
  named_shared_memory w(name, existence_policy::raise_if_exists, 64);
  std::memcpy(w.data(), "abc", 4);
  named_shared_memory r(name, existence_policy::raise_if_not_exists, 0, true);
  EXPECT_TRUE(r.read_only());
  EXPECT_FALSE(w.read_only());
  EXPECT_STREQ(static_cast<const char*>(r.data()), "abc");
  EXPECT_EQ(::fcntl(r.native_handle(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(::fcntl(w.native_handle(), F_GETFL) & O_ACCMODE, O_RDWR);
  EXPECT_EQ(mapping_permissions(r.data()), "r--s");
  EXPECT_EQ(mapping_permissions(w.data()), "rw-s");
  EXPECT_STREQ(static_cast<const char*>(w.data()), "abc");
}

TEST_F(ShmPolicies, ReadOnlyCreateGivesZeroedReadOnlyMemory) {
  const std::string name = unique_name();
  named_shared_memory r(name, existence_policy::link_or_create, 32, true);
  EXPECT_FALSE(r.linked_existing());
  ASSERT_EQ(r.size(), 32u);
  EXPECT_EQ(static_cast<const char*>(r.data())[31], 0);
  EXPECT_EQ(mapping_permissions(r.data()), "r--s");
  if (nob::uses_dev_shm) {
    EXPECT_EQ(::fcntl(r.native_handle(), F_GETFL) & O_ACCMODE, O_RDONLY);
  }
}

TEST_F(ShmPolicies, ReadOnlyOfAnObjectWithoutWritePermissionWorks) {
  const std::string name = unique_name();
  named_shared_memory w(name, existence_policy::raise_if_exists, 16, false, 0444);
  std::memcpy(w.data(), "ro", 3);
  // Another user (or this one, if not root) may read but not write.
  const int rc = nob_test::run_unprivileged([&] {
    named_shared_memory r(name, existence_policy::raise_if_not_exists, 0, true);
    if (std::strcmp(static_cast<const char*>(r.data()), "ro") != 0) return 1;
    try {
      named_shared_memory rw(name);
      return 2;
    } catch (const std::system_error& e) {
      return e.code() == std::errc::permission_denied ? 0 : 3;
    }
  });
  EXPECT_EQ(rc, 0);
}

TEST_F(ShmPolicies, ExistsAndRemove) {
  const std::string name = unique_name();
  EXPECT_FALSE(named_shared_memory::exists(name));
  EXPECT_FALSE(named_shared_memory::remove(name));
  {
    named_shared_memory m(name, existence_policy::raise_if_exists, 8);
    m.unlink_on_destroy(false);
  }
  EXPECT_TRUE(named_shared_memory::exists("/" + name));
  EXPECT_TRUE(named_shared_memory::remove("//" + name));
  EXPECT_FALSE(named_shared_memory::exists(name));
}

TEST_F(ShmPolicies, ALinkedSymlinkIsRefused) {
  if (!nob::uses_dev_shm) GTEST_SKIP() << "shm_open path";
  const std::string name = unique_name();
  const std::string target = unique_name("target");
  named_shared_memory t(target, existence_policy::raise_if_exists, 8);
  ASSERT_EQ(::symlink(("/dev/shm/" + target).c_str(), ("/dev/shm/" + name).c_str()), 0);
  EXPECT_THROW(named_shared_memory(name, existence_policy::raise_if_not_exists),
               std::system_error);
  EXPECT_THROW(named_shared_memory(name, existence_policy::link_or_create, 8), std::system_error);
}

TEST_F(ShmPolicies, AFifoOrDirectoryInPlaceOfTheNameIsRefusedWithoutHanging) {
  if (!nob::uses_dev_shm) GTEST_SKIP() << "shm_open path";
  const std::string fifo = unique_name("fifo"), dir = unique_name("dir");
  ASSERT_EQ(::mkfifo(("/dev/shm/" + fifo).c_str(), 0600), 0);
  ASSERT_EQ(::mkdir(("/dev/shm/" + dir).c_str(), 0700), 0);
  for (const std::string& name : {fifo, dir}) {
    for (bool read_only : {true, false}) {
      const auto took = nob_test::time_of([&] {
        try {
          named_shared_memory m(name, existence_policy::link_or_create, 8, read_only);
          ADD_FAILURE() << name << " opened";
        } catch (const std::system_error& e) {
          EXPECT_TRUE(e.code() == std::errc::invalid_argument ||
                      e.code() == std::errc::is_a_directory)
              << e.what();
        }
      });
      EXPECT_LT(took, std::chrono::seconds(5)) << name;
    }
  }
  ::rmdir(("/dev/shm/" + dir).c_str());
}

}  // namespace
