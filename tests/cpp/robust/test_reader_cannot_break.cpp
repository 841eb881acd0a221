// A user who may only read a robust semaphore (mode 0644: the attacker is
// "others") cannot break it (issue 19 item 2). An O_RDONLY descriptor can
// take OFD read locks, and with the locks in the data file a reader could
// block every open, fork and close (a read lock on byte 0), keep a dead
// holder alive for ever (a reader waiting on its entry byte is handed the
// byte when the holder dies), and exhaust the user table (read locks on
// the free entry bytes). Every lock now lives in the lock file
// /dev/shm/nob~NAME, which only users who may write the semaphore can open.
// Each test is played by two real users (tests/cpp/robust/hostile.hpp).
#include "hostile.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>

#include <cstring>

namespace robust_test {
namespace {

constexpr mode_t others_may_read = 0644;
constexpr off_t version1_entry_bytes = off_t(1) << 30;  // where layout 1 kept them

class ReaderCannotBreak : public HostileTest {
 protected:
  /// The attacker, as issue 19 played it on layout 1 (locks in the data
  /// file): opens the data file read-only; with `block`, read-locks byte 0
  /// (the file-wide lock of layout 1) and every entry byte it can (layout
  /// 1's 2^30 + i: the free ones); waits (F_OFD_SETLKW) for read locks on
  /// the others (the live users'); checks that it cannot open the lock file
  /// at all; says "r" on `ready` and sleeps until killed.
  pid_t start_reader(const std::string& name, ready_pipe& ready, bool block) {
    return start_as(attacker, [&, block]() -> int {
      const int fd = ::open(shm_path(name).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return 20;
      if (block && ofd_range_lock(fd, F_RDLCK, 0, 1, false) != 0) return 21;
      for (off_t i = 0; i < 65536; ++i) {
        struct flock probe {};  // a write lock of a live user on it?
        probe.l_type = F_RDLCK;
        probe.l_whence = SEEK_SET;
        probe.l_start = version1_entry_bytes + i;
        probe.l_len = 1;
        if (::fcntl(fd, F_OFD_GETLK, &probe) != 0) return 24;
        if (probe.l_type == F_UNLCK) {
          if (block && ofd_range_lock(fd, F_RDLCK, version1_entry_bytes + i, 1, false) != 0) return 25;
          continue;
        }
        const int waiting = ::open(shm_path(name).c_str(), O_RDONLY | O_CLOEXEC);
        std::thread([waiting, i] {
          ofd_range_lock(waiting, F_RDLCK, version1_entry_bytes + i, 1, true);
        }).detach();
      }
      for (int flags : {O_RDONLY, O_RDWR}) {
        const int lk = ::open(lock_path(name).c_str(), flags | O_CLOEXEC);
        if (lk >= 0 || errno != EACCES) return 22;  // the lock file must be out of its reach
      }
      if (!ready.signal()) return 23;
      for (;;) ::pause();
    });
  }
};

TEST_F(ReaderCannotBreak, ReadLocksBlockNoOpenForkOrClose) {
  const std::string name = unique_name();
  children kids;
  ready_pipe made;
  kids.keep(start_as(victim, [&]() -> int {
    robust_semaphore s(name, existence_policy::raise_if_exists, 2, others_may_read);
    made.signal();
    for (;;) ::pause();
  }));
  ASSERT_TRUE(made.wait());
  ready_pipe locked;
  const pid_t reader = kids.keep(start_reader(name, locked, true));
  ASSERT_TRUE(locked.wait()) << "reader exit " << kids.wait(reader);
  const pid_t user = kids.keep(start_as(victim, [&]() -> int {
    for (int round = 0; round < 3; ++round) {  // opens (a new user entry each), forks, closes
      auto t0 = std::chrono::steady_clock::now();
      robust_semaphore s(name);
      if (seconds_since(t0) > 2.0) return 30;
      if (!s.try_acquire()) return 31;
      t0 = std::chrono::steady_clock::now();
      const pid_t child = ::fork();
      if (child == 0) {
        robust_semaphore copy(std::move(s));  // the child's own entry; it holds nothing
        ::_exit(copy.held() == 0 && copy.value() == 1 ? 0 : 1);
      }
      if (seconds_since(t0) > 2.0) return 32;
      if (wait_child(child) != 0) return 33;
      t0 = std::chrono::steady_clock::now();
      s.close();
      if (seconds_since(t0) > 2.0) return 34;
    }
    return 0;
  }));
  EXPECT_EQ(kids.wait(user), 0);
}

TEST_F(ReaderCannotBreak, AReaderWaitingOnEntryBytesKeepsNoDeadHolderAlive) {
  const std::string name = unique_name();
  children kids;
  ready_pipe held;
  const pid_t holder = kids.keep(start_as(victim, [&]() -> int {
    robust_semaphore s(name, existence_policy::raise_if_exists, 1, others_may_read);
    s.acquire();
    held.signal();
    for (;;) ::pause();
  }));
  ASSERT_TRUE(held.wait());
  int got_at[2];
  ASSERT_EQ(::pipe(got_at), 0);
  ready_pipe waiting;
  const pid_t waiter = kids.keep(start_as(victim, [&]() -> int {
    robust_semaphore s(name);
    waiting.signal();
    if (!s.try_acquire_for(10s)) return 40;
    const long long now = std::chrono::steady_clock::now().time_since_epoch().count();
    if (::write(got_at[1], &now, sizeof now) != sizeof now) return 41;
    for (const auto& h : s.holders())
      if (h.pid != ::getpid()) return 42;  // only itself: the dead holder is not listed
    return s.held() == 1 ? 0 : 43;
  }));
  ASSERT_TRUE(waiting.wait());
  ready_pipe locked;  // waits on the holder's (and the waiter's) entry bytes
  const pid_t reader = kids.keep(start_reader(name, locked, false));
  ASSERT_TRUE(locked.wait()) << "reader exit " << kids.wait(reader);
  std::this_thread::sleep_for(100ms);  // let them block
  const long long killed = std::chrono::steady_clock::now().time_since_epoch().count();
  ::kill(holder, SIGKILL);
  EXPECT_EQ(kids.wait(waiter), 0);
  long long got = 0;
  ASSERT_EQ(::read(got_at[0], &got, sizeof got), static_cast<ssize_t>(sizeof got));
  const double ms = static_cast<double>(got - killed) / 1e6;
  std::printf("[ reader ] dead holder's unit arrived %.1f ms after the kill\n", ms);
  EXPECT_LT(ms, 2000.0);
  ::close(got_at[0]);
  ::close(got_at[1]);
}

TEST_F(ReaderCannotBreak, AFutexWakeStormCostsABlockedWaiterLittle) {
  // 65536 units, all held: a spurious wake-up used to rescan every slot twice
  const std::string name = unique_name();
  constexpr unsigned cap = robust_semaphore::max_capacity();
  children kids;
  ready_pipe held;
  kids.keep(start_as(victim, [&]() -> int {
    robust_semaphore s(name, existence_policy::raise_if_exists, cap, others_may_read);
    for (unsigned i = 0; i < cap; ++i)
      if (!s.try_acquire()) return 50;
    held.signal();
    for (;;) ::pause();
  }));
  ASSERT_TRUE(held.wait());
  ready_pipe storming;
  kids.keep(start_as(attacker, [&]() -> int {
    const int fd = ::open(shm_path(name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 60;
    void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 61;
    auto* word = reinterpret_cast<std::uint32_t*>(static_cast<char*>(p) + 32);  // the wait word
    storming.signal();
    std::thread([word] {  // two storming threads
      for (;;) ::syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
    }).detach();
    for (;;) ::syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  }));
  ASSERT_TRUE(storming.wait());
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t waiter = kids.keep(start_as(victim, [&]() -> int {
    robust_semaphore s(name);
    timespec c0{}, c1{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    const auto t0 = std::chrono::steady_clock::now();
    if (s.try_acquire_for(3s)) return 70;
    const double wall = seconds_since(t0);
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    const double cpu = static_cast<double>(c1.tv_sec - c0.tv_sec) +
                       static_cast<double>(c1.tv_nsec - c0.tv_nsec) / 1e9;
    const double share = cpu / wall;
    return ::write(report[1], &share, sizeof share) == sizeof share ? 0 : 71;
  }));
  EXPECT_EQ(kids.wait(waiter), 0);
  double share = 1.0;
  ASSERT_EQ(::read(report[0], &share, sizeof share), static_cast<ssize_t>(sizeof share));
  std::printf("[ storm ] a blocked waiter used %.1f%% of a core under a FUTEX_WAKE storm\n",
              share * 100);
  EXPECT_LT(share, 0.10);
  ::close(report[0]);
  ::close(report[1]);
}

}  // namespace
}  // namespace robust_test
