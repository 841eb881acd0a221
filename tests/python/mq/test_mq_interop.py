"""NamedMessageQueue and posix_ipc.MessageQueue talk through the same queue, both ways."""

import pytest

from nob.ipc import Flags, NamedMessageQueue

posix_ipc = pytest.importorskip("posix_ipc")

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


def test_posix_ipc_talks_to_a_queue_nob_created(sem_name):
    with NamedMessageQueue(sem_name, 4, 128, handle_existence=Flags.RAISE_IF_EXISTS) as q:
        other = posix_ipc.MessageQueue("/" + sem_name)
        assert (other.max_messages, other.max_message_size) == (4, 128)
        q.send(b"from nob", priority=3)
        assert other.receive() == (b"from nob", 3)
        other.send(b"from posix_ipc", priority=7)
        assert q.receive(timeout=5) == (b"from posix_ipc", 7)
        assert other.current_messages == q.current_messages == 0
        other.close()
    with pytest.raises(posix_ipc.ExistentialError):
        posix_ipc.MessageQueue("/" + sem_name)  # nob's creator unlinked it


def test_nob_talks_to_a_queue_posix_ipc_created(sem_name):
    made = posix_ipc.MessageQueue("/" + sem_name, posix_ipc.O_CREX, max_messages=2,
                                  max_message_size=32)
    try:
        with NamedMessageQueue(sem_name) as q:
            assert q.linked_existing_object is True and q.unlink_on_delete is False
            assert (q.max_messages, q.max_message_size) == (2, 32)
            made.send("x" * 32)
            assert q.receive() == (b"x" * 32, 0)
            assert q.send(b"back")
            with pytest.raises(ValueError):
                q.send(b"y" * 33)
        assert made.receive(0) == (b"back", 0)
    finally:
        made.close()
        made.unlink()


def test_remove_and_exists_see_posix_ipc_queues(sem_name):
    made = posix_ipc.MessageQueue("/" + sem_name, posix_ipc.O_CREX, max_messages=1,
                                  max_message_size=8)
    made.close()
    assert NamedMessageQueue.exists(sem_name)
    assert NamedMessageQueue.remove(sem_name) is True
    assert NamedMessageQueue.exists(sem_name) is False
