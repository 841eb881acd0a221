"""Files named nob.* that cannot be robust semaphores (empty, short, another magic
number) are reported without forking anything: any user can create 100,000 empty files
for free, and `list` forked one reader child each (5,000 empty files: 7 s); it now forks
for no robust file at all."""

import os

import pytest
from test_cli_support import SHM

import nob.ipc

from conftest import run_child

pytestmark = pytest.mark.skipif(not hasattr(nob.ipc, "RobustSemaphore"), reason="no RobustSemaphore in this build")


@pytest.fixture
def garbage(make_name):
    paths = [os.path.join(SHM, "nob." + make_name(f"g{i}")) for i in range(30)]
    for i, path in enumerate(paths):
        with open(path, "wb") as f:
            f.write([b"", b"x" * 7, b"not-nob!" + bytes(100)][i % 3])
    yield [os.path.basename(p)[4:] for p in paths]
    for path in paths:
        os.unlink(path)


def test_list_reads_files_that_cannot_be_robust_without_a_child(garbage):
    r = run_child("""
        import os, sys
        from nob.ipc._cli.inspect import list_entries
        forks = []
        real_fork = os.fork
        os.fork = lambda: forks.append(1) or real_fork()
        rows = [e for e in list_entries(["robust"]) if e["name"][1:] in sys.argv[1:]]
        print(len(rows), len(forks), sum("not a robust semaphore" in e["error"] for e in rows))
    """, *garbage)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["30", "0", "30"], r.stdout
