// create_unique() of every kind: the names it gives are valid, have the
// documented form, are fresh, and differ between handles, threads and
// processes (also a forked child's from its parent's next one).
#include "support.hpp"

#include <set>
#include <thread>

namespace {

using namespace fresh_test;

template <class Kind>
class FreshNames : public ::testing::Test {};
TYPED_TEST_SUITE(FreshNames, Kinds, KindNames);

TYPED_TEST(FreshNames, AreValidNamesOfTheDocumentedForm) {
  auto h = TypeParam::make();
  EXPECT_TRUE(looks_fresh(h.name())) << h.name();
  EXPECT_TRUE(nob::is_valid_name(h.name()));
  EXPECT_EQ(nob::normalize_name(h.name()), h.name());
  EXPECT_LE(h.name().size() - 1, nob::detail::max_name_length);
  EXPECT_FALSE(h.linked_existing());
  EXPECT_TRUE(TypeParam::exists(h.name()));
}

TYPED_TEST(FreshNames, TheNonThrowingTwinGivesOneToo) {
  std::error_code ec = std::make_error_code(std::errc::io_error);
  auto h = TypeParam::make(ec);
  ASSERT_TRUE(h.has_value()) << ec.message();
  EXPECT_FALSE(ec);
  EXPECT_TRUE(looks_fresh(h->name())) << h->name();
  EXPECT_TRUE(TypeParam::exists(h->name()));
}

TYPED_TEST(FreshNames, NoTwoHandlesShareOne) {
  std::vector<typename TypeParam::handle> handles;
  std::set<std::string> names;
  for (int i = 0; i < 40; ++i) {
    handles.push_back(TypeParam::make());
    EXPECT_TRUE(names.insert(handles.back().name()).second) << handles.back().name();
  }
}

TYPED_TEST(FreshNames, ThreadsDrawDifferentNames) {
  constexpr int threads = 4, each = 10;
  std::vector<std::vector<std::string>> got(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&got, t] {
      std::vector<typename TypeParam::handle> keep;
      for (int i = 0; i < each; ++i) {
        keep.push_back(TypeParam::make());
        got[t].push_back(keep.back().name());
      }
    });
  }
  for (auto& th : pool) th.join();
  std::set<std::string> all;
  for (const auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * each));
  for (const auto& n : all) EXPECT_FALSE(TypeParam::exists(n)) << n << " outlived its handle";
}

/// Reads every line a child wrote to `fd`.
std::vector<std::string> read_lines(int fd) {
  std::string text;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  std::vector<std::string> lines;
  for (std::size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(text.substr(at, nl - at));
  return lines;
}

TYPED_TEST(FreshNames, ProcessesDrawDifferentNames) {
  // Each child keeps its objects until every child has made its own (a
  // pipe that closes when the parent says so), then closes them.
  constexpr int children = 3, each = 10;
  int names_pipe[2], go_pipe[2];
  ASSERT_EQ(::pipe(names_pipe), 0);
  ASSERT_EQ(::pipe(go_pipe), 0);
  std::vector<pid_t> pids;
  for (int c = 0; c < children; ++c) {
    const pid_t pid = start_child([&] {
      ::close(names_pipe[0]);
      ::close(go_pipe[1]);
      std::vector<typename TypeParam::handle> keep;
      for (int i = 0; i < each; ++i) {
        keep.push_back(TypeParam::make());
        const std::string line = keep.back().name() + "\n";
        if (::write(names_pipe[1], line.data(), line.size()) < 0) return 2;
      }
      ::close(names_pipe[1]);
      char x;
      while (::read(go_pipe[0], &x, 1) > 0) {
      }
      return 0;
    });
    ASSERT_GE(pid, 0);
    pids.push_back(pid);
  }
  ::close(names_pipe[1]);
  ::close(go_pipe[0]);
  const auto lines = read_lines(names_pipe[0]);  // every child has made all of its objects
  ::close(names_pipe[0]);
  ::close(go_pipe[1]);
  for (pid_t pid : pids) EXPECT_TRUE(child_passed(pid));
  std::set<std::string> all(lines.begin(), lines.end());
  EXPECT_EQ(lines.size(), static_cast<std::size_t>(children * each));
  EXPECT_EQ(all.size(), lines.size());
  for (const auto& n : all) {
    EXPECT_TRUE(looks_fresh(n)) << n;
    EXPECT_FALSE(TypeParam::exists(n)) << n << " outlived its child";
  }
}

TYPED_TEST(FreshNames, AForkedChildDrawsNotWhatItsParentDrawsNext) {
  // A generator whose state fork() copies would give the child's name to
  // the parent's next draw: the child's object is gone by then (its handle
  // unlinked it), so no collision would hide the repeat.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const pid_t pid = start_child([&] {
    ::close(p[0]);
    std::string name;
    {
      auto h = TypeParam::make();
      name = h.name() + "\n";
    }
    return ::write(p[1], name.data(), name.size()) < 0 ? 2 : 0;
  });
  ASSERT_GE(pid, 0);
  ::close(p[1]);
  const auto lines = read_lines(p[0]);
  ::close(p[0]);
  ASSERT_TRUE(child_passed(pid));
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_FALSE(TypeParam::exists(lines[0]));
  auto mine = TypeParam::make();
  EXPECT_NE(mine.name(), lines[0]);
}

TEST(FreshNameLength, FitsTheNameLimitOfThisBuild) {
  // 20 bytes after the slash: within 251 and within Darwin's 30 (the
  // darwin-names build of this suite has NOB_MAX_NAME_LENGTH=30).
  EXPECT_EQ(nob::detail::fresh_name_length, 20u);
  EXPECT_LE(nob::detail::fresh_name_length, nob::detail::max_name_length);
#ifdef NOB_TEST_EXPECT_MAX_NAME_LENGTH
  EXPECT_EQ(nob::detail::max_name_length, static_cast<std::size_t>(NOB_TEST_EXPECT_MAX_NAME_LENGTH));
#endif
  auto s = nob::named_semaphore::create_unique();
  EXPECT_TRUE(nob::is_valid_name(s.name()));
}

}  // namespace
