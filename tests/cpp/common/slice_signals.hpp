// Signals aimed at the end of a wait slice, for the tests that prove that a
// one-step wait (wait_once_until, send_once_until, receive_once_until) hands
// every slice back to its caller: a signal that lands as a slice times out
// (ETIMEDOUT, not EINTR) must still reach a binding's handlers at once.
#ifndef NOB_TESTS_SLICE_SIGNALS_HPP
#define NOB_TESTS_SLICE_SIGNALS_HPP

#include "support.hpp"

#include <csignal>
#include <system_error>

namespace nob_test {

/// Set by the SIGUSR2 handler that slice_signal_handler installs.
inline volatile sig_atomic_t slice_signal_seen = 0;

extern "C" inline void note_slice_signal(int) { slice_signal_seen = 1; }

/// While alive: SIGUSR2 sets slice_signal_seen, without SA_RESTART (as
/// Python installs its handlers).
class slice_signal_handler {
 public:
  slice_signal_handler() {
    struct sigaction sa {};
    sa.sa_handler = note_slice_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ::sigaction(SIGUSR2, &sa, &old_);
  }
  ~slice_signal_handler() { ::sigaction(SIGUSR2, &old_, nullptr); }
  slice_signal_handler(const slice_signal_handler&) = delete;
  slice_signal_handler& operator=(const slice_signal_handler&) = delete;

 private:
  struct sigaction old_ {};
};

/// 80 rounds: SIGUSR2 to this thread at points swept over 2 ms around the
/// end of the second NOB_TIMEDWAIT_SLICE_MS slice, while it does what a
/// binding does: `step(deadline, ec)` (one wait step towards a deadline 3 s
/// away), look at the flag, step again while the step said `interrupted`.
/// Fails the test when a round ends otherwise (the signal was lost until the
/// deadline, or the step failed); returns the longest time from a signal to
/// the caller seeing it. Needs a live slice_signal_handler.
template <class Step>
std::chrono::nanoseconds aim_signals_at_slice_ends(Step step) {
  using std::chrono::steady_clock;
  const pthread_t self = ::pthread_self();
  std::chrono::nanoseconds worst{0};
  for (int i = 0; i < 80; ++i) {
    slice_signal_seen = 0;
    const auto start = steady_clock::now();
    const auto aim = start + 2 * std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS) +
                     std::chrono::microseconds(-1000 + 25 * i);
    std::atomic<long long> sent_ns{0};
    std::thread sender([&] {
      std::this_thread::sleep_until(aim);
      sent_ns.store(steady_clock::now().time_since_epoch().count());
      ::pthread_kill(self, SIGUSR2);
    });
    std::error_code ec;
    nob::wait_result r = nob::wait_result::interrupted;
    while (slice_signal_seen == 0 && r == nob::wait_result::interrupted) r = step(start + 3s, ec);
    const auto seen = steady_clock::now();
    sender.join();
    if (r != nob::wait_result::interrupted || ec || slice_signal_seen != 1) {
      ADD_FAILURE() << "round " << i << ": the step ended with " << static_cast<int>(r) << " ("
                    << ec.message() << "): the signal was lost until the deadline";
      return worst;
    }
    const auto late = seen - steady_clock::time_point(steady_clock::duration(sent_ns.load()));
    if (late > worst) worst = late;
  }
  return worst;
}

}  // namespace nob_test

#endif  // NOB_TESTS_SLICE_SIGNALS_HPP
