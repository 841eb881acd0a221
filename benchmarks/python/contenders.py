"""The four Python contenders and, for each benchmark case, the statement
each of them runs: written the way their own users write it.

Statements see `sem` (a semaphore with a unit available unless said
otherwise), `name` (a name for this contender, without the slash) and the
names in the contender's namespace below.
"""

import multiprocessing

import posix_ipc
from named_semaphores.semaphore import NamedSemaphore as _NS
from nob.ipc import Flags, NamedSemaphore

_FORK = multiprocessing.get_context("fork")


class Contender:
    """One library: how to make a semaphore, and its statement per case."""

    def __init__(self, label, title, namespace, create, destroy, statements):
        self.label = label
        self.title = title
        self.namespace = namespace
        self.create = create  # (name, value) -> semaphore owning its name
        self.destroy = destroy  # (semaphore) -> None: close, remove the name
        self.statements = statements  # case -> statement, or None: not possible

    def statement(self, case):
        return self.statements.get(case, DEFAULT_STATEMENTS.get(case))


def _posix_ipc_destroy(sem):
    sem.unlink()
    sem.close()


CONTENDERS = [
    Contender(
        "nob", "nob.ipc",
        {"NamedSemaphore": NamedSemaphore, "Flags": Flags},
        lambda name, value: NamedSemaphore(name, value, Flags.RAISE_IF_EXISTS),
        lambda sem: sem.close(),
        {
            "create_close": "NamedSemaphore(name, 1, Flags.RAISE_IF_EXISTS).close()",
            "open_close": "NamedSemaphore(name).close()",
        },
    ),
    Contender(
        "mp", "multiprocessing.Semaphore",
        {"ctx": _FORK},
        lambda name, value: _FORK.Semaphore(value),
        lambda sem: None,  # no close(): dropping the last reference closes it
        {
            "create_close": "ctx.Semaphore(1)",  # sem_open(O_EXCL) + sem_unlink; dealloc closes
            "open_close": None,  # anonymous: nothing to open by name
        },
    ),
    Contender(
        "posix_ipc", "posix_ipc",
        {"Semaphore": posix_ipc.Semaphore, "O_CREX": posix_ipc.O_CREX,
         "BusyError": posix_ipc.BusyError},
        lambda name, value: posix_ipc.Semaphore("/" + name, posix_ipc.O_CREX, initial_value=value),
        _posix_ipc_destroy,
        {
            "acquire_nonblocking": "sem.acquire(0); sem.release()",
            "acquire_timeout": "sem.acquire(1); sem.release()",
            "timed_wait_10ms": "try:\n    sem.acquire(0.01)\nexcept BusyError:\n    pass",
            "create_close": "s = Semaphore('/' + name, O_CREX, initial_value=1); s.unlink(); s.close()",
            "open_close": "Semaphore('/' + name).close()",
        },
    ),
    Contender(
        "named_semaphores", "named-semaphores",
        {"NS": _NS, "RAISE_IF_EXISTS": _NS.Flags.RAISE_IF_EXISTS},
        lambda name, value: _NS(name, value, _NS.Flags.RAISE_IF_EXISTS),
        lambda sem: None,  # no close(): __del__ closes, and unlinks what it created
        {
            "create_close": "NS(name, 1, RAISE_IF_EXISTS)",  # __del__ closes and unlinks
            "open_close": "NS(name)",  # __del__ closes
        },
    ),
]

DEFAULT_STATEMENTS = {
    "acquire_release": "sem.acquire(); sem.release()",
    "with": "with sem: pass",
    "acquire_nonblocking": "sem.acquire(False); sem.release()",
    "acquire_timeout": "sem.acquire(timeout=1); sem.release()",
    "timed_wait_10ms": "sem.acquire(timeout=0.01)",
}

# Hot-path cases, in report order: case -> what the table calls it.
HOT_CASES = {
    "acquire_release": "acquire() + release()",
    "with": "with sem: pass",
    "acquire_nonblocking": "acquire(False) + release()",
    "acquire_timeout": "acquire(timeout=1) + release()",
}
LIFECYCLE_CASES = {
    "create_close": "create + close (+ unlink)",
    "open_close": "open existing + close",
}


def forget_loggers():
    """named-semaphores adds a logging handler to a per-name logger on every
    construction and never removes it; drop them between samples so that the
    samples stay comparable (outside the timed part)."""
    import logging

    for key, logger in list(logging.root.manager.loggerDict.items()):
        if key.startswith("NamedSemaphore.") and isinstance(logger, logging.Logger):
            logger.handlers.clear()
