// Exclusive creation where the kernel offers less (nob/detail/files.hpp):
// linkat(fd, "", AT_EMPTY_PATH) refused (before Linux 6.10 it needs
// CAP_DAC_READ_SEARCH) falls back to linking through /proc/self/fd; with
// that refused too (no /proc), or no O_TMPFILE at all, a named temporary
// file stands in. Each way the object is made whole with its exact mode, and
// nothing else is left in /dev/shm. A seccomp filter in a child (with a
// /dev/shm of its own) plays the older kernel.
#include "../common/ipc_support.hpp"

#include "../common/private_dev_shm.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cstddef>
#include <cstdio>
#include <vector>

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using nob::named_shared_memory;

/// What the filter refuses, with the errno an older kernel gives.
enum class refuse {
  empty_path_link,  ///< linkat(AT_EMPTY_PATH): ENOENT; and, so that only /proc
                    ///< can serve, every exclusive open (mkostemp): EACCES
  every_link,       ///< linkat of a nameless file, either way: ENOENT
  tmpfile,          ///< open(O_TMPFILE): EOPNOTSUPP
};

/// One rule: system call `nr` fails with `err` when argument `arg` has a bit of `mask`.
struct rule {
  long nr;
  unsigned arg;
  unsigned mask;
  unsigned err;
};

/// Installs the filter for `what` in this process; false if it could not.
bool install_refusal(refuse what) {
#if defined(__x86_64__) || defined(__aarch64__)
  constexpr unsigned tmpfile_bit = 020000000;  // __O_TMPFILE
  const rule refused_link{__NR_linkat, 4, AT_EMPTY_PATH, ENOENT};
  const rule refused_exclusive_open{__NR_openat, 2, O_EXCL, EACCES};
  const rule refused_any_link{__NR_linkat, 4, AT_EMPTY_PATH | AT_SYMLINK_FOLLOW, ENOENT};
  const rule refused_tmpfile{__NR_openat, 2, tmpfile_bit, EOPNOTSUPP};
  const rule none{-1, 0, 0, 0};
  const rule rules[2] = {
      what == refuse::empty_path_link ? refused_link
      : what == refuse::every_link    ? refused_any_link
                                      : refused_tmpfile,
      what == refuse::empty_path_link ? refused_exclusive_open : none};
  std::vector<sock_filter> prog;
  for (const rule& r : rules) {  // on a mismatch, on to the next rule
    if (r.nr < 0) continue;
    prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(r.nr), 0, 3));
    prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                            static_cast<unsigned>(offsetof(seccomp_data, args)) + 8 * r.arg));
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, r.mask, 0, 1));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | r.err));
  }
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == 0;
#else
  (void)what;
  return false;
#endif
}

/// In a child with a /dev/shm of its own and `what` refused: a semaphore and
/// a shared memory object made, whole, with their exact modes, under a
/// umask that takes bits away; then nothing else in /dev/shm. 0 when so.
int create_with(refuse what) {
  return nob_test::in_private_dev_shm([what] {
    if (!install_refusal(what)) return 90;
    ::umask(077);
    named_semaphore s("fallback-sem", existence_policy::raise_if_exists, 3, 0640);
    named_shared_memory m("fallback-shm", existence_policy::raise_if_exists, 5000, false, 0660);
    if (s.value() != 3 || m.size() != 5000) return 2;
    struct stat st {};
    if (::stat("/dev/shm/sem.fallback-sem", &st) != 0 || (st.st_mode & 07777) != 0640) return 3;
    if (::stat("/dev/shm/fallback-shm", &st) != 0 || (st.st_mode & 07777) != 0660 ||
        st.st_size != 5000)
      return 4;
    if (nob_test::dev_shm_entries().size() != 2) {
      for (const auto& f : nob_test::dev_shm_entries()) std::fprintf(stderr, "in /dev/shm: %s\n", f.c_str());
      return 5;
    }
    const bool refused = nob::detail::empty_path_link_refused.load();
    if (refused != (what != refuse::tmpfile)) return 6;  // remembered: later links go through /proc
    s.close();
    m.close();
    return nob_test::dev_shm_entries().empty() ? 0 : 7;
  });
}

class CreateFallbacks : public nob_test::IpcTest {
 protected:
  void SetUp() override {
    if (!nob::uses_dev_shm) GTEST_SKIP() << "sem_open / shm_open make the files";
  }
};

TEST_F(CreateFallbacks, EmptyPathLinkRefusedLinksThroughProc) {
  const int rc = create_with(refuse::empty_path_link);
  if (rc == nob_test::no_private_dev_shm || rc == 90) GTEST_SKIP() << "needs root and seccomp";
  EXPECT_EQ(rc, 0);
}

TEST_F(CreateFallbacks, NoLinkOfANamelessFileUsesANamedTemporary) {
  const int rc = create_with(refuse::every_link);
  if (rc == nob_test::no_private_dev_shm || rc == 90) GTEST_SKIP() << "needs root and seccomp";
  EXPECT_EQ(rc, 0);
}

TEST_F(CreateFallbacks, NoTmpfileUsesANamedTemporary) {
  const int rc = create_with(refuse::tmpfile);
  if (rc == nob_test::no_private_dev_shm || rc == 90) GTEST_SKIP() << "needs root and seccomp";
  EXPECT_EQ(rc, 0);
}

}  // namespace
