"""Type stubs for the Cython extension nob.ipc._shared_memory (hand-written)."""

import mmap
from inspect import Signature
from types import TracebackType
from typing import ClassVar, Optional, Type, TypeVar

from nob.ipc._handle import Flags, Handle

_F = Flags
_M = TypeVar("_M", bound="NamedSharedMemory")

class NamedSharedMemory(Handle):
    """A POSIX named shared memory object (shm_open) shared between processes."""

    # A C type with no instance __dict__: __slots__ (as at runtime) tells
    # stubtest it is a disjoint base (no @disjoint_base, which mypy < 1.18 lacks).
    __slots__ = ("__weakref__",)

    Flags: ClassVar[Type[_F]]
    __signature__: ClassVar[Signature]
    def __init__(
        self,
        name: Optional[str],  # None: a fresh name (docs/python.md, "Fresh names")
        size: int = 0,
        read_only: bool = False,
        handle_existence: _F = ...,
        unlink_on_delete: Optional[bool] = None,
        *,
        mode: int = 0o600,
        same_uid_only: bool = False,
    ) -> None: ...
    @property
    def unlink_on_delete(self) -> bool: ...
    @unlink_on_delete.setter
    def unlink_on_delete(self, value: bool) -> None: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def size(self) -> int: ...
    @property
    def fd(self) -> int: ...
    def mmap(self) -> mmap.mmap: ...
    def __enter__(self: _M) -> _M: ...
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
