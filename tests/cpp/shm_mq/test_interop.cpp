// Interop with C: objects made by nob open with shm_open / mq_open and the
// reverse; contents, attributes and messages go both ways.
#include "../common/ipc_support.hpp"

#include <cstring>

namespace {

using nob::existence_policy;
using nob::named_message_queue;
using nob::named_shared_memory;
using nob_test::IpcTest;

class Interop : public IpcTest {};

TEST_F(Interop, SharedMemoryMadeByNobOpensWithShmOpen) {
  named_shared_memory m(unique_name(), existence_policy::raise_if_exists, 8192);
  std::memcpy(m.data(), "from nob", 9);
  const int fd = ::shm_open(m.name().c_str(), O_RDWR, 0);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 8192);
  void* p = ::mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_STREQ(static_cast<const char*>(p), "from nob");
  std::memcpy(static_cast<char*>(p) + 100, "from C", 7);
  EXPECT_STREQ(static_cast<const char*>(m.data()) + 100, "from C");
  ::munmap(p, 8192);
  ::close(fd);
  m.close();
  errno = 0;
  EXPECT_LT(::shm_open(m.name().c_str(), O_RDONLY, 0), 0) << "nob's close did not unlink";
  EXPECT_EQ(errno, ENOENT);
}

TEST_F(Interop, SharedMemoryMadeByShmOpenOpensInNob) {
  const std::string name = "/" + unique_name();
  const int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0640);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ASSERT_EQ(::ftruncate(fd, 3000), 0);
  ASSERT_EQ(::pwrite(fd, "from C", 7, 0), 7);
  {
    named_shared_memory m(name, existence_policy::link_or_create, 64);
    EXPECT_TRUE(m.linked_existing());
    EXPECT_FALSE(m.unlink_on_destroy());
    ASSERT_EQ(m.size(), 3000u);
    EXPECT_STREQ(static_cast<const char*>(m.data()), "from C");
    named_shared_memory r(name, existence_policy::raise_if_not_exists, 0, true);
    EXPECT_STREQ(static_cast<const char*>(r.data()), "from C");
  }
  EXPECT_TRUE(named_shared_memory::exists(name));
  EXPECT_TRUE(named_shared_memory::remove(name));
  ::close(fd);
  errno = 0;
  EXPECT_LT(::shm_open(name.c_str(), O_RDONLY, 0), 0);
  EXPECT_EQ(errno, ENOENT);
}

TEST_F(Interop, QueueMadeByNobOpensWithMqOpen) {
  named_message_queue q(unique_name(), existence_policy::raise_if_exists, 3, 32);
  q.send("to C", 4);
  const mqd_t c = ::mq_open(q.name().c_str(), O_RDWR);
  ASSERT_NE(c, static_cast<mqd_t>(-1)) << std::strerror(errno);
  mq_attr a{};
  ASSERT_EQ(::mq_getattr(c, &a), 0);
  EXPECT_EQ(a.mq_maxmsg, 3);
  EXPECT_EQ(a.mq_msgsize, 32);
  EXPECT_EQ(a.mq_curmsgs, 1);
  char buf[32];
  unsigned prio = 0;
  const ssize_t n = ::mq_receive(c, buf, sizeof buf, &prio);
  ASSERT_EQ(n, 4);
  EXPECT_EQ(std::string(buf, 4), "to C");
  EXPECT_EQ(prio, 4u);
  ASSERT_EQ(::mq_send(c, "to nob", 6, 2), 0);
  const auto m = q.receive();
  EXPECT_EQ(m.data, "to nob");
  EXPECT_EQ(m.priority, 2u);
  ::mq_close(c);
  q.close();
  errno = 0;
  EXPECT_EQ(::mq_open(q.name().c_str(), O_RDONLY), static_cast<mqd_t>(-1));
  EXPECT_EQ(errno, ENOENT) << "nob's close did not unlink";
}

TEST_F(Interop, QueueMadeByMqOpenOpensInNob) {
  const std::string name = "/" + unique_name();
  mq_attr attr{};
  attr.mq_maxmsg = 2;
  attr.mq_msgsize = 24;
  const mqd_t c = ::mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
  ASSERT_NE(c, static_cast<mqd_t>(-1)) << std::strerror(errno);
  ASSERT_EQ(::mq_send(c, "from C", 6, 11), 0);
  {
    named_message_queue q(name, existence_policy::link_or_create, 9, 9);
    EXPECT_TRUE(q.linked_existing());
    EXPECT_EQ(q.max_messages(), 2u);
    EXPECT_EQ(q.max_message_size(), 24u);
    const auto m = q.receive();
    EXPECT_EQ(m.data, "from C");
    EXPECT_EQ(m.priority, 11u);
    q.send("back", 1);
  }
  char buf[24];
  unsigned prio = 0;
  ASSERT_EQ(::mq_receive(c, buf, sizeof buf, &prio), 4);
  EXPECT_EQ(prio, 1u);
  EXPECT_TRUE(named_message_queue::exists(name));
  ::mq_close(c);
  EXPECT_TRUE(named_message_queue::remove(name));
}

TEST_F(Interop, PrioritiesAreDeliveredHighestFirstThenOldestFirst) {
  named_message_queue q = make_queue("q", 4, 8);
  q.send("low-1", 1);
  q.send("high", 9);
  q.send("low-2", 1);
  q.send("mid", 5);
  EXPECT_EQ(q.receive().data, "high");
  EXPECT_EQ(q.receive().data, "mid");
  EXPECT_EQ(q.receive().data, "low-1");
  EXPECT_EQ(q.receive().data, "low-2");
}

}  // namespace
