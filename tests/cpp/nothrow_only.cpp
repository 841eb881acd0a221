// Compiled with -fno-exceptions: the non-throwing members are enough to
// open, wait, post and close. Exit status 0 when all of it worked.
#include <nob/named_semaphore.hpp>

#include <cstdio>
#include <string>

#include "../common/run_prefix.hpp"

int main() {
  const std::string name = nob_test::run_prefix() + "-nothrow-" + std::to_string(::getpid());
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
  std::puts("ok");
  return 0;
}
