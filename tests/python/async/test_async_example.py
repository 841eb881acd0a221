"""examples/async_two_processes.py runs: two processes, awaited posts, a cancelled wait."""

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "async_two_processes.py"


def test_the_two_process_asyncio_example_runs(sem_name):
    r = subprocess.run([sys.executable, str(EXAMPLE), "/" + sem_name], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [line.split(" after")[0] for line in lines[:3]] == ["unit 1", "unit 2", "unit 3"]
    assert "the fourth wait was cancelled; value is still 0" in lines
