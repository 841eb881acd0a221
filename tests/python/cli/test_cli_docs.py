"""Every ```console example in docs/cli.md runs as written and prints what the page shows.

Each block runs in one bash (so a variable set by one `$ ` line is there for the next),
as root, in a private IPC and mount namespace with an empty /dev/shm and /dev/mqueue of
its own (so `list` shows exactly what the example made), with umask 022, in an empty
directory, with the installed nob-sem and this Python first on PATH. A `$ ` line is the
command; the lines up to the next `$ ` are its output (stdout and stderr). What cannot
be the same twice is replaced on both sides before they are compared: pids (`pid N`,
`nob-demo-N`, the PID column of `holders`, with its width) and durations (`N.NNs`). Lines are compared
in sorted order: the jobs of an example run at once and print in any order.

Run it by hand: NOB_CLI_DOCS_SHOW=1 prints what each block printed."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli_support import nob_sem_path

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"
MARK = "@@nob-sem-docs-command@@"

pytestmark = [pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                 reason="needs root and unshare for a private /dev/shm and /dev/mqueue")]


def blocks():
    """[(line number, [(command, [expected output lines])])] of every console block."""
    found, lines = [], DOC.read_text().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            start, steps = i + 1, []
            i += 1
            while lines[i].strip() != "```":
                if lines[i].startswith("$ "):
                    steps.append((lines[i][2:], []))
                else:
                    assert steps, f"docs/cli.md:{i + 1}: output before any command"
                    steps[-1][1].append(lines[i])
                i += 1
            found.append((start, steps))
        i += 1
    return found


def normalized(lines, command):
    out = []
    for line in lines:
        line = re.sub(r"\bpid \d+", "pid N", line)
        line = re.sub(r"nob-demo-\d+", "nob-demo-N", line)
        line = re.sub(r"\b\d+\.\d\ds\b", "N.NNs", line)
        if "nob-sem holders" in command:  # its table: the PID column's width follows the pids
            line = re.sub(r"^\s*\d+\s+(\d+)$", r"N \1", line)
            line = re.sub(r"^\s*PID\s+UNITS$", "PID UNITS", line)
        out.append(line.rstrip())
    return sorted(out)


def run_block(steps, tmp_path):
    script = ["set +e"]
    for n, (command, _) in enumerate(steps):
        script += [f"echo '{MARK} {n}'", command]
    inner = ("mount -t tmpfs -o mode=1777 none /dev/shm && mount -t mqueue none /dev/mqueue && "
             f"cd {tmp_path} && umask 022 && exec bash --norc --noprofile {tmp_path}/.example.sh 2>&1 </dev/null")
    env = {"PATH": f"{os.path.dirname(nob_sem_path())}:{os.path.dirname(sys.executable)}:/usr/bin:/bin",
           "HOME": str(tmp_path), "LANG": "C.UTF-8", "TERM": "dumb"}
    (tmp_path / ".example.sh").write_text("\n".join(script) + "\n")
    r = subprocess.run(["unshare", "--ipc", "--mount", "--propagation", "private", "sh", "-c", inner],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, env=env,
                       cwd=tmp_path)
    got, current = {}, None
    for line in r.stdout.splitlines():
        if line.startswith(MARK):
            current = int(line.split()[1])
            got[current] = []
        elif current is not None:
            got[current].append(line)
    return got


BLOCKS = blocks()


def test_the_page_has_examples_of_every_command():
    text = " ".join(command for _, steps in BLOCKS for command, _ in steps)
    for word in ("list", "info", "holders", "create", "post", "wait", "unlink", "run", "demo", "completion",
                 "--kind", "--prefix", "--dry-run", "--any-owner", "--json", "--raw"):
        assert f" {word}" in text, word


@pytest.mark.parametrize("start, steps", BLOCKS, ids=[f"line{s}" for s, _ in BLOCKS])
def test_console_example(start, steps, tmp_path):
    got = run_block(steps, tmp_path)
    if os.environ.get("NOB_CLI_DOCS_SHOW"):
        for n, (command, _) in enumerate(steps):
            print(f"$ {command}", *got.get(n, []), sep="\n")
    for n, (command, expected) in enumerate(steps):
        assert normalized(got.get(n, []), command) == normalized(expected, command), \
            f"docs/cli.md:{start}: $ {command}\n--- printed:\n" + "\n".join(got.get(n, []))
