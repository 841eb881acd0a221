// A full /dev/shm gives ENOSPC, never SIGBUS, and leaves nothing behind
// (issue 19 item 3). Robust files were sized with ftruncate (sparse) and
// written through the mapping: with a 64 KiB tmpfs filled by another user,
// creating one died of SIGBUS, and with one page left the create succeeded
// and the first acquire() died of SIGBUS, leaving a stale file. Now every
// page of the data file is allocated (posix_fallocate) before it is mapped.
// Each case runs in a forked child with a private mount namespace and its
// own small tmpfs on /dev/shm; the filler is another real user.
// named_shared_memory keeps POSIX's lazy default (the first write to a page
// /dev/shm has no room for dies of SIGBUS) and offers
// shm_allocation::at_create, which makes the create itself fail with ENOSPC
// and leave no name (issue 19 item 3, second half).
#include "hostile.hpp"

#include <nob/shared_memory.hpp>

#include <cstring>

namespace robust_test {
namespace {

/// Exit status of `pid`, or 200 + the signal that killed it.
int status_of(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(st)) return 200 + WTERMSIG(st);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 199;
}

/// Names in /dev/shm that start with "nob" (nob's data, lock and temporary files).
int nob_files() {
  return static_cast<int>(shm_files("nob").size());
}

class FullShm : public HostileTest {
 protected:
  /// Runs `f` in a forked child that has its own mount namespace with a
  /// tmpfs of `size` on /dev/shm, filled by the attacker up to `leave`
  /// bytes; `f`'s result, or 200 + the signal that killed it.
  template <class F>
  int in_small_shm(const char* size, off_t leave, F&& f) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (!nob_test::enter_private_dev_shm((std::string("mode=1777,size=") + size).c_str()))
        ::_exit(90);
      const int filled = status_of(start_as(attacker, [&]() -> int {
        const int fd = ::open("/dev/shm/filler", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) return 1;
        static char block[4096];
        off_t at = 0;
        while (::pwrite(fd, block, sizeof block, at) == static_cast<ssize_t>(sizeof block)) at += 4096;
        if (errno != ENOSPC) return 2;
        return leave == 0 || ::ftruncate(fd, at > leave ? at - leave : 0) == 0 ? 0 : 3;
      }));
      if (filled != 0) ::_exit(91);
      ::_exit(status_of(start_as(victim, f)));
    }
    return status_of(pid);
  }
};

/// The victim's part: creating fails with ENOSPC, nothing of nob's is left.
int create_fails_cleanly(const std::string& name) {
  try {
    robust_semaphore s(name, existence_policy::link_or_create, 1);
    s.acquire();  // before the fix, with a page left: SIGBUS here
    return 10;
  } catch (const std::system_error& e) {
    if (e.code() != std::errc::no_space_on_device) return 11;
  }
  if (nob_files() != 0) return 12;
  if (robust_semaphore::exists(name)) return 13;
  return 0;
}

TEST_F(FullShm, CreateOnAFullShmIsEnospcNotSigbus) {
  const std::string name = unique_name();
  EXPECT_EQ(in_small_shm("64k", 0, [&] { return create_fails_cleanly(name); }), 0);
}

TEST_F(FullShm, CreateWithOnePageLeftIsEnospcNotASigbusAtTheFirstAcquire) {
  const std::string name = unique_name();
  EXPECT_EQ(in_small_shm("1m", 4096, [&] { return create_fails_cleanly(name); }), 0);
}

TEST_F(FullShm, WithRoomItWorksAndLeavesNothing) {
  const std::string name = unique_name();
  EXPECT_EQ(in_small_shm("1m", 256 * 1024, [&]() -> int {
              {
                robust_semaphore s(name, existence_policy::link_or_create, 3);
                for (int i = 0; i < 3; ++i)
                  if (!s.try_acquire()) return 20;
                s.release(3);
              }
              return nob_files() == 0 ? 0 : 21;
            }),
            0);
}

constexpr std::size_t shm_size = 64 * 1024;

/// The victim's part: creates a shared memory object of shm_size with
/// `allocation` and writes every byte of it; 0 when that worked.
int create_and_fill(const std::string& name, nob::shm_allocation allocation) {
  nob::named_shared_memory m(name, existence_policy::link_or_create, shm_size, false, 0600,
                             nob::owner_check::any_owner, allocation);
  std::memset(m.data(), 1, shm_size);  // lazy on a full /dev/shm: SIGBUS here
  return 0;
}

/// The victim's part: an at_create create fails with ENOSPC and leaves no name.
int allocated_create_fails_cleanly(const std::string& name) {
  try {
    create_and_fill(name, nob::shm_allocation::at_create);
    return 10;
  } catch (const std::system_error& e) {
    if (e.code() != std::errc::no_space_on_device) return 11;
  }
  return ::access(("/dev/shm" + name).c_str(), F_OK) != 0 ? 0 : 12;
}

TEST_F(FullShm, SharedMemoryAllocatedAtCreateIsEnospcNotSigbus) {
  const std::string name = unique_name();
  EXPECT_EQ(in_small_shm("64k", 0, [&] { return allocated_create_fails_cleanly(name); }), 0);
  EXPECT_EQ(in_small_shm("1m", 4096, [&] { return allocated_create_fails_cleanly(name); }), 0);
}

TEST_F(FullShm, SharedMemoryIsLazyByDefaultAsInPosix) {
  // the default is kept: the create succeeds, the first write with no room dies of SIGBUS
  const std::string name = unique_name();
  EXPECT_EQ(in_small_shm("1m", 4096, [&] {
              ::signal(SIGBUS, SIG_DFL);  // the kernel's death, not a sanitizer's report and abort
              return create_and_fill(name, nob::shm_allocation::lazy);
            }),
            200 + SIGBUS);
}

TEST_F(FullShm, SharedMemoryAllocatedAtCreateWithRoomWorks) {
  const std::string name = unique_name();
  EXPECT_EQ(in_small_shm("1m", 256 * 1024, [&]() -> int {
              if (create_and_fill(name, nob::shm_allocation::at_create) != 0) return 20;
              return nob::named_shared_memory::exists(name) ? 21 : 0;  // its creator unlinked it
            }),
            0);
}

/// The victim's part: create_unique(..., at_create), both forms, fails with
/// ENOSPC and leaves no fresh name (it used to create lazily whatever it
/// was asked: the object appeared, and its first write died of SIGBUS).
int unique_allocated_create_fails_cleanly() {
  try {
    nob::named_shared_memory::create_unique(shm_size, false, 0600, nob::shm_allocation::at_create);
    return 10;
  } catch (const std::system_error& e) {
    if (e.code() != std::errc::no_space_on_device) return 11;
  }
  std::error_code ec;
  const auto m = nob::named_shared_memory::create_unique(ec, shm_size, false, 0600,
                                                         nob::shm_allocation::at_create);
  if (m || ec != std::errc::no_space_on_device) return 12;
  return nob_files() == 0 ? 0 : 13;
}

TEST_F(FullShm, SharedMemoryUnderAFreshNameAllocatedAtCreateIsEnospcToo) {
  EXPECT_EQ(in_small_shm("64k", 0, [] { return unique_allocated_create_fails_cleanly(); }), 0);
}

}  // namespace
}  // namespace robust_test
