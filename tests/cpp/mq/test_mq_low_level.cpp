// The low-level one-step calls for bindings: send_once_until and
// receive_once_until return interrupted on EINTR (nothing moved), timed_out
// at the deadline, acquired with the message; errors in the error_code.
#include "../common/ipc_support.hpp"

#include <pthread.h>

namespace {

using namespace std::chrono_literals;
using nob::named_message_queue;
using nob::wait_result;
using nob_test::IpcTest;

class MqLowLevel : public IpcTest {};

extern "C" void ignore_signal(int) {}

/// SIGUSR1 without SA_RESTART, sent to the constructing thread after
/// `delay` and then every 20 ms until destruction: a signal that lands just
/// before the blocking call (a loaded machine) cannot make the test hang.
class signals_until_done {
 public:
  explicit signals_until_done(std::chrono::milliseconds delay) : target_(::pthread_self()) {
    struct sigaction sa {};
    sa.sa_handler = ignore_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGUSR1, &sa, &old_);
    thread_ = std::thread([this, delay] {
      std::this_thread::sleep_for(delay);
      while (!stop_.load()) {
        ::pthread_kill(target_, SIGUSR1);
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  ~signals_until_done() {
    stop_.store(true);
    thread_.join();
    ::sigaction(SIGUSR1, &old_, nullptr);
  }
  signals_until_done(const signals_until_done&) = delete;
  signals_until_done& operator=(const signals_until_done&) = delete;

 private:
  pthread_t target_;
  struct sigaction old_ {};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(MqLowLevel, SendAndReceiveOneStep) {
  named_message_queue q = make_queue();
  std::error_code ec;
  const auto soon = std::chrono::steady_clock::now() + 1s;
  EXPECT_EQ(q.send_once_until("hello", 5, 9, soon, ec), wait_result::acquired);
  EXPECT_FALSE(ec);
  char buf[nob_test::small_size];
  std::size_t len = 0;
  unsigned prio = 0;
  EXPECT_EQ(q.receive_once_until(buf, sizeof buf, len, prio, soon, ec), wait_result::acquired);
  EXPECT_FALSE(ec);
  EXPECT_EQ(std::string(buf, len), "hello");
  EXPECT_EQ(prio, 9u);
}

TEST_F(MqLowLevel, TimedOutAtTheDeadlineNeverEarly) {
  named_message_queue q = make_queue();
  std::error_code ec;
  char buf[nob_test::small_size];
  std::size_t len = 99;
  unsigned prio = 99;
  const auto deadline = std::chrono::steady_clock::now() + 120ms;
  wait_result r = wait_result::interrupted;
  while ((r = q.receive_once_until(buf, sizeof buf, len, prio, deadline, ec)) ==
         wait_result::interrupted) {
  }
  EXPECT_EQ(r, wait_result::timed_out);
  EXPECT_FALSE(ec);
  EXPECT_GE(std::chrono::steady_clock::now(), deadline);
  EXPECT_EQ(len, 99u) << "outputs touched without a message";
  // A past deadline: one try that does not block.
  EXPECT_EQ(q.receive_once_until(buf, sizeof buf, len, prio,
                                 std::chrono::steady_clock::time_point::min(), ec),
            wait_result::timed_out);
  EXPECT_EQ(q.send_once_until("x", 1, 0, std::chrono::steady_clock::time_point::min(), ec),
            wait_result::acquired);
}

TEST_F(MqLowLevel, ReceiveReturnsInterruptedOnASignalAndMovesNothing) {
  named_message_queue q = make_queue();
  std::error_code ec;
  char buf[nob_test::small_size];
  std::size_t len = 0;
  unsigned prio = 0;
  wait_result forever = wait_result::acquired, timed = wait_result::acquired;
  {
    signals_until_done sig(100ms);
    forever = q.receive_once_until(buf, sizeof buf, len, prio,
                                   std::chrono::steady_clock::time_point::max(), ec);
  }
  EXPECT_EQ(forever, wait_result::interrupted);
  EXPECT_FALSE(ec);
  {
    signals_until_done sig(100ms);
    timed = q.receive_once_until(buf, sizeof buf, len, prio,
                                 std::chrono::steady_clock::now() + 30s, ec);
  }
  EXPECT_EQ(timed, wait_result::interrupted);
  EXPECT_EQ(q.current_messages(), 0u);
}

TEST_F(MqLowLevel, SendReturnsInterruptedOnASignalAndSendsNothing) {
  named_message_queue q = make_queue("q", 1, 8);
  q.send("full");
  std::error_code ec;
  wait_result r = wait_result::acquired;
  {
    signals_until_done sig(100ms);
    r = q.send_once_until("more", 4, 0, std::chrono::steady_clock::now() + 30s, ec);
  }
  EXPECT_EQ(r, wait_result::interrupted);
  EXPECT_FALSE(ec);
  EXPECT_EQ(q.current_messages(), 1u);
  EXPECT_EQ(q.receive().data, "full");
}

TEST_F(MqLowLevel, ErrorsGoToTheErrorCode) {
  named_message_queue q = make_queue("q", 2, 8);
  std::error_code ec;
  const auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(q.send_once_until("123456789", 9, 0, now, ec), wait_result::timed_out);
  EXPECT_EQ(ec, std::errc::message_size);
  EXPECT_EQ(q.send_once_until("x", 1, 40000, now, ec), wait_result::timed_out);
  EXPECT_EQ(ec, std::errc::invalid_argument);
  EXPECT_EQ(q.send_once_until(nullptr, 1, 0, now, ec), wait_result::timed_out);
  EXPECT_EQ(ec, std::errc::invalid_argument);
  char small[7];
  std::size_t len = 0;
  unsigned prio = 0;
  EXPECT_EQ(q.receive_once_until(small, sizeof small, len, prio, now, ec), wait_result::timed_out);
  EXPECT_EQ(ec, std::errc::message_size);
  EXPECT_EQ(q.current_messages(), 0u);
}

}  // namespace
