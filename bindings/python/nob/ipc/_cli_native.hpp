// What nob-sem (nob/ipc/_cli/) needs from C and from the library's own code,
// as flat non-throwing functions for nob.ipc._cli_native. Compiled into that
// extension, not installed.
#ifndef NOB_PY_CLI_NATIVE_HPP
#define NOB_PY_CLI_NATIVE_HPP

#include <nob/named_semaphore.hpp>
#include <nob/robust_semaphore.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <new>
#include <string>
#include <vector>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

namespace nob_py {

/// Sets the signals that the C library keeps for itself (glibc: the kernel's
/// real-time signals below SIGRTMIN, 32 and 33) to their default action, with
/// the system call: the library's sigaction refuses them. glibc 2.36's
/// posix_spawn leaves them ignored in the programs it starts (Python 3.13's
/// subprocess uses it), and an ignored signal stays ignored across exec.
/// For a child about to exec; returns how many it reset.
inline int reset_internal_signals() noexcept {
  int done = 0;
#if defined(__linux__) && defined(SYS_rt_sigaction) && defined(SIGRTMIN)
  // The kernel's struct sigaction, all zero: SIG_DFL, no flags, empty mask
  // (large enough for every architecture's layout).
  alignas(8) unsigned char dfl[256] = {};
  const long sigset_bytes = (SIGRTMAX + 1) / 8;  // the kernel's _NSIG / 8
  for (int sig = 32; sig < SIGRTMIN; ++sig)
    if (::syscall(SYS_rt_sigaction, sig, dfl, nullptr, sigset_bytes) == 0) ++done;
#endif
  return done;
}

/// Has the kernel send `signo` to the calling process when its parent dies
/// (PR_SET_PDEATHSIG): 0, or an errno.
inline int die_with_parent(int signo) noexcept {
#if defined(__linux__)
  return ::prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(signo), 0UL, 0UL, 0UL) == 0 ? 0 : errno;
#else
  (void)signo;
  return ENOSYS;
#endif
}

/// Makes the calling process a child subreaper (PR_SET_CHILD_SUBREAPER): a
/// descendant whose parent ends is re-parented to it rather than to init, so
/// it can wait() for every process it started and every process those
/// started. 0, or an errno.
inline int become_subreaper() noexcept {
#if defined(__linux__) && defined(PR_SET_CHILD_SUBREAPER)
  return ::prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL) == 0 ? 0 : errno;
#else
  return ENOSYS;
#endif
}

