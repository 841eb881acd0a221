"""Every C type that Python code can reach from nob.ipc either refuses to be
made from Python (its fields would be NULL) or, for the public classes, works
safely when made without __init__. A child process walks everything reachable
(gc.get_objects() and their referents while each kind is in use, asyncio
waits included), so a crash shows as the child's signal, not as a dead suite."""

import pytest

from conftest import run_child

# The classes users make and subclass, and their base; made by __new__ alone
# they are closed.
PUBLIC = {"NamedSemaphore", "NamedSharedMemory", "NamedMessageQueue", "RobustSemaphore",
          "Handle"}
# Plain Python classes of the package (no C fields).
PYTHON_CLASSES = {"ArgumentTypeError", "Flags", "Holder", "RobustStatus", "ClassSignature",
                  "_ClassSignature"}

WALK = r"""
import asyncio, copy, gc, pickle, sys
import nob.ipc
from nob.ipc import (Flags, NamedMessageQueue, NamedSemaphore, NamedSharedMemory,
                     RobustSemaphore)

name = sys.argv[1]
PUBLIC = set(sys.argv[2].split(","))
PYTHON_CLASSES = set(sys.argv[3].split(","))
MODULES = [m for k, m in sorted(sys.modules.items()) if k.startswith("nob.ipc")]


def ours(t):
    return str(getattr(t, "__module__", "")).startswith(("nob.", "_cython_"))


def referents(o):
    # Not of CPython's _asyncio module: before 3.12.6 its traverse visits the
    # FutureIter free list, and gc.get_referents() on it frees those objects
    # again, until the list is a cycle and the next call never ends (gh-122695;
    # 3.12.1 here grew to 23 GB). Our types are found through our objects.
    return [] if o is _ASYNCIO else gc.get_referents(o)


_ASYNCIO = sys.modules.get("_asyncio")


def reachable_types(extra):
    seen = set()
    for o in gc.get_objects() + extra:
        for r in [o] + referents(o):
            seen.add(type(r))
            if isinstance(r, type):
                seen.add(r)
    for m in MODULES:
        for v in vars(m).values():
            seen.add(type(v))
            if isinstance(v, type):
                seen.add(v)
    seen |= {type(t) for t in seen}  # metatypes
    return {t for t in seen if ours(t)}


def attempts(t, instance):
    yield "T()", lambda: t()
    yield "T.__new__(T)", lambda: t.__new__(t)
    yield "object.__new__(T)", lambda: object.__new__(t)
    yield "subclass()", lambda: type("Sub", (t,), {})()
    if instance is not None:
        yield "copy.copy", lambda: copy.copy(instance)
        yield "copy.deepcopy", lambda: copy.deepcopy(instance)
        for p in range(pickle.HIGHEST_PROTOCOL + 1):
            yield f"pickle {p}", lambda p=p: pickle.loads(pickle.dumps(instance, p))


async def main():
    sem = NamedSemaphore(name + "-s", 0, Flags.RAISE_IF_EXISTS)
    rob = RobustSemaphore(name + "-r", 1, Flags.RAISE_IF_EXISTS)
    assert rob.acquire()
    shm = NamedSharedMemory(name + "-m", 8, handle_existence=Flags.RAISE_IF_EXISTS)
    mq = NamedMessageQueue(name + "-q", 1, 8, handle_existence=Flags.RAISE_IF_EXISTS)
    waits = [asyncio.ensure_future(sem.acquire_async(timeout=30)),
             asyncio.ensure_future(rob.acquire_async(timeout=30))]
    await asyncio.sleep(0.2)  # both wait: helper thread, channels, timers exist
    held = [sem, rob, shm, mq, sem.__enter__, sem.__exit__, rob.__enter__, rob.__exit__]
    instances = {}
    for o in gc.get_objects() + held:
        for r in [o] + referents(o):
            if ours(type(r)) and not isinstance(r, type):
                instances.setdefault(type(r), r)
    bad = []
    for t in sorted(reachable_types(held), key=repr):
        if t.__name__ in PYTHON_CLASSES:
            continue
        for how, make in attempts(t, instances.get(t)):
            try:
                made = make()
            except Exception as e:
                print(f"{t.__qualname__}: {how}: refused ({type(e).__name__})", flush=True)
                continue
            if t.__name__ in PUBLIC:
                continue  # made by __new__: closed (test_uninitialised_objects_...)
            if made is instances.get(t):
                continue  # copied or pickled by reference (a function): nothing new
            bad.append(f"{t.__module__}.{t.__qualname__}: {how} made an instance")
            print(f"MADE {t.__qualname__} by {how}", flush=True)
            del made
    print("TYPES", ",".join(sorted(t.__qualname__ for t in reachable_types(held))), flush=True)
    for b in bad:
        print("BAD", b, flush=True)
    for w in waits:
        w.cancel()
    await asyncio.gather(*waits, return_exceptions=True)
    rob.release()
    for o in (sem, rob, shm, mq):
        o.close()

asyncio.run(main())
print("DONE")
"""


