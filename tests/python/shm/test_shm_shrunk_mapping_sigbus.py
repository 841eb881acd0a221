"""What docs/python.md says of a mapping whose object another handle shrinks:
touching the lost pages kills the process with SIGBUS (as for any
mmap.mmap of a file), while a new mmap() maps only what is left."""

import signal
import subprocess
import sys
import textwrap

import pytest

from nob.ipc import NamedSharedMemory

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")

CHILD = textwrap.dedent("""
    import os, sys
    from nob.ipc import Flags, NamedSharedMemory
    with NamedSharedMemory(sys.argv[1], 8192, handle_existence=Flags.RAISE_IF_EXISTS) as shm:
        m = shm.mmap()
        os.ftruncate(shm.fd, 100)
        with shm.mmap() as fresh:
            assert len(fresh) == 100
        print("touching", flush=True)
        m[4096] = 1
    print("survived", flush=True)
""")


def test_touching_pages_cut_off_by_a_shrink_is_sigbus(sem_name):
    r = subprocess.run([sys.executable, "-c", CHILD, sem_name], capture_output=True, text=True,
                       timeout=60)
    NamedSharedMemory.remove(sem_name)  # the killed child could not close
    assert r.returncode == -signal.SIGBUS, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == "touching\n"
