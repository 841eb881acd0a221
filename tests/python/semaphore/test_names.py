"""Names: normalised to one leading '/', everything else refused with ValueError before any system call."""

import pytest

from nob.ipc import Flags, NamedSemaphore, normalize_name

from conftest import sem_exists


@pytest.mark.parametrize("slashes", ["", "/", "//", "///"])
def test_leading_slashes_normalise_to_one(sem_name, slashes):
    with_slashes = slashes + sem_name
    sem = NamedSemaphore(with_slashes, handle_existence=Flags.RAISE_IF_EXISTS)
    try:
        assert sem.name == "/" + sem_name
        assert sem_exists(sem_name)
        other = NamedSemaphore("//" + sem_name)  # every spelling opens the same semaphore
        assert other.linked_existing_semaphore
        other.close()
    finally:
        sem.close()
    assert not sem_exists(sem_name)


def test_normalize_name_function():
    assert normalize_name("jobs") == "/jobs"
    assert normalize_name("/jobs") == "/jobs"
    assert normalize_name("//jobs") == "/jobs"
    assert normalize_name("a" * 251) == "/" + "a" * 251
    assert normalize_name("A-z_0.9") == "/A-z_0.9"


BAD_NAMES = [
    "",
    "/",
    "//",
    "a/b",
    "/a/b",
    "a b",
    "a@b",
    "a\0b",
    "caf\u00e9",
    "\u2603",
    "a" * 252,
    "/" + "a" * 252,
    ".",
    "..",
    "...",
    "/..",
    "a\nb",
    "a:b",
]


@pytest.mark.parametrize("bad", BAD_NAMES, ids=lambda n: repr(n)[:20])
def test_bad_names_are_refused_with_value_error(bad):
    for policy in Flags:
        with pytest.raises(ValueError):
            NamedSemaphore(bad, handle_existence=policy)
    with pytest.raises(ValueError):
        normalize_name(bad)
    with pytest.raises(ValueError):
        NamedSemaphore.exists(bad)
    with pytest.raises(ValueError):
        NamedSemaphore.remove(bad)


# (None is no bad name: it asks for a fresh one, tests/python/common/test_fresh_*.py.)
@pytest.mark.parametrize("bad", [1, 1.5, b"jobs", bytearray(b"jobs"), ["jobs"], object()])
def test_names_that_are_not_strings_are_refused(bad):
    with pytest.raises(ValueError):
        NamedSemaphore(bad, handle_existence=Flags.LINK_OR_CREATE)
    with pytest.raises(TypeError):  # the same exception is also a TypeError
        NamedSemaphore(bad, handle_existence=Flags.LINK_OR_CREATE)


def test_longest_name_works(sem_name):
    name = (sem_name + "x" * 251)[:251]
    with NamedSemaphore(name, handle_existence=Flags.RAISE_IF_EXISTS) as sem:
        assert sem.name == "/" + name
    sem.close()
    assert not sem_exists(name)


def test_exists_and_remove(sem_name):
    assert not NamedSemaphore.exists(sem_name)
    assert NamedSemaphore.remove(sem_name) is False
    sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    assert NamedSemaphore.exists("/" + sem_name)
    assert NamedSemaphore.remove("//" + sem_name) is True
    assert not sem_exists(sem_name)
    sem.close()
    with pytest.raises(ValueError):
        NamedSemaphore.exists("a b")
