"""`with sem:` in one thread while another thread calls close(): the unit the block took is
given back when the block ends, whatever happened to the handle meanwhile, and the block's end
raises nothing new (the contract's "`with` after close"). __exit__ used to raise ValueError and
leave the unit with the process for as long as it had another handle on the name."""

import threading

from nob.ipc import Flags, RobustSemaphore


def test_a_with_block_gives_its_unit_back_after_another_thread_closed_the_handle(sem_name):
    keeper = RobustSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS)  # the process's other handle
    try:
        for round_ in range(20):
            sem = RobustSemaphore(sem_name)
            entered, closed = threading.Event(), threading.Event()
            errors = []

            def block():
                try:
                    with sem:
                        entered.set()
                        assert closed.wait(30)
                except BaseException as e:  # noqa: B036 - reported below
                    errors.append(e)

            t = threading.Thread(target=block)
            t.start()
            assert entered.wait(30)
            assert keeper.held == 1
            sem.close()  # from this thread, while the block holds its unit
            assert sem.closed
            closed.set()
            t.join()
            assert errors == [], (round_, errors)
            assert (keeper.held, keeper.value) == (0, 2), round_
    finally:
        keeper.close()


def test_the_last_handle_closed_under_a_with_block_still_frees_its_unit_and_the_name(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    with sem:
        sem.close()
        assert sem.closed
        assert RobustSemaphore.exists(sem_name)  # the block still uses it
    assert not RobustSemaphore.exists(sem_name)  # the block's end closed it for real
    again = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    assert again.acquire(blocking=False)
    again.release()
    again.close()


def test_nested_blocks_each_give_back_their_own_unit_after_close(sem_name):
    keeper = RobustSemaphore(sem_name, 3, Flags.RAISE_IF_EXISTS)
    sem = RobustSemaphore(sem_name)
    with sem:
        with sem:
            sem.close()
            assert keeper.held == 2
        assert keeper.held == 1
    assert (keeper.held, keeper.value) == (0, 3)
    keeper.close()


def test_exit_without_a_block_on_a_closed_handle_still_raises(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    sem.close()
    try:
        sem.__exit__(None, None, None)
    except ValueError:
        pass
    else:
        raise AssertionError("__exit__ of a closed handle without a block raised nothing")
