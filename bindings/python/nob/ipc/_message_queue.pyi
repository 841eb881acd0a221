"""Type stubs for the Cython extension nob.ipc._message_queue (hand-written)."""

from inspect import Signature
from types import TracebackType
from typing import Any, Callable, ClassVar, Optional, Tuple, Type, TypeVar, Union, overload

from typing_extensions import Buffer

from nob.ipc._handle import Flags, Handle

_F = Flags
_Q = TypeVar("_Q", bound="NamedMessageQueue")

class NamedMessageQueue(Handle):
    """A POSIX named message queue (mq_open) shared between processes."""

    # A C type with no instance __dict__: __slots__ (as at runtime) tells
    # stubtest it is a disjoint base (no @disjoint_base, which mypy < 1.18 lacks).
    __slots__ = ("__weakref__",)

    Flags: ClassVar[Type[_F]]
    __signature__: ClassVar[Signature]
    def __init__(
        self,
        name: Optional[str],  # None: a fresh name (docs/python.md, "Fresh names")
        max_messages: Optional[int] = None,
        max_message_size: Optional[int] = None,
        read: bool = True,
        write: bool = True,
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
    def block(self) -> bool: ...
    @block.setter
    def block(self, value: bool) -> None: ...
    @property
    def mqd(self) -> int: ...
    @property
    def mdq(self) -> int: ...
    @property
    def max_messages(self) -> int: ...
    @property
    def max_message_size(self) -> int: ...
    @property
    def current_messages(self) -> int: ...
    def send(
        self, message: Union[bytes, str, Buffer], timeout: Optional[float] = None, priority: int = 0
    ) -> bool: ...
    @overload
    def receive(self) -> Tuple[bytes, int]: ...
    @overload
    def receive(self, timeout: Optional[float]) -> Optional[Tuple[bytes, int]]: ...
    def request_notification(
        self, notification: Union[int, Tuple[Callable[[Any], object], Any], None] = None
    ) -> bool: ...
    def __enter__(self: _Q) -> _Q: ...
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
