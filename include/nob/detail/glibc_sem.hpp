///
// nob - glibc's sem_t in its file in /dev/shm (implementation detail)
//
// What named_semaphore.hpp relies on where it opens /dev/shm/sem.NAME
// itself (NOB_USE_DEV_SHM) and where it knows glibc's sem_t layout
// (NOB_KNOWN_SEM_LAYOUT), both defined before this file is included:
//   * the layout checks: a file is refused (EINVAL) unless it starts with
//     what glibc's sem_open or sem_init(pshared=1) writes;
//   * release(n) as one atomic add and one futex wake;
//   * the backing file made (fully written, then linked: files.hpp) and
//     opened (checked, then mapped).
///

#ifndef NOB_DETAIL_GLIBC_SEM_HPP
#define NOB_DETAIL_GLIBC_SEM_HPP

#include <nob/detail/files.hpp>

#include <semaphore.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if !defined(NOB_USE_DEV_SHM) || !defined(NOB_KNOWN_SEM_LAYOUT)
#error "nob/detail/glibc_sem.hpp is included by nob/named_semaphore.hpp, after its configuration"
#endif

#if NOB_KNOWN_SEM_LAYOUT
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

namespace nob::detail {

#if NOB_KNOWN_SEM_LAYOUT
static_assert(sizeof(sem_t) == 32, "unexpected glibc sem_t layout for LP64");

/// glibc's 64-bit sem_t: the value is the low 32 bits of `data`, the number
/// of waiters the high 32; `priv` is 128 (LLL_SHARED) for process-shared.
struct glibc_sem {
  std::uint64_t data;
  std::int32_t priv;
  std::int32_t pad;
};

/// release(n) as glibc's sem_post does one unit: one compare-and-swap adds
/// all n (or nothing, EOVERFLOW, past SEM_VALUE_MAX), then, if anyone may be
/// waiting, one FUTEX_WAKE of up to n waiters on the value's 32-bit word.
/// Returns 0 or the errno.
inline int atomic_post(sem_t* sem, std::ptrdiff_t n) noexcept {
  auto* s = reinterpret_cast<glibc_sem*>(sem);
  const auto add = static_cast<std::uint64_t>(n);
  std::uint64_t d = __atomic_load_n(&s->data, __ATOMIC_RELAXED);
  do {
    if ((d & 0xffffffffu) + add > static_cast<std::uint64_t>(SEM_VALUE_MAX)) return EOVERFLOW;
  } while (!__atomic_compare_exchange_n(&s->data, &d, d + add, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
  if ((d >> 32) > 0) {
    const int priv = __atomic_load_n(&s->priv, __ATOMIC_RELAXED);
    const int op = (FUTEX_WAKE | FUTEX_PRIVATE_FLAG) ^ priv;  // glibc's __lll_private_flag
    const int wake = n > INT_MAX ? INT_MAX : static_cast<int>(n);
    ::syscall(SYS_futex, reinterpret_cast<unsigned int*>(&s->data), op, wake, nullptr, nullptr, 0);
  }
  return 0;
}
#endif

#if NOB_USE_DEV_SHM
/// "/dev/shm/sem.NAME" for a normalised "/NAME", where glibc's sem_open looks.
inline path_buffer sem_file_path(std::string_view normalized) noexcept {
  return path_buffer("/dev/shm", "sem.", normalized);
}

/// What opening or creating the backing file gave.
struct opened {
  sem_t* sem = nullptr;
  dev_t dev = 0;
  ino_t ino = 0;
  int err = 0;            ///< errno of the failure, 0 on success
  const char* step = "";  ///< the call that failed
};

/// i386 glibc's 32-bit sem_t ({unsigned value; int private; int pad;
/// unsigned nwaiters}, the value shifted left by one above a waiters bit):
/// not used by release(n), but its `private` word is checked like the
/// 64-bit layout's before a file is mapped.
#if !NOB_KNOWN_SEM_LAYOUT && defined(__linux__) && defined(__GLIBC__) && defined(__i386__)
static_assert(sizeof(sem_t) == 16, "unexpected glibc sem_t layout for i386");
#endif

/// Reads the head of the semaphore file behind `fd` with pread, not the
/// mapping (a read through a fresh mapping costs a page fault that sem_open
/// never pays, and a file truncated meanwhile would raise SIGBUS): 1 with
/// `value` set when it is what glibc's sem_open or sem_init(pshared=1)
/// writes (the value at most SEM_VALUE_MAX and `private` 128: anything else
/// makes glibc's futex calls abort), 0 when it is not, -1 where the layout
/// is not known (nothing is checked). nob-sem reads values this way.
inline int read_sem_file(int fd, unsigned int& value) noexcept {
#if NOB_KNOWN_SEM_LAYOUT || (defined(__linux__) && defined(__GLIBC__) && defined(__i386__))
  // The value word, then `private`: 8 + 4 bytes (64-bit layout) or 4 + 4 (i386).
  constexpr std::size_t value_bytes = NOB_KNOWN_SEM_LAYOUT ? 8 : 4;
  unsigned char head[value_bytes + 4];
  ssize_t n;
  do {
    n = ::pread(fd, head, sizeof head, 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof head)) return 0;
  std::int32_t priv = 0;
  std::memcpy(&priv, head + value_bytes, sizeof priv);
  if (priv != 128) return 0;
  if constexpr (value_bytes == 4) {
    std::uint32_t word = 0;  // i386: the value above the "waiters" bit
    std::memcpy(&word, head, sizeof word);
    value = word >> 1;
    return 1;
  } else {
    std::uint64_t data = 0;  // the value in the low 32 bits, waiters above
    std::memcpy(&data, head, sizeof data);
    if ((data & 0xffffffffu) > static_cast<std::uint64_t>(SEM_VALUE_MAX)) return 0;
    value = static_cast<unsigned int>(data & 0xffffffffu);
    return 1;
  }
#else
  (void)fd;
  (void)value;
  return -1;
#endif
}

/// True when the file behind `fd` looks like a process-shared glibc
/// semaphore (read_sem_file); where the layout is not known, it is not checked.
inline bool looks_like_semaphore(int fd) noexcept {
  unsigned int value = 0;
  return read_sem_file(fd, value) != 0;
}

/// Maps the sem_t of an open backing file (fd, dev and ino from `f`).
inline opened map_sem(const file_result& f) noexcept {
  opened o;
  void* p = ::mmap(nullptr, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
  if (p == MAP_FAILED) {
    o.err = errno;
    o.step = "mmap";
    return o;
  }
  o.sem = static_cast<sem_t*>(p);
  o.dev = f.dev;
  o.ino = f.ino;
  return o;
}

/// Opens an existing semaphore file, after checking that it holds a sem_t:
/// a truncated file (mapping it would SIGBUS) or garbage (glibc would abort)
/// is refused with EINVAL; with owner_check::same_uid, a file another user
/// owns is refused with EACCES (checked on the open descriptor).
inline opened open_sem_file(const char* path, owner_check check) noexcept {
  file_result f = open_existing_file(path, O_RDWR);
  opened o;
  if (f.err != 0) {
    o.err = f.err;
    o.step = f.step;
    return o;
  }
  if (!owner_allowed(f, check)) {
    o.err = EACCES;
    o.step = "open (owned by another user)";
  } else if (f.size < static_cast<off_t>(sizeof(sem_t)) || !looks_like_semaphore(f.fd)) {
    o.err = EINVAL;
    o.step = "open (not a valid semaphore file)";
  } else {
    o = map_sem(f);
  }
  ::close(f.fd);
  return o;
}

/// Creates the semaphore file exclusively, as glibc does: a fully written
/// file with no name, then linked into place (create_exclusive_file), so
/// nobody ever sees it half made and a crash leaves nothing behind.
/// `replace`: an existing name is replaced in one step instead of EEXIST.
inline opened create_sem_file(const char* path, unsigned int value, mode_t mode,
                              bool replace) noexcept {
  opened o;
  sem_t init{};
  if (::sem_init(&init, 1, value) != 0) {
    o.err = errno;
    o.step = "sem_init";
    return o;
  }
  file_result f = create_exclusive_file(
      path, "/dev/shm/sem.nob-XXXXXX", &init, sizeof init, mode,
      [&o](const file_result& made) noexcept {
        o = map_sem(made);
        return o.err;
      },
      replace);
  if (f.err != 0) {
    if (o.sem != nullptr) ::munmap(o.sem, sizeof(sem_t));
    o = opened{};
    o.err = f.err;
    o.step = f.step;
    return o;
  }
  ::close(f.fd);
  return o;
}
#endif  // NOB_USE_DEV_SHM

}  // namespace nob::detail

#endif  // NOB_DETAIL_GLIBC_SEM_HPP
