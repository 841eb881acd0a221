// A closed or moved-from handle: every operation throws system_error with
// errc::bad_file_descriptor (generic category); close() and the destructor
// never throw; the low-level calls report EBADF in their error_code.
#include "../common/ipc_support.hpp"

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_message_queue;
using nob::named_shared_memory;
using nob::wait_result;
using nob_test::IpcTest;

class ClosedHandle : public IpcTest {};

template <class F>
void expect_ebadf(F&& f, const char* what) {
  try {
    f();
    ADD_FAILURE() << what << ": no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::bad_file_descriptor) << what;
    EXPECT_EQ(e.code().category(), std::generic_category()) << what;
  } catch (...) {
    ADD_FAILURE() << what << ": not a system_error";
  }
}

void expect_all_calls_fail(named_message_queue& q) {
  char buf[nob_test::small_size];
  expect_ebadf([&] { q.send("x"); }, "send");
  expect_ebadf([&] { q.send("x", 1, 0); }, "send raw");
  expect_ebadf([&] { (void)q.try_send("x"); }, "try_send");
  expect_ebadf([&] { (void)q.try_send_for("x", 1ms); }, "try_send_for");
  expect_ebadf([&] { (void)q.try_send_until("x", std::chrono::system_clock::now()); },
               "try_send_until");
  expect_ebadf([&] { (void)q.receive(); }, "receive");
  expect_ebadf([&] { (void)q.receive(buf, sizeof buf); }, "receive raw");
  expect_ebadf([&] { (void)q.try_receive(); }, "try_receive");
  expect_ebadf([&] { (void)q.try_receive(buf, sizeof buf); }, "try_receive raw");
  expect_ebadf([&] { (void)q.try_receive_for(1ms); }, "try_receive_for");
  expect_ebadf([&] { (void)q.try_receive_for(buf, sizeof buf, 1ms); }, "try_receive_for raw");
  expect_ebadf([&] { (void)q.try_receive_until(std::chrono::steady_clock::now()); },
               "try_receive_until");
  expect_ebadf([&] { (void)q.try_receive_until(buf, sizeof buf, std::chrono::steady_clock::now()); },
               "try_receive_until raw");
  expect_ebadf([&] { (void)q.current_messages(); }, "current_messages");
  expect_ebadf([&] { q.unlink(); }, "unlink");
  EXPECT_FALSE(q.is_open());
  EXPECT_EQ(q.native_handle(), static_cast<mqd_t>(-1));
  EXPECT_EQ(q.max_messages(), 0u);
  EXPECT_EQ(q.max_message_size(), 0u);
  std::error_code ec;
  std::size_t len = 0;
  unsigned prio = 0;
  EXPECT_EQ(q.send_once_until("x", 1, 0, std::chrono::steady_clock::now(), ec),
            wait_result::timed_out);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
  ec.clear();
  EXPECT_EQ(q.receive_once_until(buf, sizeof buf, len, prio, std::chrono::steady_clock::now(), ec),
            wait_result::timed_out);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
  EXPECT_NO_THROW(q.close());
}

TEST_F(ClosedHandle, EveryQueueCallAfterCloseIsBadFileDescriptor) {
  named_message_queue q = make_queue();
  q.close();
  expect_all_calls_fail(q);
  EXPECT_FALSE(q.name().empty()) << "close keeps the name for messages";
}

TEST_F(ClosedHandle, EveryQueueCallOnAMovedFromHandleIsBadFileDescriptor) {
  named_message_queue q = make_queue();
  named_message_queue other(std::move(q));
  expect_all_calls_fail(q);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(other.is_open());
}

TEST_F(ClosedHandle, SharedMemoryAfterCloseOrMove) {
  named_shared_memory m(unique_name(), existence_policy::raise_if_exists, 64);
  named_shared_memory moved(std::move(m));
  for (named_shared_memory* h : {&m, &moved}) {  // NOLINT(bugprone-use-after-move)
    h->close();
    EXPECT_FALSE(h->is_open());
    EXPECT_EQ(h->data(), nullptr);
    EXPECT_EQ(h->size(), 0u);
    EXPECT_EQ(h->native_handle(), -1);
    expect_ebadf([&] { h->unlink(); }, "unlink");
    EXPECT_NO_THROW(h->close());
  }
}

TEST_F(ClosedHandle, TheMessageSaysTheHandleIsClosed) {
  named_message_queue q = make_queue();
  q.close();
  try {
    q.send("x");
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
  }
}

}  // namespace
