"""Use after close: Python code that runs inside argument conversion (or in
another thread) may close the semaphore; every method must then refuse with
ValueError, never touch the unmapped sem_t (SIGSEGV) and never take a unit
from another semaphore mapped at the same address. Each case runs in a
child interpreter so that a crash is seen as a crash."""

import pytest

from conftest import run_child

# Each case: code run with `sem` (value 1, created) and `closer` (a callable
# that closes sem); it must print "ok".
CASES = {
    "acquire: timeout __float__ closes": """
        class T(numbers.Real):
            __float__ = lambda self: (closer(), 0.5)[1]
        for m in ('__abs__','__add__','__ceil__','__eq__','__floor__','__floordiv__','__le__',
                  '__lt__','__mod__','__mul__','__neg__','__pos__','__pow__','__radd__',
                  '__rfloordiv__','__rmod__','__rmul__','__round__','__rpow__','__rtruediv__',
                  '__truediv__','__trunc__'):
            setattr(T, m, lambda *a: 0)
        T.__abstractmethods__ = frozenset()
        expect_closed(lambda: sem.acquire(True, T()))
    """,
    "acquire: Fraction timeout, closed by its __float__": """
        class F(fractions.Fraction):
            def __float__(self):
                closer()
                return 0.5
        expect_closed(lambda: sem.acquire(True, F(1, 1000)))
    """,
    "acquire: int subclass timeout": """
        class I(int):
            def __lt__(self, other):
                closer()
                return int(self) < other
            def __float__(self):
                closer()
                return 1.0
        try:
            took = sem.acquire(True, I(1))  # may run no Python code at all ...
        except ValueError:
            pass
        else:
            assert took and not sem.closed and sem.value == 0  # ... then it simply took
        sem.close()
        expect_closed(lambda: sem.acquire(True, I(1)))
    """,
    "release: int subclass n whose __lt__/__index__/__gt__ close": """
        class N(int):
            def __lt__(self, other):
                closer(); return int(self) < other
            def __gt__(self, other):
                closer(); return int(self) > other
            def __index__(self):
                closer(); return int(self)
        try:
            sem.release(N(2))          # may run no Python code at all ...
        except ValueError:
            pass
        else:
            assert not sem.closed and sem.value == 3   # ... then it simply posted
        sem.close()
        expect_closed(lambda: sem.release(N(2)))
    """,
    "value / repr / unlink / with after close by a __del__": """
        class D:
            def __del__(self):
                closer()
        d = D(); del d
        expect_closed(lambda: sem.value)
        expect_closed(lambda: sem.unlink())
        expect_closed(lambda: sem.release())
        expect_closed(lambda: sem.acquire(False))
        def with_it():
            with sem:
                pass
        expect_closed(with_it)
        assert 'closed' in repr(sem)
    """,
    "unlink_on_delete setter after close": """
        closer()
        expect_closed(lambda: setattr(sem, 'unlink_on_delete', False))
    """,
}

PRELUDE = """
import fractions, gc, numbers, sys
from nob.ipc import Flags, NamedSemaphore
name = sys.argv[1]
sem = NamedSemaphore(name, 1, Flags.RAISE_IF_EXISTS)
# Another semaphore that may be mapped where sem was: it must never lose a unit.
decoy = None
def closer():
    global decoy
    if not sem.closed:
        sem.close()
        decoy = NamedSemaphore(name + "-decoy", 5, Flags.RAISE_IF_EXISTS)
def expect_closed(f):
    try:
        f()
    except ValueError:
        return
    raise AssertionError("no ValueError from a closed semaphore")
"""

EPILOGUE = """
assert decoy is None or decoy.value == 5, "a unit was taken from another semaphore"
if decoy is not None:
    decoy.close()
print("ok")
"""


@pytest.mark.parametrize("case", sorted(CASES))
def test_python_code_inside_argument_conversion_cannot_cause_use_after_close(case, sem_name):
    import textwrap
    code = PRELUDE + textwrap.dedent(CASES[case]) + EPILOGUE
    r = run_child(code, sem_name)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stderr}"
    assert r.stdout.strip() == "ok", r.stderr


def test_closing_from_another_thread_while_calls_run(sem_name):
    code = """
        import fractions, sys, threading
        from nob.ipc import Flags, NamedSemaphore
        name = sys.argv[1]
        stop = False
        errors = []
        current = [None]

        def user():
            while not stop:
                sem = current[0]
                if sem is None:
                    continue
                for call in (lambda: sem.acquire(True, fractions.Fraction(1, 1000)),
                             lambda: sem.release(2), lambda: sem.value, lambda: repr(sem),
                             lambda: sem.acquire(False), lambda: sem.release()):
                    try:
                        call()
                    except ValueError:
                        pass
                    except Exception as e:
                        errors.append(repr(e))

        threads = [threading.Thread(target=user) for _ in range(3)]
        for t in threads:
            t.start()
        for i in range(400):
            sem = NamedSemaphore(f"{name}-{i % 4}", 0, Flags.UNLINK_AND_CREATE)
            current[0] = sem
            for _ in range(20):
                pass
            sem.close()
        stop = True
        for t in threads:
            t.join()
        assert not errors, errors[:5]
        print("ok")
    """
    r = run_child(code, sem_name, timeout=120)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stderr}"
    assert r.stdout.strip() == "ok"
