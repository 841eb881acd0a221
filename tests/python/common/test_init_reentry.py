"""__init__ may run only once, also when argument conversion runs Python that
calls __init__ again: the inner call is refused, nothing leaks (descriptor or
name) and a closed object is not brought back to life."""

import os

import pytest

from nob.ipc import Flags, NamedMessageQueue, NamedSemaphore, NamedSharedMemory

OPEN_ARGS = {
    NamedSemaphore: {"initial_value": 1},
    NamedSharedMemory: {"size": 64},
    NamedMessageQueue: {"max_messages": 2, "max_message_size": 16},
}


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def name_that_reenters(name, hook):
    """A str subclass whose isascii() (which name conversion calls) runs `hook` first."""

    class Reenters(str):
        def isascii(self):
            hook()
            return str.isascii(self)

    return Reenters(name)


@pytest.mark.parametrize("cls", [NamedSemaphore, NamedSharedMemory, NamedMessageQueue],
                         ids=lambda c: c.__name__)
@pytest.mark.parametrize("close_inner", [False, True], ids=["inner-open", "inner-closed"])
def test_init_reentered_from_argument_conversion_is_refused(
        cls, close_inner, sem_name, make_name, no_leftover_shm_mq):
    obj = cls.__new__(cls)
    inner = "/" + make_name("inner")
    outer = "/" + sem_name
    kwargs = OPEN_ARGS[cls]

    def reenter():
        obj.__init__(inner, handle_existence=Flags.RAISE_IF_EXISTS, **kwargs)
        if close_inner:
            obj.close()

    fds = open_fds()
    try:
        with pytest.raises(RuntimeError, match="may run only once"):
            obj.__init__(name_that_reenters(outer, reenter),
                         handle_existence=Flags.RAISE_IF_EXISTS, **kwargs)
        assert open_fds() == fds
        assert obj.closed
        assert not cls.exists(outer)
        assert not cls.exists(inner)
        with pytest.raises(RuntimeError, match="may run only once"):
            obj.__init__(outer, handle_existence=Flags.RAISE_IF_EXISTS, **kwargs)
    finally:
        obj.close()
        for name in (inner, outer):
            cls.remove(name)
