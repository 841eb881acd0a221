// named_message_queue::unlink_if_owned(): the unlink half of close() alone
// (for a binding that must free the name while other threads still wait on
// the descriptor): the owner's name goes, the handle keeps working, close()
// does not unlink again (a re-created name survives it); a linker or a
// handle with unlink_on_destroy(false) leaves the name alone.
#include "../common/ipc_support.hpp"

namespace {

using nob::existence_policy;
using nob::named_message_queue;
using nob_test::IpcTest;

class MqUnlinkIfOwned : public IpcTest {};

TEST_F(MqUnlinkIfOwned, TheOwnerUnlinksAndKeepsAWorkingHandle) {
  named_message_queue q = make_queue();
  q.unlink_if_owned();
  EXPECT_FALSE(named_message_queue::exists(q.name()));
  ASSERT_TRUE(q.is_open());
  q.send("still", 2);
  const auto m = q.receive();
  EXPECT_EQ(m.data, "still");
  EXPECT_EQ(m.priority, 2u);
  named_message_queue again(q.name(), existence_policy::raise_if_exists, 2, 16);
  q.close();  // must not remove the queue made again under the name
  EXPECT_TRUE(named_message_queue::exists(again.name()));
}

TEST_F(MqUnlinkIfOwned, ALinkerOrANonOwnerLeavesTheName) {
  named_message_queue q = make_queue();
  named_message_queue linked(q.name());
  linked.unlink_if_owned();
  EXPECT_TRUE(named_message_queue::exists(q.name()));
  q.unlink_on_destroy(false);
  q.unlink_if_owned();
  EXPECT_TRUE(named_message_queue::exists(q.name()));
}

}  // namespace
