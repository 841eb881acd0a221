"""inspect.signature() of NamedSharedMemory and NamedMessageQueue gives the
published signatures plus `mode` and `same_uid_only` (and NamedSharedMemory's `allocate`;
1.6.3's classes are pure Python, so help() and IDEs read them); a subclass with its own
__init__ shows that __init__."""

import inspect

import pytest

from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory

EXPECTED = {
    NamedSharedMemory: [("name", inspect.Parameter.empty), ("size", 0), ("read_only", False),
                        ("handle_existence", Flags.RAISE_IF_NOT_EXISTS),
                        ("unlink_on_delete", None), ("mode", 0o600), ("same_uid_only", False),
                        ("allocate", False)],
    NamedMessageQueue: [("name", inspect.Parameter.empty), ("max_messages", None),
                        ("max_message_size", None), ("read", True), ("write", True),
                        ("handle_existence", Flags.RAISE_IF_NOT_EXISTS),
                        ("unlink_on_delete", None), ("mode", 0o600), ("same_uid_only", False)],
}


@pytest.mark.parametrize("cls", list(EXPECTED))
def test_signature_of_the_class(cls):
    sig = inspect.signature(cls)
    assert [(p.name, p.default) for p in sig.parameters.values()] == EXPECTED[cls]
    assert sig.parameters["mode"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["same_uid_only"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["unlink_on_delete"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    sig.bind("/x", handle_existence=Flags.LINK_OR_CREATE, mode=0o644)


@pytest.mark.parametrize("cls", list(EXPECTED))
def test_a_subclass_with_its_own_init_shows_it(cls):
    class Own(cls):
        def __init__(self, name, extra=0):
            super().__init__(name)

    class Inherits(cls):
        pass

    assert list(inspect.signature(Own).parameters) == ["name", "extra"]
    assert [p.name for p in inspect.signature(Inherits).parameters.values()] == [
        name for name, _ in EXPECTED[cls]]

