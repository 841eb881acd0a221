// Bad files at the name: foreign, truncated, corrupt or of another layout
// version are refused with EINVAL and a clear message, never a crash; the
// name stays (it is not ours to remove) and remove() can clear it.
#include "support.hpp"

#include <sys/stat.h>

#include <cstring>

namespace robust_test {
namespace {

class BadFiles : public RobustTest {
 protected:
  /// A sound file of capacity 2 made by nob, as bytes.
  std::string sound_bytes() {
    const auto name = unique_name("model");
    robust_semaphore s(name, existence_policy::raise_if_exists, 2);
    s.persistent(true);
    std::string bytes;
    FILE* f = std::fopen(shm_path(name).c_str(), "rb");
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, n);
    std::fclose(f);
    return bytes;
  }

  void plant(const std::string& name, const std::string& bytes) {
    FILE* f = std::fopen(shm_path(name).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    ::chmod(shm_path(name).c_str(), 0600);
  }

  /// Opening `name` (under both opening policies) throws EINVAL mentioning `why`.
  void expect_refused(const std::string& name, const std::string& why) {
    for (auto policy : {existence_policy::raise_if_not_exists, existence_policy::link_or_create}) {
      try {
        robust_semaphore s(name, policy, 2);
        ADD_FAILURE() << "opened a bad file (" << why << ")";
      } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::invalid_argument) << e.what();
        EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      }
    }
    EXPECT_TRUE(file_present(name));
    EXPECT_TRUE(robust_semaphore::exists(name)) << "something is at the name";
  }
};

TEST_F(BadFiles, Foreign) {
  const auto name = unique_name();
  plant(name, std::string(8192, 'x'));
  expect_refused(name, "not a nob robust semaphore");
  EXPECT_TRUE(robust_semaphore::remove(name));
  EXPECT_FALSE(file_present(name));
}

TEST_F(BadFiles, EmptyAndShort) {
  const auto name = unique_name();
  plant(name, "");
  expect_refused(name, "truncated");
  plant(name, "nob-rsem");
  expect_refused(name, "truncated");
}

TEST_F(BadFiles, TruncatedOrGrown) {
  const std::string good = sound_bytes();
  const auto name = unique_name();
  plant(name, good.substr(0, good.size() - 8));
  expect_refused(name, "truncated");
  plant(name, good + std::string(8, '\0'));
  expect_refused(name, "corrupt");
}

TEST_F(BadFiles, OtherVersion) {
  std::string bytes = sound_bytes();
  const std::uint32_t v = 99;
  std::memcpy(&bytes[8], &v, 4);
  const auto name = unique_name();
  plant(name, bytes);
  expect_refused(name, "version");
}

TEST_F(BadFiles, CorruptHeader) {
  const std::string good = sound_bytes();
  const auto name = unique_name();
  for (std::uint32_t cap : {0u, 3u, 70000u, 0xffffffffu}) {
    std::string bytes = good;
    std::memcpy(&bytes[12], &cap, 4);  // capacity
    plant(name, bytes);
    expect_refused(name, cap == 3u ? "truncated" : "corrupt");
  }
  for (std::uint32_t users : {0u, 70000u}) {
    std::string bytes = good;
    std::memcpy(&bytes[16], &users, 4);
    plant(name, bytes);
    expect_refused(name, "corrupt");
  }
}

TEST_F(BadFiles, GarbageSlotsAndUsersAreFreedNotTrusted) {
  std::string bytes = sound_bytes();
  // every byte after the header: random-looking tokens and generations
  for (std::size_t i = 64; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131 + 7) & 0xff);
  const auto name = unique_name();
  plant(name, bytes);
  try {
    robust_semaphore s(name, existence_policy::raise_if_not_exists);
    // whatever the garbage, the object works: nothing there is a live holder
    EXPECT_EQ(s.value(), 2);
    EXPECT_TRUE(s.holders().empty());
    EXPECT_TRUE(s.try_acquire());
    EXPECT_TRUE(s.try_acquire());
    EXPECT_FALSE(s.try_acquire());
  } catch (const std::system_error& e) {
    // the file looks stale (no live user, not persistent): it counts as absent
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory) << e.what();
  }
}

TEST_F(BadFiles, DirectoryOrSymlink) {
  const auto name = unique_name();
  ASSERT_EQ(::mkdir(shm_path(name).c_str(), 0700), 0);
  EXPECT_THROW(robust_semaphore(name, existence_policy::link_or_create), std::system_error);
  ::rmdir(shm_path(name).c_str());
  ASSERT_EQ(::symlink("/dev/null", shm_path(name).c_str()), 0);
  EXPECT_THROW(robust_semaphore(name, existence_policy::link_or_create), std::system_error);
  ::unlink(shm_path(name).c_str());
}

}  // namespace
}  // namespace robust_test
