"""close() unlinks an owned name at once, even while other threads still
wait on the object; only the unmapping waits for them. A daemon thread that
never returns cannot make the name outlive the process."""

from conftest import run_child, sem_exists


def test_close_with_a_daemon_waiter_unlinks_before_the_process_ends(sem_name):
    code = """
        import sys, threading, time
        from nob.ipc import Flags, NamedSemaphore
        sem = NamedSemaphore(sys.argv[1], 0, Flags.RAISE_IF_EXISTS)
        threading.Thread(target=sem.acquire, daemon=True).start()  # waits forever
        time.sleep(0.2)
        sem.close()
        print("closed", NamedSemaphore.exists(sys.argv[1]), flush=True)
    """
    r = run_child(code, sem_name)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["closed", "False"]
    assert not sem_exists(sem_name)


def test_a_linked_handle_closed_while_waited_on_leaves_the_name(sem_name):
    code = """
        import sys, threading, time
        from nob.ipc import Flags, NamedSemaphore
        owner = NamedSemaphore(sys.argv[1], 0, Flags.RAISE_IF_EXISTS)
        linked = NamedSemaphore(sys.argv[1])
        t = threading.Thread(target=lambda: linked.acquire(timeout=0.5), daemon=True)
        t.start()
        time.sleep(0.1)
        linked.close()  # not the owner: the name stays
        print(NamedSemaphore.exists(sys.argv[1]), flush=True)
        t.join(5)
        owner.close()
        print(NamedSemaphore.exists(sys.argv[1]), flush=True)
    """
    r = run_child(code, sem_name)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "False"]
