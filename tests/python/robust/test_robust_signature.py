"""inspect.signature(RobustSemaphore) gives the constructor's parameters (a
C type's __init__ has none of its own); a subclass's own __init__ wins."""

import inspect
import pathlib

import nob.ipc
from nob.ipc import Flags, RobustSemaphore


def test_inspect_signature_of_the_class():
    sig = inspect.signature(RobustSemaphore)
    assert list(sig.parameters) == ["name", "initial_value", "handle_existence",
                                    "persistent", "mode", "same_uid_only"]
    assert sig.parameters["name"].default is inspect.Parameter.empty
    assert sig.parameters["handle_existence"].default is Flags.RAISE_IF_NOT_EXISTS
    for kw in ("persistent", "mode", "same_uid_only"):
        assert sig.parameters[kw].kind is inspect.Parameter.KEYWORD_ONLY

    class WithOwnInit(RobustSemaphore):
        def __init__(self, name, extra=0):
            super().__init__(name)

    assert list(inspect.signature(WithOwnInit).parameters) == ["name", "extra"]

    class Plain(RobustSemaphore):
        pass

    assert inspect.signature(Plain) == sig


def test_stub_needs_nothing_older_mypy_releases_lack():
    stub = pathlib.Path(nob.ipc.__file__).with_name("_robust.pyi").read_text()
    assert "disjoint_base" not in stub.replace("@disjoint_base, which", "")
    assert "typing_extensions" not in stub
    assert '__slots__ = ("__weakref__",)' in stub
