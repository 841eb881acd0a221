"""Type stubs for the Cython extension nob.ipc._handle (hand-written)."""

import enum
from inspect import Signature
from types import TracebackType
from typing import Any, ClassVar, Coroutine, Dict, Optional, Type, TypeVar

_H = TypeVar("_H")

class ArgumentTypeError(ValueError, TypeError):
    """An argument of the wrong type: both a ValueError and a TypeError."""

class Flags(enum.Enum):
    """What a constructor does when the name exists, or does not."""

    RAISE_IF_EXISTS = 0
    LINK_OR_CREATE = 1
    RAISE_IF_NOT_EXISTS = 2
    UNLINK_AND_CREATE = 3

_Flags = Flags
REQUIRED: object
# The C functions the kinds' modules cimport (Cython's capsules).
__pyx_capi__: Dict[str, Any]

class ClassSignature:
    def __init__(self, *params: Any) -> None: ...
    def __get__(self, obj: object, objtype: Optional[type] = None) -> Optional[Signature]: ...

class Handle:
    """The life of a nob.ipc handle, whatever its kind."""

    # A C type with no instance __dict__: __slots__ (as at runtime) tells
    # stubtest it is a disjoint base (no @disjoint_base, which mypy < 1.18 lacks).
    __slots__ = ("__weakref__",)
    Flags: ClassVar[Type[_Flags]]
    @property
    def name(self) -> str: ...
    @property
    def linked_existing_object(self) -> bool: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def unlink(self) -> None: ...

unlink_on_delete: property
linked_existing_semaphore: property

def acquire_async(self: Any, timeout: Optional[float] = None) -> Coroutine[Any, Any, bool]: ...
def __aenter__(self: _H) -> Coroutine[Any, Any, _H]: ...
def __aexit__(
    self: Any,
    exc_type: Optional[Type[BaseException]],
    exc_value: Optional[BaseException],
    traceback: Optional[TracebackType],
) -> Coroutine[Any, Any, None]: ...
def __enter__(self: _H) -> _H: ...
def __exit__(
    self: Any,
    exc_type: Optional[Type[BaseException]],
    exc_value: Optional[BaseException],
    traceback: Optional[TracebackType],
) -> None: ...
