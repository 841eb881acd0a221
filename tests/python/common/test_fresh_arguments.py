"""name=None and the other arguments: None with a policy that only opens
(RAISE_IF_NOT_EXISTS, passed explicitly) is a ValueError, as is every bad
argument, before any system call: also before the random source is asked
(a child without one still gets ValueError). None stays a bad name where a
name must be looked up (exists, remove)."""

import pytest

from fresh_support import KINDS, check_private, run_private

from nob.ipc import ArgumentTypeError, Flags, NamedSemaphore


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_none_with_raise_if_not_exists_is_a_value_error(kind):
    with pytest.raises(ValueError, match="RAISE_IF_NOT_EXISTS only opens"):
        kind.make(handle_existence=Flags.RAISE_IF_NOT_EXISTS)


def test_also_when_passed_by_position():
    with pytest.raises(ValueError, match="fresh name"):
        NamedSemaphore(None, 1, Flags.RAISE_IF_NOT_EXISTS)


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
@pytest.mark.parametrize("policy", ["RAISE_IF_EXISTS", 0, None, True])
def test_a_policy_that_is_no_flag_is_refused(kind, policy):
    with pytest.raises(ArgumentTypeError):
        kind.make(handle_existence=policy)


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_none_is_no_name_to_look_up(kind):
    for call in (kind.cls.exists, kind.cls.remove):
        with pytest.raises(ValueError):
            call(None)


def test_a_subclass_that_passes_its_defaults_on_creates_too():
    class Pool(NamedSemaphore):
        def __init__(self, name=None, slots=2):
            super().__init__(name, slots)

    with Pool() as pool:
        assert pool.value == 1  # 2, one taken by `with`
    pool.close()
    assert not NamedSemaphore.exists(pool.name)


def test_refused_before_the_random_source_is_asked():
    # No random source at all in the child: a draw would raise OSError (EIO).
    check_private(run_private("""
        import errno
        before = fs.entries()
        fs.break_random_source()
        bad = [
            lambda: NamedSemaphore(None, handle_existence=Flags.RAISE_IF_NOT_EXISTS),
            lambda: NamedSemaphore(None, -1),
            lambda: NamedSharedMemory(None, size=-1),
            lambda: NamedSharedMemory(None, handle_existence=Flags.RAISE_IF_NOT_EXISTS),
            lambda: NamedMessageQueue(None, read=False, write=False),
            lambda: NamedMessageQueue(None, mode=0o1000),
            lambda: RobustSemaphore(None, 0),
            lambda: RobustSemaphore(None, handle_existence=Flags.RAISE_IF_NOT_EXISTS),
        ]
        for make in bad:
            try:
                make()
            except OSError as e:
                sys.exit(f"asked the random source first: {e!r}")
            except ValueError:
                pass
            else:
                sys.exit("accepted")
        for kind in fs.KINDS.values():
            try:
                kind.make()
            except OSError as e:
                assert e.errno == errno.EIO, e
                assert "no random source" in str(e), e
            else:
                sys.exit("created without a random source")
        assert fs.entries() == before, fs.entries()
    """))
