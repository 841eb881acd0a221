"""/proc/locks is read for at most LOCKS_BUDGET seconds of the reading thread's CPU time,
never of wall-clock time: a reader that the scheduler keeps off the CPU (a loaded machine)
still reads a short /proc/locks to its end and finds the leases in it. Here each read is
followed by a sleep longer than the budget, which is what being descheduled looks like to
the reader.

(Before: the budget was wall-clock time; at load 8.4 `nob-sem info build` of docs/cli.md
warned that /proc/locks "holds too many locks to read in 0.3 s" on a machine with few locks.)"""

import os
import time

from test_cli_support import leased_semaphore, shm_file

from nob.ipc._cli import inspect


def test_a_descheduled_reader_still_reads_all_of_proc_locks(monkeypatch, sem_name):
    lease = leased_semaphore("plain", sem_name)
    next(lease)  # another process holds a lease on the file from here on
    try:
        st = os.stat(shm_file(sem_name))
        real_read = os.read

        def descheduled_read(fd, n):
            data = real_read(fd, n)
            time.sleep(inspect.LOCKS_BUDGET + 0.2)  # off the CPU, as on a loaded machine
            return data

        monkeypatch.setattr(inspect.os, "read", descheduled_read)
        t0 = time.monotonic()
        found, complete = inspect.leased_files()
        monkeypatch.undo()
        assert time.monotonic() - t0 > inspect.LOCKS_BUDGET  # the sleeps did happen
        assert complete
        assert (st.st_dev, st.st_ino) in found
    finally:
        monkeypatch.undo()
        for _ in lease:  # the leaser ends, the name goes
            pass
