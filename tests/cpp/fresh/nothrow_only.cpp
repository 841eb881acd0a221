// Compiled with -fno-exceptions: create_unique(std::error_code&, ...) of
// every kind gives a fresh name, refuses a bad argument with invalid_argument, and the
// name goes with the handle. Exit status 0 when all of it worked; a
// non-zero status names the step that did not.
#include <nob/message_queue.hpp>
#include <nob/named_semaphore.hpp>
#include <nob/robust_semaphore.hpp>
#include <nob/shared_memory.hpp>

#include <cstdio>
#include <string>

namespace {

bool fresh_form(const std::string& n) { return n.size() == 21 && n.compare(0, 5, "/nob-") == 0; }

int semaphore() {
  std::error_code ec;
  auto s = nob::named_semaphore::create_unique(ec, 2, 0640);
  if (!s || ec || !fresh_form(s->name()) || s->linked_existing() || !s->unlink_on_destroy())
    return 1;
  auto t = nob::named_semaphore::create_unique(ec);
  if (!t || ec || t->name() == s->name()) return 2;
  if (s->value(ec) != 2 || ec) return 3;
  if (nob::named_semaphore::create_unique(ec, 1, 01000) || ec != std::errc::invalid_argument)
    return 4;
  const std::string name = s->name();
  s->close();
  if (nob::named_semaphore::open(name, ec) || ec != std::errc::no_such_file_or_directory) return 5;
  return 0;
}

int shared_memory() {
  std::error_code ec;
  auto m = nob::named_shared_memory::create_unique(ec, 64);
  if (!m || ec || !fresh_form(m->name()) || m->size() != 64 || !m->unlink_on_destroy()) return 11;
  if (nob::named_shared_memory::create_unique(ec, 0, false, 01000) ||
      ec != std::errc::invalid_argument)
    return 12;
  const std::string name = m->name();
  m->close();
  if (nob::named_shared_memory::open(name, ec) || ec != std::errc::no_such_file_or_directory)
    return 13;
  return 0;
}

int message_queue() {
  std::error_code ec;
  auto q = nob::named_message_queue::create_unique(ec, 2, 16);
  if (!q || ec || !fresh_form(q->name()) || q->max_messages() != 2 || !q->unlink_on_destroy())
    return 21;
  if (nob::named_message_queue::create_unique(ec, 2, 16, false, false) ||
      ec != std::errc::invalid_argument)
    return 22;
  const std::string name = q->name();
  q->close();
  if (nob::named_message_queue::open(name, ec) || ec != std::errc::no_such_file_or_directory)
    return 23;
  return 0;
}

int robust_semaphore() {
  std::error_code ec;
  auto s = nob::robust_semaphore::create_unique(ec, 2, 0640);
  if (!s || ec || !fresh_form(s->name()) || s->linked_existing() || s->capacity() != 2) return 31;
  if (nob::robust_semaphore::create_unique(ec, 0) || ec != std::errc::invalid_argument) return 32;
  if (nob::robust_semaphore::create_unique(ec, 1, 01000) || ec != std::errc::invalid_argument)
    return 33;
  const std::string name = s->name();
  s->close();  // its last user: the name goes
  if (nob::robust_semaphore::open(name, ec) || ec != std::errc::no_such_file_or_directory)
    return 34;
  return 0;
}

}  // namespace

int main() {
  for (int (*step)() : {semaphore, shared_memory, message_queue, robust_semaphore}) {
    if (const int rc = step()) {
      std::fprintf(stderr, "nob_fresh_nothrow_only: step %d failed\n", rc);
      return rc;
    }
  }
  return 0;
}
