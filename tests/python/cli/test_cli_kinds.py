"""nob-sem lists, inspects and unlinks every kind of object: plain and robust semaphores,
shared memory (/dev/shm/NAME) and message queues (/dev/mqueue/NAME), with --kind to choose."""

import json
import os

import pytest
from test_cli_support import SHM, cli

from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory

MQUEUE = "/dev/mqueue"
pytestmark = pytest.mark.skipif(not os.path.ismount(MQUEUE), reason="the mqueue file system is not mounted")


@pytest.fixture
def objects(make_name, no_leftover_shm_mq):
    """One object of each kind named <prefix>-<kind>, left in place; removed after the test."""
    names = {kind: make_name(kind) for kind in ("plain", "robust", "shm", "mq")}
    assert cli("create", names["plain"], "--value", "3").returncode == 0
    from nob.ipc import RobustSemaphore

    RobustSemaphore(names["robust"], 2, Flags.RAISE_IF_EXISTS, persistent=True).close()
    NamedSharedMemory(names["shm"], 4096, handle_existence=Flags.RAISE_IF_EXISTS, unlink_on_delete=False,
                      mode=0o640).close()
    mq = NamedMessageQueue(names["mq"], max_messages=5, max_message_size=100,
                           handle_existence=Flags.RAISE_IF_EXISTS, unlink_on_delete=False)
    mq.send(b"hello")
    mq.send(b"world!")
    mq.close()
    yield names
    for kind, name in names.items():
        cli("unlink", "--kind", kind, name)


def _rows(*args):
    r = cli("list", "--json", *args)
    assert r.returncode == 0, r.stderr
    return {(e["name"], e["kind"]): e for e in json.loads(r.stdout)}


def test_list_shows_every_kind(objects):
    rows = _rows()
    plain = rows["/" + objects["plain"], "plain"]
    assert (plain["value"], plain["capacity"], plain["error"]) == (3, None, None)
    robust = rows["/" + objects["robust"], "robust"]
    assert (robust["value"], robust["capacity"], robust["holders"]) == (2, 2, [])
    shm = rows["/" + objects["shm"], "shm"]
    assert (shm["size"], shm["mode"], shm["value"], shm["path"]) == (4096, "0640", None,
                                                                    f"{SHM}/{objects['shm']}")
    mq = rows["/" + objects["mq"], "mq"]
    assert (mq["value"], mq["capacity"], mq["max_message_size"], mq["size"]) == (2, 5, 100, 11)
    assert mq["path"] == f"{MQUEUE}/{objects['mq']}" and mq["error"] is None
    for e in rows.values():  # every row has every key
        assert set(e) == set(plain)


def test_the_table_shows_every_kind(objects):
    r = cli("list")
    assert r.returncode == 0, r.stderr
    lines = {ln.split()[0] + " " + ln.split()[1]: ln.split() for ln in r.stdout.splitlines()[1:]}
    assert lines[f"/{objects['shm']} shm"][2:5] == ["-", "-", "-"]
    assert lines[f"/{objects['shm']} shm"][-1] == "4096"
    assert lines[f"/{objects['mq']} mq"][2:5] == ["2", "5", "-"]  # messages, most messages, no holders


@pytest.mark.parametrize("kind", ["plain", "robust", "shm", "mq"])
def test_kind_filters_list(objects, kind):
    rows = _rows("--kind", kind)
    assert {k for _, k in rows} == {kind}
    assert ("/" + objects[kind], kind) in rows


def test_sem_means_both_kinds_of_semaphore(objects):
    assert {k for _, k in _rows("--kind", "sem")} == {"plain", "robust"}
    assert {k for _, k in _rows("--kind", "shm", "--kind", "mq")} == {"shm", "mq"}


@pytest.mark.parametrize("kind", ["shm", "mq"])
def test_info_of_shared_memory_and_queues(objects, kind):
    r = cli("info", objects[kind], "--json")
    assert r.returncode == 0, r.stderr
    e = json.loads(r.stdout)
    assert e["kind"] == kind and e["name"] == "/" + objects[kind]
    r = cli("info", objects[kind])
    assert r.returncode == 0, r.stderr
    assert f"kind:             {kind}" in r.stdout or f"kind:     {kind}" in r.stdout, r.stdout
    r = cli("info", "--kind", "plain", objects[kind])
    assert r.returncode == 3 and "no such plain semaphore" in r.stderr


def test_info_names_the_other_kinds_of_the_same_name(make_name, no_leftover_shm_mq):
    name = make_name("both")
    assert cli("create", name).returncode == 0
    NamedSharedMemory(name, 64, handle_existence=Flags.RAISE_IF_EXISTS, unlink_on_delete=False).close()
    try:
        r = cli("info", name)
        assert r.returncode == 0, r.stderr
        assert "kind:     plain" in r.stdout
        assert "also:     a shared memory object of the same name (info --kind shm)" in r.stdout
    finally:
        assert cli("unlink", "--kind", "all", name).returncode == 0
    assert not os.path.exists(os.path.join(SHM, name))


def test_unlink_takes_semaphores_unless_told_the_kind(objects):
    r = cli("unlink", objects["shm"])
    assert r.returncode == 3 and "no such semaphore" in r.stderr
    assert os.path.exists(os.path.join(SHM, objects["shm"]))
    for kind in ("shm", "mq"):
        r = cli("unlink", "--kind", kind, objects[kind])
        assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(SHM, objects["shm"]))
    assert not os.path.exists(os.path.join(MQUEUE, objects["mq"]))
    assert NamedMessageQueue.remove(objects["mq"]) is False  # gone for the library too


def test_a_queue_of_another_program_is_listed(make_name, no_leftover_shm_mq):
    import posix_ipc

    name = make_name("pq")
    q = posix_ipc.MessageQueue("/" + name, posix_ipc.O_CREX, max_messages=3, max_message_size=64)
    try:
        q.send(b"x" * 10)
        e = _rows("--kind", "mq")["/" + name, "mq"]
        assert (e["value"], e["capacity"], e["max_message_size"], e["size"]) == (1, 3, 64, 10)
    finally:
        q.close()
        q.unlink()
