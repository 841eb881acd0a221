"""Exact per-operation costs of the C++ contenders under callgrind: user-space
instructions and system calls, which other load on the machine cannot change.

    python count_instructions.py NOB_CPP_INSTR OUT.json

Under valgrind, clock_gettime is a real system call (natively it is a vDSO
call that does not enter the kernel); the report says so.
"""

import json
import os
import subprocess
import sys
import tempfile

CASES = {  # case -> loop count
    "acquire_release": 20000,
    "try_acquire_release": 20000,
    "try_acquire_for_1s": 20000,
    "open_close": 500,
    "create_close_unlink": 500,
}
CONTENDERS = ["raw", "nob", "boost"]


def count(exe, case, who, n):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--toggle-collect=nob_bench_counted",
             "--collect-systime=yes", f"--callgrind-out-file={out}", exe, case, who, str(n)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            for line in f:
                if line.startswith("events:"):
                    events = line.split()[1:]
                if line.startswith("totals:"):
                    totals = dict(zip(events, map(int, line.split()[1:])))
    return {"instructions": totals["Ir"] / n, "syscalls": totals.get("sysCount", 0) / n}


def main():
    exe, out = sys.argv[1], sys.argv[2]
    results = {case: {who: count(exe, case, who, n) for who in CONTENDERS}
               for case, n in CASES.items()}
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
    print(f"callgrind counts -> {out}")


if __name__ == "__main__":
    main()
