"""Type stubs for the Cython extension nob.ipc._semaphore (hand-written)."""

from inspect import Signature
from types import TracebackType
from typing import Any, ClassVar, Coroutine, Optional, Type, TypeVar

from nob.ipc._handle import ArgumentTypeError as ArgumentTypeError, Flags as Flags, Handle

_S = TypeVar("_S", bound="NamedSemaphore")
_Flags = Flags

SEMAPHORE_VALUE_MAX: int

def normalize_name(name: str, /) -> str: ...

class NamedSemaphore(Handle):
    """A POSIX named semaphore shared between processes."""

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
        unlink_on_delete: Optional[bool] = None,
        *,
        mode: int = 0o600,
        same_uid_only: bool = False,
    ) -> None: ...
    @property
    def linked_existing_semaphore(self) -> bool: ...
    @property
    def unlink_on_delete(self) -> bool: ...
    @unlink_on_delete.setter
    def unlink_on_delete(self, value: bool) -> None: ...
    @property
    def value(self) -> int: ...
    def acquire(self, blocking: bool = True, timeout: Optional[float] = None) -> bool: ...
    def release(self, n: int = 1) -> None: ...
    def acquire_async(self, timeout: Optional[float] = None) -> Coroutine[Any, Any, bool]: ...
    def __aenter__(self: _S) -> Coroutine[Any, Any, _S]: ...
    def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> Coroutine[Any, Any, None]: ...
    def __enter__(self: _S) -> _S: ...
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
