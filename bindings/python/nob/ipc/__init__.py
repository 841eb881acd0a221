"""POSIX named IPC shared between processes: named semaphores (``NamedSemaphore``),
robust semaphores whose units come back when their holder dies
(``RobustSemaphore``), shared memory (``NamedSharedMemory``) and message queues
(``NamedMessageQueue``), with their existence policies in ``Flags``."""

from nob.ipc._semaphore import (
    SEMAPHORE_VALUE_MAX as SEMAPHORE_VALUE_MAX,
    ArgumentTypeError as ArgumentTypeError,
    Flags as Flags,
    NamedSemaphore as NamedSemaphore,
    normalize_name as normalize_name,
)
from nob.ipc._shared_memory import NamedSharedMemory as NamedSharedMemory
from nob.ipc._message_queue import NamedMessageQueue as NamedMessageQueue
from nob.ipc._robust import Holder as Holder, RobustSemaphore as RobustSemaphore
from nob.ipc._async import async_wait_mode as async_wait_mode

__all__ = ["ArgumentTypeError", "Flags", "NamedSemaphore", "SEMAPHORE_VALUE_MAX", "normalize_name"]
__all__ += ["NamedSharedMemory", "NamedMessageQueue"]
__all__ += ["Holder", "RobustSemaphore"]
__all__ += ["async_wait_mode"]
