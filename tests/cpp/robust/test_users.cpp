// The user table: a file has room for a fixed number of processes (the
// helper makes files with 4). One more opener gets EUSERS, a forked child
// that finds no room gets a handle that reports EUSERS (and never holds
// its parent's registration), and the entry of a process that died is
// re-used.
#include "support.hpp"

namespace robust_test {
namespace {

class Users : public RobustTest {};

TEST_F(Users, FullTableRefusesThenReusesDeadEntries) {
  const auto name = unique_name();
  int out = -1;
  const pid_t maker = spawn({helper_path(), "create", name, "2"}, "", &out);
  ASSERT_EQ(read_line(out), "made");
  wait_child(maker);
  ::close(out);
  robust_semaphore s(name);  // user 1 of 4
  s.persistent(false);       // gone with the last user
  std::vector<pid_t> openers;
  std::vector<int> outs;
  for (int i = 0; i < 3; ++i) {  // users 2, 3, 4
    // The entry fork() registered for the spawned child is free once it has
    // exec'd; the kernel may drop that lock a moment late (seen once in ~10
    // runs on a loaded machine: EUSERS), so a refused opener is tried again.
    std::string line;
    for (int attempt = 0; attempt < 50; ++attempt) {
      int o = -1;
      const pid_t pid = spawn({helper_path(), "open", name}, "", &o);
      line = read_line(o);
      if (line == "open") {
        openers.push_back(pid);
        outs.push_back(o);
        break;
      }
      kill_child(pid);
      ::close(o);
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(line, "open") << i;
  }
  int o5 = -1;
  const pid_t fifth = spawn({helper_path(), "open", name}, "", &o5);
  EXPECT_EQ(read_line(o5), "error " + std::to_string(EUSERS));
  wait_child(fifth);
  ::close(o5);

  // a forked child finds no room: its inherited handle is unusable
  EXPECT_EQ(run_in_child([&] {
              try {
                s.try_acquire();
              } catch (const std::system_error& e) {
                return e.code().value() == EUSERS ? 0 : 1;
              }
              return 2;
            }),
            0);
  EXPECT_TRUE(s.try_acquire()) << "the parent's handle is untouched";
  s.release();

  kill_child(openers[0]);  // its entry is dead: the next opener takes it
  ::close(outs[0]);
  int o6 = -1;
  const pid_t sixth = spawn({helper_path(), "open", name}, "", &o6);
  EXPECT_EQ(read_line(o6), "open");
  for (pid_t p : {openers[1], openers[2], sixth}) kill_child(p);
  for (int fd : {outs[1], outs[2], o6}) ::close(fd);
  s.close();
  EXPECT_FALSE(robust_semaphore::exists(name));
  EXPECT_FALSE(file_present(name));
}

}  // namespace
}  // namespace robust_test
