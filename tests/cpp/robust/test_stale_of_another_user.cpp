// A stale robust semaphore of another user (issue 19 item 1): a 0666 pool
// whose users all died (a crash is enough). The sticky /dev/shm refuses
// this user's unlink with EPERM; opens used to take that as "absent" and
// loop create -> EEXIST -> attach -> absent for ever at 99% CPU, while
// exists() and remove() said false. Now no loop is unbounded:
// link_or_create joins it (this user may write it) and revives it,
// the creating policies are refused with an error that names the owner,
// raise_if_not_exists says ENOENT (a stale object counts as absent),
// remove() says why it cannot, and status() tells what is there.
// Played by two real users (tests/cpp/robust/hostile.hpp).
#include "hostile.hpp"

#include <cstring>

namespace robust_test {
namespace {

class StaleOfAnotherUser : public HostileTest {
 protected:
  /// The attacker's 0666 semaphore of `cap` units, one of them held by a
  /// process of the attacker's that is then SIGKILLed: stale.
  void make_stale(const std::string& name, unsigned cap) {
    children kids;
    ready_pipe held;
    const pid_t owner = kids.keep(start_as(attacker, [&]() -> int {
      robust_semaphore s(name, existence_policy::raise_if_exists, cap, 0666);
      s.acquire();
      held.signal();
      for (;;) ::pause();
    }));
    ASSERT_TRUE(held.wait());
    ::kill(owner, SIGKILL);
    kids.wait(owner);
    ASSERT_TRUE(file_present(name));
  }

  /// Runs `f` as the victim, with 20 s to live (a spinning open fails the
  /// test instead of hanging it); its exit status.
  template <class F>
  int as_victim(F&& f) {
    return wait_child(start_as(victim, [&]() -> int {
      ::alarm(20);
      return f();
    }));
  }

  /// 0 when `f` throws a system_error with `code` whose what() holds
  /// `text`, within `limit` seconds; else which check failed.
  template <class F>
  static int throws(F&& f, std::errc code, const std::string& text, double limit = 2.0) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      f();
      return 1;
    } catch (const std::system_error& e) {
      std::printf("[ stale ] %s\n", e.what());
      std::fflush(stdout);
      if (e.code() != code) return 2;
      if (std::string(e.what()).find(text) == std::string::npos) return 3;
    }
    return seconds_since(t0) <= limit ? 0 : 4;
  }

  std::string owner_text() const { return "uid " + std::to_string(attacker.uid); }
};

TEST_F(StaleOfAnotherUser, LinkOrCreateJoinsAndRevivesIt) {
  const std::string name = unique_name();
  make_stale(name, 2);
  EXPECT_EQ(as_victim([&]() -> int {
              const auto t0 = std::chrono::steady_clock::now();
              robust_semaphore s(name, existence_policy::link_or_create, 5, 0600);
              if (seconds_since(t0) > 2.0) return 10;
              if (!s.linked_existing()) return 11;
              if (s.capacity() != 2 || s.value() != 2) return 12;  // the dead one's unit is free
              if (!s.try_acquire() || !s.try_acquire() || s.try_acquire()) return 13;
              const auto hs = s.holders();
              if (hs.size() != 1 || hs[0].pid != ::getpid() || hs[0].units != 2) return 14;
              if (!robust_semaphore::exists(name)) return 15;  // live again while it is in
              return 0;
            }),
            0);
  // its last user closed it; the victim could not remove it: stale again, and still there
  EXPECT_TRUE(file_present(name));
  EXPECT_EQ(as_victim([&] { return robust_semaphore::exists(name) ? 1 : 0; }), 0);
}

TEST_F(StaleOfAnotherUser, CreatingPoliciesAreRefusedNamingTheOwner) {
  const std::string name = unique_name();
  make_stale(name, 1);
  EXPECT_EQ(as_victim([&] {
              return throws([&] { robust_semaphore s(name, existence_policy::raise_if_exists, 1); },
                            std::errc::operation_not_permitted, owner_text());
            }),
            0);
  EXPECT_EQ(as_victim([&] {
              return throws([&] { robust_semaphore s(name, existence_policy::unlink_and_create, 1); },
                            std::errc::operation_not_permitted, owner_text());
            }),
            0);
}

TEST_F(StaleOfAnotherUser, OpeningItSaysAbsent) {
  const std::string name = unique_name();
  make_stale(name, 1);
  EXPECT_EQ(as_victim([&] {
              return throws([&] { robust_semaphore s(name); },
                            std::errc::no_such_file_or_directory, owner_text());
            }),
            0);
}

TEST_F(StaleOfAnotherUser, ExistsRemoveAndStatusTellTheTruth) {
  const std::string name = unique_name();
  make_stale(name, 1);
  const uid_t owner = attacker.uid;
  EXPECT_EQ(as_victim([&]() -> int {
              if (robust_semaphore::exists(name)) return 20;  // no live user: absent
              const nob::robust_status st = robust_semaphore::status(name);
              if (st.state != nob::robust_state::stale) return 21;
              if (st.owner != owner || st.mode != 0666) return 22;
              const int r = throws([&] { robust_semaphore::remove(name); },
                                   std::errc::operation_not_permitted, owner_text());
              return r == 0 ? 0 : 30 + r;
            }),
            0);
  EXPECT_TRUE(file_present(name));
  EXPECT_EQ(robust_semaphore::status(name).state, nob::robust_state::stale);
  EXPECT_FALSE(robust_semaphore::remove(name));  // root may: gone, and it was stale
  EXPECT_EQ(robust_semaphore::status(name).state, nob::robust_state::absent);
  EXPECT_FALSE(file_present(name));
  EXPECT_NE(::access(lock_path(name).c_str(), F_OK), 0);
}

}  // namespace
}  // namespace robust_test