def test_every_reachable_c_type_refuses_instantiation(sem_name, no_leftover_shm_mq):
    r = run_child(WALK, sem_name, ",".join(PUBLIC), ",".join(PYTHON_CLASSES), timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "DONE" in r.stdout, out
    types = next(line for line in r.stdout.splitlines() if line.startswith("TYPES "))
    found = set(types.split(" ", 1)[1].split(","))
    # The walk must have seen the machinery it is meant to check.
    assert {"_BoundWith", "_WithSlot", "_Channel", "_Entry", "_Helper", "_Deadline"} <= found, found
    assert PUBLIC <= found, found
    bad = [line for line in r.stdout.splitlines() if line.startswith("BAD ")]
    assert not bad, "\n".join(bad)


UNINITIALISED = r"""
import sys
from nob.ipc import NamedMessageQueue, NamedSemaphore, NamedSharedMemory, RobustSemaphore
from nob.ipc._handle import Handle

ARGS = [(), (None,), (0,), (-1,), (1,), (b"x",), (None, None, None)]
SKIP = {"__init__", "__new__", "__class__", "__init_subclass__", "__subclasshook__"}


def poke(obj):
    for attr in sorted(dir(type(obj))):
        if attr in SKIP:
            continue
        try:
            value = getattr(obj, attr)
        except Exception:
            continue
        if not callable(value):
            continue
        for args in ARGS:
            try:
                r = value(*args)
            except Exception:
                continue
            if hasattr(r, "close") and hasattr(r, "send"):  # a coroutine
                try:
                    r.send(None)
                except BaseException:
                    pass
                r.close()
    repr(obj)


for cls in (NamedSemaphore, NamedSharedMemory, NamedMessageQueue, RobustSemaphore, Handle):
    for t in (cls, type("Sub", (cls,), {})):
        obj = t.__new__(t)
        assert obj.closed, t
        assert repr(obj).endswith("closed>"), repr(obj)
        poke(obj)
        print("poked", t.__name__, flush=True)
print("DONE")
"""


def test_uninitialised_objects_of_the_public_classes_are_closed_and_safe():
    r = run_child(UNINITIALISED, timeout=120)
    assert r.returncode == 0 and "DONE" in r.stdout, r.stdout + r.stderr


# The December review's reproducers (SIGSEGV on 3.11 and 3.13 before the fix).
CRASHES = {
    "repr": "repr(type(sem.__enter__)())",
    "__self__": "type(sem.__exit__)().__self__",
    "slot __get__": "type(NamedSemaphore.__dict__['__enter__'])().__get__(None, int)",
    "slot new": "type(NamedSemaphore.__dict__['__exit__']).__new__("
                "type(NamedSemaphore.__dict__['__exit__']))",
    "call": "type(sem.__enter__)()()",
    "subclass": "type('S', (type(NamedSemaphore.__dict__['__enter__']),), {})",
    # Cython's shared types: their metatype had no tp_new, and CPython before
    # gh-151912 called it unchecked when a class named such a type as its base.
    "coroutine subclass": "type('S', (type(NamedSemaphore.acquire_async(sem, 0)),), {})",
    "cyfunction subclass": "type('S', (type(type(NamedSemaphore.__dict__['__signature__']).__get__),), {})()",
}


@pytest.mark.parametrize("expr", CRASHES.values(), ids=list(CRASHES))
def test_with_objects_made_from_python_are_refused(sem_name, expr):
    code = f"""
        import sys
        from nob.ipc import Flags, NamedSemaphore
        sem = NamedSemaphore(sys.argv[1], 1, Flags.RAISE_IF_EXISTS)
        try:
            {expr}
        except TypeError as e:
            print("refused:", e)
        else:
            print("accepted")
        finally:
            sem.close()
    """
    r = run_child(code, sem_name)
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert "refused:" in r.stdout, r.stdout


def test_a_refused_with_object_never_poisons_the_next_with(sem_name):
    from nob.ipc import Flags, NamedSemaphore

    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    bound = type(sem.__enter__)
    for _ in range(40):  # more than the free list holds
        with pytest.raises(TypeError):
            bound()
        with pytest.raises(TypeError):
            bound.__new__(bound)
    for _ in range(40):
        with sem:
            assert sem.value == 0
        assert sem.value == 1
    sem.close()
