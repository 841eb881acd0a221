"""When no process or descriptor is left for the child that reads a robust file
(RLIMIT_NPROC, RLIMIT_NOFILE), `list` still lists every semaphore: that row says why."""


import pytest
from test_cli_support import cli

import nob.ipc

from conftest import run_child

pytestmark = pytest.mark.skipif(not hasattr(nob.ipc, "RobustSemaphore"), reason="no RobustSemaphore in this build")


@pytest.mark.parametrize("failing, error", [("fork", "BlockingIOError(11, 'Resource temporarily unavailable')"),
                                            ("pipe", "OSError(24, 'Too many open files')")])
def test_list_reports_the_row_when_the_reader_cannot_start(make_name, failing, error):
    robust, plain = make_name("r"), make_name("p")
    try:
        assert cli("create", plain).returncode == 0
        r = run_child(f"""
            import os, sys
            from nob.ipc import Flags, RobustSemaphore
            import nob.ipc._cli as cli
            sem = RobustSemaphore(sys.argv[1], 2, Flags.RAISE_IF_EXISTS)
            def fail(*a):
                raise {error}
            os.{failing} = fail
            sys.exit(cli.main(["list"]))
        """, robust)
        assert r.returncode == 0, r.stderr
        rows = {line.split()[0]: line for line in r.stdout.splitlines()[1:]}
        assert "/" + plain in rows and "/" + robust in rows, r.stdout
        assert "not read" in rows["/" + robust], rows["/" + robust]
    finally:
        cli("unlink", plain)
