// The four kinds behind one interface, for the fresh-name suite's typed tests
// and its exec'd helper: create_unique() with small sizes, its non-throwing
// twin, open and create by name, exists, the mode of the object, a mark
// another process can check, and arguments create_unique() must refuse.
#ifndef NOB_TESTS_FRESH_KINDS_HPP
#define NOB_TESTS_FRESH_KINDS_HPP

#include <nob/message_queue.hpp>
#include <nob/named_semaphore.hpp>
#include <nob/robust_semaphore.hpp>
#include <nob/shared_memory.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>

namespace fresh_test {

using nob::existence_policy;

/// Permission bits of a file (-1 when it is missing).
inline int path_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

/// Permission bits of an open descriptor (-1 on failure).
inline int fd_mode(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

/// True when `name` has the form of every fresh name: "/nob-" and 16
/// lowercase hex digits.
inline bool looks_fresh(const std::string& name) {
  if (name.size() != 21 || name.compare(0, 5, "/nob-") != 0) return false;
  return std::all_of(name.begin() + 5, name.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// --- the four kinds ---------------------------------------------------------
// Each: its handle, create_unique() with small sizes and `mode`, its
// non-throwing twin, open by name, create by name, exists, the file that
// backs it (for its mode), a mark that another process can check, and the
// arguments create_unique() must refuse.

/// What every kind does the same way by name: open, exists, remove.
template <class Handle>
struct by_name {
  using handle = Handle;
  static handle open(const std::string& name) { return handle(name); }
  static bool exists(const std::string& name) { return handle::exists(name); }
  static bool remove(const std::string& name) { return handle::remove(name); }
};

/// The two semaphores: create_unique() and the constructor take a count
/// (here 1) and the mode.
template <class Handle>
struct counting : by_name<Handle> {
  static Handle make(mode_t mode = 0600) { return Handle::create_unique(1, mode); }
  static std::optional<Handle> make(std::error_code& ec, mode_t mode = 0600) {
    return Handle::create_unique(ec, 1, mode);
  }
  static Handle create(const std::string& name) {
    return Handle(name, existence_policy::raise_if_exists, 1);
  }
};

struct semaphore_kind : counting<nob::named_semaphore> {
  /// The mode of the object; -1 where this build cannot tell (sem_open: no file).
  static int mode_of(const handle& h) {
    return nob::uses_dev_shm ? path_mode("/dev/shm/sem." + h.name().substr(1)) : -1;
  }
  static void mark(handle& h) { h.release(2); }
  static bool marked(handle& h) { return h.value() == 3; }
  static void bad_arguments() {
    handle::create_unique(static_cast<unsigned int>(SEM_VALUE_MAX) + 1u);
  }
  static bool bad_arguments_ec(std::error_code& ec) {
    return handle::create_unique(ec, 1, 01000).has_value();
  }
};

struct shm_kind : by_name<nob::named_shared_memory> {
  static handle make(mode_t mode = 0600) { return handle::create_unique(64, false, mode); }
  static std::optional<handle> make(std::error_code& ec, mode_t mode = 0600) {
    return handle::create_unique(ec, 64, false, mode);
  }
  static handle create(const std::string& name) {
    return handle(name, existence_policy::raise_if_exists, 64);
  }
  static int mode_of(const handle& h) { return fd_mode(h.native_handle()); }
  static void mark(handle& h) { std::memcpy(h.data(), "fresh", 6); }
  static bool marked(handle& h) {
    return h.size() == 64 && std::memcmp(h.data(), "fresh", 6) == 0;
  }
  static void bad_arguments() { handle::create_unique(0, false, 01000); }
  static bool bad_arguments_ec(std::error_code& ec) {
    return handle::create_unique(ec, static_cast<std::size_t>(-1)).has_value();
  }
};

struct mq_kind : by_name<nob::named_message_queue> {
  static handle make(mode_t mode = 0600) { return handle::create_unique(4, 64, true, true, mode); }
  static std::optional<handle> make(std::error_code& ec, mode_t mode = 0600) {
    return handle::create_unique(ec, 4, 64, true, true, mode);
  }
  static handle create(const std::string& name) {
    return handle(name, existence_policy::raise_if_exists, 4, 64);
  }
  static int mode_of(const handle& h) { return fd_mode(h.native_handle()); }
  static void mark(handle& h) { h.send("fresh", 1); }
  static bool marked(handle& h) {
    auto m = h.try_receive();
    return m && m->data == "fresh" && m->priority == 1;
  }
  static void bad_arguments() { handle::create_unique(4, 64, false, false); }
  static bool bad_arguments_ec(std::error_code& ec) {
    return handle::create_unique(ec, 4, 64, true, true, 01000).has_value();
  }
};

struct robust_kind : counting<nob::robust_semaphore> {
  static int mode_of(const handle& h) { return path_mode("/dev/shm/nob." + h.name().substr(1)); }
  static void mark(handle& h) { h.acquire(); }       // held by the marking process
  static bool marked(handle& h) { return h.value() == 0; }
  static void bad_arguments() { handle::create_unique(0); }
  static bool bad_arguments_ec(std::error_code& ec) {
    return handle::create_unique(ec, handle::max_capacity() + 1).has_value();
  }
};

/// The kind's name in test names and in the helper's argv.
template <class Kind>
const char* kind_label() {
  if (std::is_same<Kind, semaphore_kind>::value) return "semaphore";
  if (std::is_same<Kind, shm_kind>::value) return "shm";
  if (std::is_same<Kind, mq_kind>::value) return "mq";
  return "robust";
}

}  // namespace fresh_test

#endif  // NOB_TESTS_FRESH_KINDS_HPP
