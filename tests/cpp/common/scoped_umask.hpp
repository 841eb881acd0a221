// The process umask set for a scope (tests of exact modes, whatever the umask).
#ifndef NOB_TESTS_SCOPED_UMASK_HPP
#define NOB_TESTS_SCOPED_UMASK_HPP

#include <sys/stat.h>
#include <sys/types.h>

namespace nob_test {

/// Sets the umask for the scope of the object.
class scoped_umask {
 public:
  explicit scoped_umask(mode_t m) : old_(::umask(m)) {}
  ~scoped_umask() { ::umask(old_); }
  scoped_umask(const scoped_umask&) = delete;
  scoped_umask& operator=(const scoped_umask&) = delete;

 private:
  mode_t old_;
};

}  // namespace nob_test

#endif  // NOB_TESTS_SCOPED_UMASK_HPP
