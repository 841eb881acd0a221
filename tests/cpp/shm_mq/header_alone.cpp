// Compile-only: each header alone (NOB_TEST_HEADER picks which), every
// template member instantiated with the clocks and durations users pass.
#if NOB_TEST_HEADER == 1
#include <nob/shared_memory.hpp>
#else
#include <nob/message_queue.hpp>
#endif

#include <chrono>

#if NOB_TEST_HEADER == 1
void nob_use_shared_memory(nob::named_shared_memory& m) {
  nob::named_shared_memory other(std::move(m));
  m = std::move(other);
  (void)m.data();
  (void)m.size();
  (void)m.read_only();
  (void)m.native_handle();
  (void)nob::named_shared_memory::exists("x");
}
#else
void nob_use_message_queue(nob::named_message_queue& q) {
  using namespace std::chrono;
  char buf[64];
  (void)q.try_send_for("x", milliseconds(1));
  (void)q.try_send_for(buf, 1, duration<double>(0.5), 2);
  (void)q.try_send_until("x", steady_clock::now());
  (void)q.try_send_until(buf, 1, system_clock::now(), 3);
  (void)q.try_send_until("x", time_point<steady_clock, duration<double>>());
  (void)q.try_receive_for(buf, sizeof buf, hours::max());
  (void)q.try_receive_for(microseconds(5));
  (void)q.try_receive_until(buf, sizeof buf, system_clock::time_point::max());
  (void)q.try_receive_until(time_point<system_clock, hours>::min());
}
#endif
