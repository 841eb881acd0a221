"""A user who may only read a RobustSemaphore (mode 0o644: the attacker is "others") cannot
break it (issue 19 items 2 and 4). An O_RDONLY descriptor can take OFD read locks, and with the
locks in the data file a reader could block every open, fork and close (a read lock on byte
0), make a dead holder look alive for ever (a reader waiting on its entry byte is handed the
byte when it dies) and exhaust the user table (read locks on the free entry bytes). Every lock
now lives in the lock file /dev/shm/nob~NAME, which only users who may write the semaphore can
open. And a reader that maps the file and sends FUTEX_WAKE in a loop used to make each blocked
waiter rescan every slot twice per wake-up (4.33 s of CPU in 5 s at 65,536 units): a spurious
wake-up now costs a load. Played by two real users (robust_two_users.py)."""

import fcntl
import os
import struct
import threading
import time

import pytest

from nob.ipc import Flags, RobustSemaphore

from robust_two_users import (SYS_FUTEX, AsUser, as_user, futex_wake, map_read_only,  # noqa: F401
                              pause_forever, users)

OTHERS_MAY_READ = 0o644
VERSION1_ENTRY_BYTES = 1 << 30  # where layout 1 kept the users' lock bytes
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38


def flock_struct(kind, start, length):
    return struct.pack("hhqqi4x", kind, os.SEEK_SET, start, length, 0)


def reader_attack(name, block, ready):
    """The attacker, as issue 19 played it on layout 1: opens the data file read-only; with
    `block`, read-locks byte 0 (layout 1's file-wide lock) and every free entry byte (layout
    1's 2**30 + i); waits (F_OFD_SETLKW) for read locks on the live users' entry bytes. Then
    it says ready and sleeps."""
    data = "/dev/shm/nob." + name
    fd = os.open(data, os.O_RDONLY)
    if block:
        fcntl.fcntl(fd, F_OFD_SETLK, flock_struct(fcntl.F_RDLCK, 0, 1))
    for i in range(65536):
        at = VERSION1_ENTRY_BYTES + i
        probe = fcntl.fcntl(fd, F_OFD_GETLK, flock_struct(fcntl.F_RDLCK, at, 1))
        if struct.unpack("hhqqi4x", probe)[0] == fcntl.F_UNLCK:
            if block:
                fcntl.fcntl(fd, F_OFD_SETLK, flock_struct(fcntl.F_RDLCK, at, 1))
            continue
        waiting = os.open(data, os.O_RDONLY)
        threading.Thread(target=fcntl.fcntl, daemon=True,
                         args=(waiting, F_OFD_SETLKW, flock_struct(fcntl.F_RDLCK, at, 1))).start()
    ready()
    pause_forever()


def lock_file_out_of_reach(name, attacker):
    """True when the attacker can open the lock file neither to read nor to write."""
    def try_open():
        refused = []
        for flags in (os.O_RDONLY, os.O_RDWR):
            try:
                os.close(os.open("/dev/shm/nob~" + name, flags))
                refused.append(False)
            except PermissionError:
                refused.append(True)
            except OSError:  # none there: nothing keeps the locks from it
                refused.append(False)
        return all(refused)
    return as_user(attacker, try_open)


@pytest.fixture
def cleanup(sem_name):
    yield
    RobustSemaphore.remove(sem_name)


def test_read_locks_block_no_open_fork_or_close(sem_name, users, cleanup):
    victim, attacker = users

    def own(ready):
        sem = RobustSemaphore(sem_name, 2, Flags.RAISE_IF_EXISTS, mode=OTHERS_MAY_READ)  # noqa: F841
        ready()
        pause_forever()

    def use():
        took = []
        for _ in range(3):  # each open takes a new user entry
            t0 = time.monotonic()
            sem = RobustSemaphore(sem_name)
            took.append(time.monotonic() - t0)
            assert sem.acquire(blocking=False)
            t0 = time.monotonic()
            pid = os.fork()
            if pid == 0:
                os._exit(0 if (sem.held, sem.value) == (0, 1) else 1)
            took.append(time.monotonic() - t0)
            assert os.waitpid(pid, 0)[1] == 0
            t0 = time.monotonic()
            sem.close()
            took.append(time.monotonic() - t0)
        return max(took)

    owner = AsUser(victim, own, pass_ready=True)
    reader = None
    try:
        assert owner.ready()
        reader = AsUser(attacker, reader_attack, sem_name, True, pass_ready=True)
        assert reader.ready(), reader.result()
        assert as_user(victim, use, timeout=60) < 2.0  # each used to take 5 s, then fail EBUSY
        assert lock_file_out_of_reach(sem_name, attacker)
    finally:
        for child in (reader, owner):
            if child is not None:
                child.kill()


def test_a_reader_waiting_on_entry_bytes_keeps_no_dead_holder_alive(sem_name, users, cleanup):
    victim, attacker = users

    def hold(ready):
        sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS, mode=OTHERS_MAY_READ)
        sem.acquire()
        ready()
        pause_forever()

    def wait(ready):
        sem = RobustSemaphore(sem_name)
        ready()
        got = sem.acquire(timeout=10)
        return got, time.monotonic(), [h.pid for h in sem.holders()], os.getpid()

    holder = AsUser(victim, hold, pass_ready=True)
    waiter = reader = None
    try:
        assert holder.ready()
        waiter = AsUser(victim, wait, pass_ready=True)
        assert waiter.ready()
        reader = AsUser(attacker, reader_attack, sem_name, False, pass_ready=True)
        assert reader.ready(), reader.result()
        out_of_reach = lock_file_out_of_reach(sem_name, attacker)
        time.sleep(0.1)
        killed = time.monotonic()
        holder.kill()
        got, at, pids, me = waiter.result(timeout=30)
    finally:
        for child in (reader, waiter, holder):
            if child is not None:
                child.kill()
    assert got is True  # it used to time out: the reader kept the dead holder "alive"
    assert at - killed < 2.0
    assert pids == [me]
    assert out_of_reach


@pytest.mark.skipif(SYS_FUTEX is None, reason="no futex system call number for this machine")
def test_a_futex_wake_storm_costs_a_blocked_waiter_little(sem_name, users, cleanup):
    victim, attacker = users
    capacity = 65536

    def hold(ready):
        sem = RobustSemaphore(sem_name, capacity, Flags.RAISE_IF_EXISTS, mode=OTHERS_MAY_READ)
        for _ in range(capacity):
            assert sem.acquire(blocking=False)
        ready()
        pause_forever()

    def storm(ready):
        word = map_read_only("/dev/shm/nob." + sem_name) + 32  # the wait word
        ready()
        while True:
            futex_wake(word)

    def wait():
        sem = RobustSemaphore(sem_name)
        c0, t0 = time.thread_time(), time.monotonic()
        got = sem.acquire(timeout=3)
        return got, (time.thread_time() - c0) / (time.monotonic() - t0)

    holder = AsUser(victim, hold, pass_ready=True)
    stormer = None
    try:
        assert holder.ready()
        stormer = AsUser(attacker, storm, pass_ready=True)
        assert stormer.ready()
        got, share = as_user(victim, wait, timeout=60)
    finally:
        for child in (stormer, holder):
            if child is not None:
                child.kill()
    print(f"a blocked waiter used {share * 100:.1f}% of a core under a FUTEX_WAKE storm")
    assert got is False
    assert share < 0.10