namespace cli_detail {

/// write() of all `len` bytes; false on an error.
inline bool write_all(int fd, const void* from, std::size_t len) noexcept {
  const auto* p = static_cast<const char*>(from);
  while (len > 0) {
    const ssize_t n = ::write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= std::size_t(n);
  }
  return true;
}

/// Closes every descriptor but `a` and `b` (a < b).
inline void close_all_but(int a, int b) noexcept {
#if defined(__linux__) && defined(SYS_close_range)
  bool ok = true;
  if (a > 0) ok = ::syscall(SYS_close_range, 0U, unsigned(a - 1), 0U) == 0;
  if (ok && b > a + 1) ok = ::syscall(SYS_close_range, unsigned(a + 1), unsigned(b - 1), 0U) == 0;
  if (ok && ::syscall(SYS_close_range, unsigned(b + 1), ~0U, 0U) == 0) return;
#endif
  struct rlimit rl {};
  const long most = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                        ? static_cast<long>(rl.rlim_cur < 65536 ? rl.rlim_cur : 65536)
                        : 65536;
  for (long fd = 0; fd < most; ++fd)
    if (fd != a && fd != b) ::close(static_cast<int>(fd));
}

/// The witness's life (see start_witness): every signal blocked (inherited),
/// nothing but system calls, never back to the caller.
[[noreturn]] inline void witness_main(int ask, int answer) noexcept {
  (void)!::chdir("/");
  (void)::prctl(PR_SET_NAME, "nob-sem witness", 0UL, 0UL, 0UL);  // what ps shows
  if (ask < answer)
    close_all_but(ask, answer);
  else
    close_all_but(answer, ask);
  const pid_t me = ::getpid();
  if (!write_all(answer, &me, sizeof me)) ::_exit(0);
  sigset_t all;
  ::sigfillset(&all);
  const struct timespec now {};
  for (;;) {
    unsigned char q[2];  // a sequence number, a signal (0: forget everything pending)
    std::size_t got = 0;
    while (got < sizeof q) {
      const ssize_t n = ::read(ask, q + got, sizeof q - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ::_exit(0);  // the end of nob-sem
      got += std::size_t(n);
    }
    unsigned char reply[2] = {q[0], 0};
    if (q[1] == 0) {
      while (::sigtimedwait(&all, nullptr, &now) > 0) {
      }
    } else {
      sigset_t pending;
      if (::sigpending(&pending) == 0 && ::sigismember(&pending, q[1]) == 1) {
        sigset_t one;
        ::sigemptyset(&one);
        ::sigaddset(&one, q[1]);
        (void)::sigtimedwait(&one, nullptr, &now);
        reply[1] = 1;
      }
    }
    if (!write_all(answer, reply, sizeof reply)) ::_exit(0);
  }
}

}  // namespace cli_detail

/// Starts the witness of nob-sem's process group: a process in the caller's
/// process group that blocks every signal and does nothing else, so a signal
/// sent to the whole group (a terminal's Ctrl+C, `kill -- -PGID`, a
/// supervisor that signals every process) stays pending in it, while one
/// sent to the caller alone does not. Asked through `ask` (2 bytes: a
/// sequence number and a signal number), it answers on `answer` (the
/// sequence number, then 1 if that signal was pending, which it takes off;
/// signal 0 takes every pending one off). It is not the caller's child (a
/// double fork, so the caller's wait() never sees it, and whoever reaps
/// orphans reaps it) and holds no descriptor but its two pipe ends; it ends
/// when `ask` is closed, i.e. with the caller. Call it before the caller
/// opens anything a forked child must not keep, and before it becomes a
/// subreaper. Sets `pid`, `ask` and `answer`; 0, or an errno.
inline int start_witness(int& pid, int& ask, int& answer) noexcept {
#if defined(__linux__)
  int to[2], from[2];
  if (::pipe2(to, O_CLOEXEC) != 0) return errno;
  if (::pipe2(from, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(to[0]);
    ::close(to[1]);
    return err;
  }
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t middle = ::fork();
  if (middle == 0) {
    const pid_t w = ::fork();
    if (w == 0) cli_detail::witness_main(to[0], from[1]);
    ::_exit(w < 0 ? 1 : 0);
  }
  int err = middle < 0 ? errno : 0;
  if (middle > 0) {
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) err = EAGAIN;
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::close(to[0]);
  ::close(from[1]);
  pid_t w = 0;
  if (err == 0) {  // the witness says its pid first (EOF if it died)
    std::size_t got = 0;
    while (got < sizeof w) {
      const ssize_t n = ::read(from[0], reinterpret_cast<char*>(&w) + got, sizeof w - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        err = EIO;
        break;
      }
      got += std::size_t(n);
    }
  }
  if (err != 0) {
    ::close(to[1]);
    ::close(from[0]);
    return err;
  }
  pid = w;
  ask = to[1];
  answer = from[0];
  return 0;
#else
  (void)pid;
  (void)ask;
  (void)answer;
  return ENOSYS;
#endif
}

/// What nob-sem shows of a robust semaphore's file (see inspect_robust).
struct robust_view {
  int err = 0;  ///< 0: read; EINVAL: not a robust semaphore (`why`); EAGAIN: changed while read
  std::string why;
  unsigned int capacity = 0;
  int value = 0;                      ///< free units (those of ended processes count as free)
  bool persistent = false;
  bool stale = false;                 ///< every user has ended (and not persistent): absent
  bool locked = false;                ///< another open file description holds byte 0
  std::vector<nob::holder> holders;   ///< live holders
};

/// True when another open file description holds byte 0 of the robust lock
/// file behind `lock_fd` (F_OFD_GETLK: asks, takes nothing): the file-wide
/// lock of docs/robust.md, which opens and closes wait for and which a
/// creator holds while it links its two names.
inline bool lock_file_taken(int lock_fd) noexcept {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_len = 1;
  return ::fcntl(lock_fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/// lock_file_taken() of the lock file of the robust semaphore whose data
/// file is behind `fd`. (False when this user may not open the lock file:
/// then nobody it could see holds it.)
inline bool file_lock_taken(int fd) noexcept {
  const int lock = nob::detail::robust::open_lock_of(fd);
  if (lock < 0) return false;
  const bool taken = lock_file_taken(lock);
  ::close(lock);
  return taken;
}

/// True when `fd` is open on a robust semaphore's data file (its header passes
/// the checks of an open): a file that every user maps, so a descriptor of it
/// lets its holder change or truncate the semaphore under them.
inline bool is_robust_data_file(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  nob::detail::robust::header h;
  return nob::detail::robust::check_header(fd, st.st_size, h) == nullptr;
}

/// Reads `len` bytes at `at`; false on a short read or an error (errno set).
inline bool pread_all(int fd, void* into, std::size_t len, off_t at) noexcept {
  auto* p = static_cast<char*>(into);
  while (len > 0) {
    const ssize_t n = ::pread(fd, p, len, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EAGAIN;
      return false;
    }
    p += n;
    len -= std::size_t(n);
    at += n;
  }
  return true;
}

/// Marks in `locked` the user entries of a robust semaphore whose liveness
/// byte (docs/robust.md) some open file description holds a lock on, asking
/// the kernel about whole ranges: an F_OFD_GETLK over a range reports one
/// lock in it, whose bytes are marked, and the parts of the range on either
/// side are asked again. So the cost is about two questions per lock held,
/// however many entries the file claims; one question per entry (the
/// library's census) made 100 crafted stale files of 65,535 "registered"
/// entries cost `list` 10.6 s. Asked for a write lock, the question finds
/// every lock, read or write: never fewer entries than the library's own
/// test counts alive. An error of fcntl marks the range locked (never a
/// holder declared dead by mistake).
inline void find_locked_entries(int fd, std::vector<char>& locked) {
  const off_t base = nob::detail::robust::lock_base;
  std::vector<std::pair<off_t, off_t>> todo{{0, static_cast<off_t>(locked.size())}};
  while (!todo.empty()) {
    const auto [from, to] = todo.back();
    todo.pop_back();
    if (from >= to) continue;
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = base + from;
    fl.l_len = to - from;
    if (::fcntl(fd, F_OFD_GETLK, &fl) != 0) {
      for (off_t i = from; i < to; ++i) locked[std::size_t(i)] = 1;
      continue;
    }
    if (fl.l_type == F_UNLCK) continue;
    off_t lo = fl.l_start - base, hi = fl.l_len == 0 ? to : fl.l_start + fl.l_len - base;
    if (lo < from) lo = from;
    if (hi > to || hi <= lo) hi = to;  // hi <= lo: a range past off_t, to the end
    for (off_t i = lo; i < hi; ++i) locked[std::size_t(i)] = 1;
    todo.emplace_back(from, lo);
    todo.emplace_back(hi, to);
  }
}

/// A robust semaphore's state read through `fd` (any open mode, O_RDONLY is
/// enough) without mapping, locking or registering anything, so it never
/// waits and never raises SIGBUS: the file is checked as an open checks it
/// (check_header), copied with pread, and value, holders and staleness come
/// from the library's own code run on the copy, liveness asked of the
/// kernel through `fd`. The copy's generations are read again afterwards;
/// if any moved (a process registered or left meanwhile), it is read again.
inline robust_view inspect_robust(int fd) noexcept {
  namespace r = nob::detail::robust;
  robust_view v;
  try {
    for (int attempt = 0; attempt < 5; ++attempt) {
      struct stat st {};
      if (::fstat(fd, &st) != 0) {
        v.err = errno;
        return v;
      }
      r::header h;
      if (const char* why = r::check_header(fd, st.st_size, h)) {
        v.err = EINVAL;
        v.why = why;
        return v;
      }
      const std::size_t len = r::file_size(h.capacity, h.users);
      std::vector<std::uint64_t> copy((len + 7) / 8);
      if (!pread_all(fd, copy.data(), len, 0)) {
        v.err = errno;
        return v;
      }
      r::file f;
      r::set_views(f, copy.data(), h.capacity, h.users);
      f.fd = r::open_lock_of(fd);  // liveness is asked about the lock file's locks
      if (f.fd < 0) {
        v.err = errno;
        v.why = errno == EACCES ? "cannot tell live from stale: this user may not open its lock file"
                                : "no lock file: not usable";
        return v;
      }
      struct closer {
        int fd;
        ~closer() { ::close(fd); }
      } lock_closed{f.fd};
      f.index = UINT32_MAX;  // nobody's entry: no unit is this process's own
      if (f.head->capacity != h.capacity || f.head->users != h.users) continue;  // rewritten
      // An entry whose liveness byte nobody locks now, after the copy was read, had an
      // owner that has unregistered or ended since (an owner locks before it publishes
      // its generation and unlocks after it left it): in the copy it becomes free, as
      // the library's own sweep makes it, so the census below asks about live entries only.
      std::vector<std::uint64_t> seen(h.users);
      std::vector<char> locked(h.users, 0);
      find_locked_entries(f.fd, locked);
      for (std::uint32_t i = 0; i < h.users; ++i) {
        seen[i] = f.users[i].gen.load();
        if ((seen[i] & 1) != 0 && locked[i] == 0) f.users[i].gen.store(seen[i] + 1);
      }
      v.capacity = h.capacity;
      v.persistent = (f.head->flags.load() & r::flag_persistent) != 0;
      v.stale = !v.persistent && !r::any_live_user(f, UINT32_MAX);
      if (!v.stale) {  // a stale semaphore counts as absent: its value and holders are not shown
        v.value = r::free_units(f);
        v.holders = r::live_holders<nob::holder>(f);
      }
      std::vector<r::user> again(h.users);
      if (!pread_all(fd, again.data(), h.users * sizeof(r::user), r::header_bytes)) {
        v.err = errno;
        return v;
      }
      bool same = true;
      for (std::uint32_t i = 0; i < h.users && same; ++i) same = again[i].gen.load() == seen[i];
      if (!same) continue;
      v.locked = file_lock_taken(fd);
      return v;
    }
    v.err = EAGAIN;
  } catch (const std::bad_alloc&) {
    v.err = ENOMEM;
  }
  return v;
}

/// The value of the plain semaphore in the file behind `fd`, read as the
/// library checks it (nob::detail::read_sem_file): the value, -1 when the file
/// is not a semaphore, -2 where the layout is not known (open it instead).
inline long long plain_value(int fd) noexcept {
  unsigned int value = 0;
  const int got = nob::detail::read_sem_file(fd, value);
  return got == 1 ? static_cast<long long>(value) : got == 0 ? -1 : -2;
}

/// A message queue's attributes through a descriptor of its file in the
/// mqueue file system (on Linux a message queue descriptor is one): 0, or
/// an errno.
inline int queue_attributes(int fd, long& max_messages, long& max_message_size,
                            long& current_messages) noexcept {
#if defined(__linux__)
  struct mq_attr a {};
  if (::mq_getattr(static_cast<mqd_t>(fd), &a) != 0) return errno;
  max_messages = a.mq_maxmsg;
  max_message_size = a.mq_msgsize;
  current_messages = a.mq_curmsgs;
  return 0;
#else
  (void)fd;
  (void)max_messages;
  (void)max_message_size;
  (void)current_messages;
  return ENOSYS;
#endif
}

}  // namespace nob_py

#endif  // NOB_PY_CLI_NATIVE_HPP
