"""RobustSemaphore against NamedSemaphore, side by side in one run: the cost of
one uncontended acquire() + release() pair, and of one `with sem:` (issue 20's
target: RobustSemaphore within 1.10x NamedSemaphore for both). Prints a
table; never run in CI.

    python bench_robust.py [--rounds N] [--seconds-per-sample S]

Each sample is the mean over a loop that lasts about S seconds of the
calling thread's CPU time (preemption by other load is not charged); the
rounds interleave the two kinds in a fresh random order. The table shows
the median and the spread (min..max) over rounds, and the ratio is the
median of the per-round ratios (each round's robust sample over the same
round's named one), which a shared machine's drifting speed cancels out of.
"""

import argparse
import itertools
import os
import random
import statistics
import time

from nob.ipc import Flags, NamedSemaphore, RobustSemaphore

CASES = {
    "acquire()+release()": "acquire()\n        release()",
    "with sem:": "with sem:\n            pass",
}


def make_loop(case):
    body = CASES[case]
    if case.startswith("acquire"):
        body = "acquire()\n        release()"
        src = ("def loop(sem, n):\n    acquire = sem.acquire\n    release = sem.release\n"
               "    t0 = _now()\n    for _ in _repeat(None, n):\n        " + body +
               "\n    return _now() - t0\n")
    else:
        src = ("def loop(sem, n):\n    t0 = _now()\n    for _ in _repeat(None, n):\n        " +
               body + "\n    return _now() - t0\n")
    ns = {"_now": time.thread_time_ns, "_repeat": itertools.repeat}
    exec(src, ns)
    return ns["loop"]


def calibrate(loop, sem, target_ns):
    n = 1000
    while True:
        spent = loop(sem, n)
        if spent >= target_ns / 8:
            return max(1, int(n * target_ns / max(spent, 1)))
        n *= 4


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--seconds-per-sample", type=float, default=0.05)
    args = ap.parse_args()
    prefix = f"nob-bench-robust-{os.getpid()}"
    sems = {
        "NamedSemaphore": NamedSemaphore(prefix + "-named", 1, Flags.RAISE_IF_EXISTS),
        "RobustSemaphore": RobustSemaphore(prefix + "-robust", 1, Flags.RAISE_IF_EXISTS),
    }
    target = int(args.seconds_per_sample * 1e9)
    try:
        samples = {(k, c): [] for k in sems for c in CASES}
        loops = {c: make_loop(c) for c in CASES}
        counts = {(k, c): calibrate(loops[c], sems[k], target) for k in sems for c in CASES}
        rng = random.Random()
        for _ in range(args.rounds):
            order = list(samples)
            rng.shuffle(order)
            for kind, case in order:
                n = counts[(kind, case)]
                samples[(kind, case)].append(loops[case](sems[kind], n) / n)
        print(f"{'case':22} {'NamedSemaphore ns':>22} {'RobustSemaphore ns':>22} {'ratio':>7}")
        for case in CASES:
            named = samples[("NamedSemaphore", case)]
            robust = samples[("RobustSemaphore", case)]
            ratio = statistics.median(r / n for r, n in zip(robust, named))
            cells = [f"{statistics.median(s):6.1f} ({min(s):.0f}..{max(s):.0f})" for s in (named, robust)]
            print(f"{case:22} {cells[0]:>22} {cells[1]:>22} {ratio:6.2f}x")
        print(f"({args.rounds} rounds, median (min..max) ns per operation, thread CPU time;"
              " ratio: median of per-round ratios)")
    finally:
        for sem in sems.values():
            sem.close()


if __name__ == "__main__":
    main()
