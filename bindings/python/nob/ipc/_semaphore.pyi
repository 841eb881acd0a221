"""Type stubs for the Cython extension nob.ipc._semaphore (hand-written)."""

import enum
from inspect import Signature
from types import TracebackType
from typing import Any, ClassVar, Coroutine, Optional, Type, TypeVar

_S = TypeVar("_S", bound="NamedSemaphore")

SEMAPHORE_VALUE_MAX: int

class ArgumentTypeError(ValueError, TypeError):
    """An argument of the wrong type: both a ValueError and a TypeError."""

class Flags(enum.Enum):
    """What NamedSemaphore() does when the name exists, or does not."""

    RAISE_IF_EXISTS = 0
    LINK_OR_CREATE = 1
    RAISE_IF_NOT_EXISTS = 2
    UNLINK_AND_CREATE = 3

_Flags = Flags

def normalize_name(name: str, /) -> str: ...

class NamedSemaphore:
    """A POSIX named semaphore shared between processes."""

    # A C type with no instance __dict__: __slots__ (as at runtime) tells
    # stubtest it is a disjoint base (no @disjoint_base, which mypy < 1.18 lacks).
    __slots__ = ("__weakref__",)
    Flags: ClassVar[Type[_Flags]]
    __signature__: ClassVar[Signature]
    def __init__(
        self,
        name: str,
        initial_value: int = 1,
        handle_existence: _Flags = ...,
        unlink_on_delete: Optional[bool] = None,
        *,
        mode: int = 0o600,
        same_uid_only: bool = False,
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def linked_existing_semaphore(self) -> bool: ...
    @property
    def linked_existing_object(self) -> bool: ...
    @property
    def unlink_on_delete(self) -> bool: ...
    @unlink_on_delete.setter
    def unlink_on_delete(self, value: bool) -> None: ...
    @property
    def closed(self) -> bool: ...
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
    def unlink(self) -> None: ...
    def close(self) -> None: ...
    @staticmethod
    def remove(name: str) -> bool: ...
    @staticmethod
    def exists(name: str) -> bool: ...
