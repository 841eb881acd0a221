"""Type stubs for the Cython extension nob.ipc._robust (hand-written)."""

from inspect import Signature
from types import TracebackType
from typing import Any, ClassVar, Coroutine, List, NamedTuple, Optional, Type, TypeVar

from nob.ipc._handle import Flags as _Flags, Handle

_R = TypeVar("_R", bound="RobustSemaphore")

class Holder(NamedTuple):
    """A live process that holds units of a RobustSemaphore: Holder(pid, units)."""

    pid: int
    units: int

class RobustSemaphore(Handle):
    """A named semaphore whose units belong to the process that took them."""

    # A C type with no instance __dict__: __slots__ (as at runtime) tells
    # stubtest it is a disjoint base (no @disjoint_base, which mypy < 1.18 lacks).
    __slots__ = ("__weakref__",)
    Flags: ClassVar[Type[_Flags]]
    __signature__: ClassVar[Signature]
    def __init__(
        self,
        name: Optional[str],  # None: a fresh name (docs/python.md, "Fresh names")
        initial_value: int = 1,
        handle_existence: _Flags = ...,
        *,
        persistent: bool = False,
        mode: int = 0o600,
        same_uid_only: bool = False,
    ) -> None: ...
    def _wait_word_address(self) -> int: ...
    def _liveness_fd(self) -> int: ...
    @property
    def linked_existing_semaphore(self) -> bool: ...
    @property
    def value(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    @property
    def held(self) -> int: ...
    def holders(self) -> List[Holder]: ...
    @property
    def persistent(self) -> bool: ...
    @persistent.setter
    def persistent(self, value: bool) -> None: ...
    def acquire(self, blocking: bool = True, timeout: Optional[float] = None) -> bool: ...
    def release(self, n: int = 1) -> None: ...
    def acquire_async(self, timeout: Optional[float] = None) -> Coroutine[Any, Any, bool]: ...
    def __aenter__(self: _R) -> Coroutine[Any, Any, _R]: ...
    def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> Coroutine[Any, Any, None]: ...
    def __enter__(self: _R) -> _R: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None: ...
    @staticmethod
    def remove(name: str) -> bool: ...
    @staticmethod
    def exists(name: str) -> bool: ...
