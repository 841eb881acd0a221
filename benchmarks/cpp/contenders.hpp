// The three C++ contenders behind one tiny interface, so every benchmark is
// one template: raw POSIX calls, nob::named_semaphore, Boost.Interprocess.
//
// Each contender is a handle type with
//   C(name, create, value)   create: exclusive create with `value`, and the
//                            handle removes the name when it goes away;
//                            otherwise open an existing name
//   acquire(), try_acquire(), try_acquire_for(ns), release()
//   static const char* label
// Wrappers add nothing to the hot path: every call is one inline forward.
#ifndef NOB_BENCH_CONTENDERS_HPP
#define NOB_BENCH_CONTENDERS_HPP

#include <fcntl.h>
#include <semaphore.h>
#include <time.h>

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/sync/named_semaphore.hpp>
#include <chrono>
#include <nob/named_semaphore.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace bench {

/// Raw POSIX: sem_open / sem_wait / sem_trywait / sem_clockwait / sem_post.
class raw_posix {
 public:
  static constexpr const char* label = "raw";
  raw_posix(const std::string& name, bool create, unsigned value) : name_(name), owner_(create) {
    s_ = create ? ::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, value)
                : ::sem_open(name.c_str(), 0);
    if (s_ == SEM_FAILED) throw std::runtime_error("sem_open " + name);
  }
  ~raw_posix() {
    ::sem_close(s_);
    if (owner_) ::sem_unlink(name_.c_str());
  }
  raw_posix(const raw_posix&) = delete;
  raw_posix& operator=(const raw_posix&) = delete;

  void acquire() { ::sem_wait(s_); }
  bool try_acquire() { return ::sem_trywait(s_) == 0; }
  bool try_acquire_for(std::chrono::nanoseconds d) {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const long long ns = ts.tv_nsec + d.count();
    ts.tv_sec += static_cast<time_t>(ns / 1000000000LL);
    ts.tv_nsec = static_cast<long>(ns % 1000000000LL);
    return ::sem_clockwait(s_, CLOCK_MONOTONIC, &ts) == 0;
  }
  void release() { ::sem_post(s_); }

 private:
  sem_t* s_;
  std::string name_;
  bool owner_;
};

/// nob::named_semaphore, called as its users would.
class nob_sem {
 public:
  static constexpr const char* label = "nob";
  nob_sem(const std::string& name, bool create, unsigned value)
      : s_(name,
           create ? nob::existence_policy::raise_if_exists
                  : nob::existence_policy::raise_if_not_exists,
           value) {}

  void acquire() { s_.acquire(); }
  bool try_acquire() { return s_.try_acquire(); }
  bool try_acquire_for(std::chrono::nanoseconds d) { return s_.try_acquire_for(d); }
  void release() { s_.release(); }

 private:
  nob::named_semaphore s_;
};

/// boost::interprocess::named_semaphore (POSIX semaphores underneath on Linux).
class boost_sem {
 public:
  static constexpr const char* label = "boost";
  boost_sem(const std::string& name, bool create, unsigned value) : name_(name), owner_(create) {
    namespace bi = boost::interprocess;
    if (create)
      s_.emplace(bi::create_only, name.c_str(), value, bi::permissions(0600));
    else
      s_.emplace(bi::open_only, name.c_str());
  }
  ~boost_sem() {
    s_.reset();
    if (owner_) boost::interprocess::named_semaphore::remove(name_.c_str());
  }

  void acquire() { s_->wait(); }
  bool try_acquire() { return s_->try_wait(); }
  bool try_acquire_for(std::chrono::nanoseconds d) {
    return s_->timed_wait(boost::posix_time::microsec_clock::universal_time() +
                         boost::posix_time::microseconds(d.count() / 1000));
  }
  void release() { s_->post(); }

 private:
  std::string name_;
  bool owner_;
  std::optional<boost::interprocess::named_semaphore> s_;
};

}  // namespace bench

#endif  // NOB_BENCH_CONTENDERS_HPP
