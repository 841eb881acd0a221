// Compiled with -fno-exceptions: the non-throwing members of every kind are
// enough to open, wait, post, send, receive and close. Exit status 0 when all
// of it worked; a non-zero status names the step that did not.
#include <nob/message_queue.hpp>
#include <nob/named_semaphore.hpp>
#include <nob/robust_semaphore.hpp>
#include <nob/shared_memory.hpp>

#include <cstdio>
#include <cstring>
#include <string>

#include "../common/run_prefix.hpp"

namespace {

int semaphore(const std::string& name) {
  std::error_code ec;
  auto s = nob::named_semaphore::open(name, ec, nob::existence_policy::raise_if_exists, 1);
  if (!s || ec) return 1;
  if (nob::named_semaphore::open("bad name", ec).has_value() || ec != std::errc::invalid_argument)
    return 2;
  if (!s->try_acquire(ec) || ec) return 3;
  if (s->try_acquire(ec) || ec) return 4;
  s->release(2, ec);
  if (ec || s->value(ec) != 2) return 5;
  if (s->wait_once_until(std::chrono::steady_clock::now(), ec) != nob::wait_result::acquired)
    return 6;
  s->close();  // unlinks: it created the name
  if (nob::named_semaphore::open(name, ec).has_value() || ec != std::errc::no_such_file_or_directory)
    return 7;
  return 0;
}

int shared_memory(const std::string& name) {
  std::error_code ec;
  auto m = nob::named_shared_memory::open(name, ec, nob::existence_policy::raise_if_exists, 64);
  if (!m || ec || m->size() != 64) return 11;
  if (nob::named_shared_memory::open(name, ec, nob::existence_policy::raise_if_exists, 64) ||
      ec != std::errc::file_exists)
    return 12;
  if (nob::named_shared_memory::open(name, ec, nob::existence_policy::link_or_create, 0, false,
                                     01000) ||
      ec != std::errc::invalid_argument)
    return 13;
  auto view = nob::named_shared_memory::open(name, ec, nob::existence_policy::link_or_create, 0, true);
  if (!view || ec || !view->linked_existing() || view->size() != 64) return 14;
  std::memcpy(m->data(), "hello", 6);
  if (std::strcmp(static_cast<const char*>(view->data()), "hello") != 0) return 15;
  m->close();  // unlinks: it created the name
  if (nob::named_shared_memory::open(name, ec).has_value() ||
      ec != std::errc::no_such_file_or_directory)
    return 16;
  return 0;
}

int message_queue(const std::string& name) {
  std::error_code ec;
  auto q = nob::named_message_queue::open(name, ec, nob::existence_policy::raise_if_exists, 2, 16);
  if (!q || ec || q->max_messages() != 2) return 21;
  if (nob::named_message_queue::open(name, ec, nob::existence_policy::raise_if_not_exists, 0, 0,
                                     false, false) ||
      ec != std::errc::invalid_argument)
    return 22;
  const auto soon = std::chrono::steady_clock::now();
  if (q->send_once_until("hi", 2, 1, soon, ec) != nob::wait_result::acquired || ec) return 23;
  char buf[16];
  std::size_t size = 0;
  unsigned int priority = 0;
  if (q->receive_once_until(buf, sizeof buf, size, priority, soon, ec) != nob::wait_result::acquired ||
      ec || size != 2 || priority != 1)
    return 24;
  if (q->receive_once_until(buf, sizeof buf, size, priority, soon, ec) !=
          nob::wait_result::timed_out ||
      ec)
    return 25;
  q->close();  // unlinks: it created the name
  if (nob::named_message_queue::open(name, ec).has_value() ||
      ec != std::errc::no_such_file_or_directory)
    return 26;
  return 0;
}

int robust_semaphore(const std::string& name) {
  std::error_code ec;
  auto s = nob::robust_semaphore::open(name, ec, nob::existence_policy::raise_if_exists, 2);
  if (!s || ec || s->linked_existing()) return 31;
  if (nob::robust_semaphore::open("bad name", ec).has_value() || ec != std::errc::invalid_argument)
    return 32;
  if (nob::robust_semaphore::open(name, ec, nob::existence_policy::raise_if_exists, 2) ||
      ec != std::errc::file_exists)
    return 33;
  if (!s->try_acquire(ec) || ec) return 34;
  s->release(2, ec);  // holds one: nothing is given back
  if (ec != std::errc::operation_not_permitted || s->held() != 1) return 35;
  if (s->wait_once_until(std::chrono::steady_clock::now(), ec) != nob::wait_result::acquired || ec)
    return 36;
  if (s->try_acquire(ec) || ec) return 37;  // both units held
  s->release(2, ec);
  if (ec || s->held() != 0 || s->value() != 2) return 38;
  s->close();  // its last user: the name goes
  if (nob::robust_semaphore::remove(name)) return 39;
  if (nob::robust_semaphore::open(name, ec).has_value() ||
      ec != std::errc::no_such_file_or_directory)
    return 40;
  return 0;
}

}  // namespace

int main() {
  const std::string name = nob_test::run_prefix() + "-nothrow-" + std::to_string(::getpid());
  for (int (*kind)(const std::string&) : {semaphore, shared_memory, message_queue, robust_semaphore}) {
    if (const int rc = kind(name)) {
      std::printf("failed at step %d\n", rc);
      return rc;
    }
  }
  std::puts("ok");
  return 0;
}
