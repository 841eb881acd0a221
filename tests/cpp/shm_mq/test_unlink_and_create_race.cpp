// unlink_and_create of shared memory and message queues against a process
// that re-creates the name as fast as it can: shared memory in /dev/shm is
// replaced in one step (never file_exists); through shm_open, and for
// queues, which cannot be renamed, file_exists only after the process won
// every one of unlink_and_create_tries rounds.
#include "../common/ipc_support.hpp"

#include "../common/recreator.hpp"

#include <fcntl.h>
#include <mqueue.h>
#include <unistd.h>

namespace {

using nob::existence_policy;
using nob::named_message_queue;
using nob::named_shared_memory;
using nob_test::IpcTest;

class UnlinkAndCreateRace : public IpcTest {};

TEST_F(UnlinkAndCreateRace, SharedMemory) {
  // The adversary links a ready object under the name, one link(2) per try.
  const std::string name = unique_name();
  const std::string source = unique_name("src");
  named_shared_memory(source, existence_policy::raise_if_exists, 64).unlink_on_destroy(false);
  const nob_test::race_outcome r =
      nob_test::race_against_links("/dev/shm/" + source, "/dev/shm/" + name, [&] {
        named_shared_memory(name, existence_policy::unlink_and_create, 128).unlink_on_destroy(false);
      });
  EXPECT_TRUE(nob_test::kept_unlink_and_create_promise(r, nob::uses_dev_shm,
                                                       nob::detail::unlink_and_create_tries));
}

TEST_F(UnlinkAndCreateRace, MessageQueue) {
  // The adversary creates the queue, one mq_open(O_CREAT | O_EXCL) per try.
  const std::string name = "/" + unique_name();
  mq_attr attr{};
  attr.mq_maxmsg = static_cast<long>(nob_test::small_count);
  attr.mq_msgsize = static_cast<long>(nob_test::small_size);
  nob_test::recreator racer([&] {
    const mqd_t q = ::mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (q == static_cast<mqd_t>(-1)) return false;
    ::mq_close(q);
    return true;
  });
  ASSERT_TRUE(racer.started());
  const nob_test::race_outcome r = nob_test::race_against(racer, [&] {
    named_message_queue(name, existence_policy::unlink_and_create, nob_test::small_count,
                        nob_test::small_size)
        .unlink_on_destroy(false);
  });
  EXPECT_TRUE(nob_test::kept_unlink_and_create_promise(r, false,
                                                       nob::detail::unlink_and_create_tries));
}

}  // namespace
