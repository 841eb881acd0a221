"""unlink_on_delete: who unlinks the name on close() and on deletion, and who never does."""

import gc
import os

import pytest

from nob.ipc import Flags, NamedSemaphore

from conftest import remove_quietly, sem_exists


def test_creator_unlinks_on_close(sem_name):
    sem = NamedSemaphore(sem_name, handle_existence=Flags.LINK_OR_CREATE)
    assert sem.unlink_on_delete is True
    sem.close()
    assert not sem_exists(sem_name)


def test_del_of_the_creating_object_unlinks(sem_name):
    sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    assert sem_exists(sem_name)
    del sem
    assert not sem_exists(sem_name)


def test_del_of_a_linking_object_does_not_unlink(sem_name):
    owner = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    linked = NamedSemaphore(sem_name)
    del linked
    gc.collect()
    assert sem_exists(sem_name)
    owner.close()


def test_unlink_on_delete_false_keeps_the_name(sem_name):
    sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS, unlink_on_delete=False)
    assert sem.unlink_on_delete is False
    sem.close()
    assert sem_exists(sem_name)
    assert NamedSemaphore.remove(sem_name)


def test_unlink_on_delete_true_on_a_linking_handle_unlinks(sem_name):
    owner = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS, unlink_on_delete=False)
    linked = NamedSemaphore(sem_name, unlink_on_delete=True)
    assert linked.unlink_on_delete is True
    del linked
    assert not sem_exists(sem_name)
    owner.close()


def test_setter_changes_the_decision(sem_name):
    sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    sem.unlink_on_delete = False
    assert sem.unlink_on_delete is False
    sem.close()
    assert sem_exists(sem_name)
    remove_quietly(sem_name)


def test_explicit_unlink_then_close_does_not_unlink_again(sem_name):
    sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    sem.unlink()
    assert not sem_exists(sem_name)
    sem.release()  # the semaphore itself still works
    assert sem.value == 2
    newcomer = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS, unlink_on_delete=False)
    sem.close()
    assert sem_exists(sem_name)  # the newcomer's name survives
    newcomer.unlink_on_delete = True
    newcomer.close()
    assert not sem_exists(sem_name)


def test_a_name_recreated_by_someone_else_is_left_alone(sem_name):
    sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    assert NamedSemaphore.remove(sem_name)  # someone else unlinks it...
    other = NamedSemaphore(sem_name, 5, Flags.RAISE_IF_EXISTS, unlink_on_delete=False)  # ...and re-creates it
    sem.close()
    assert sem_exists(sem_name)
    check = NamedSemaphore(sem_name)
    assert check.value == 5
    check.close()
    other.close()
    assert NamedSemaphore.remove(sem_name)


def test_a_failed_constructor_unlinks_nothing(sem_name):
    owner = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    with pytest.raises(FileExistsError):
        NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    gc.collect()
    assert sem_exists(sem_name)
    with pytest.raises(ValueError):
        NamedSemaphore(sem_name, "x", Flags.LINK_OR_CREATE)
    gc.collect()
    assert sem_exists(sem_name)
    owner.close()


def test_a_forked_child_never_unlinks_the_parents_semaphore(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            sem.release()  # the child shares the semaphore...
            sem.close()  # ...but closing it there must not unlink the parent's name
            other = NamedSemaphore(sem_name)
            del other
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sem_exists(sem_name)
    assert sem.value == 1
    sem.close()
    assert not sem_exists(sem_name)


def test_a_forked_child_that_exits_normally_does_not_unlink(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    pid = os.fork()
    if pid == 0:
        try:
            del globals()["NamedSemaphore"]  # nothing special: just drop references
        except KeyError:
            pass
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert sem_exists(sem_name)
    sem.close()
