"""Python benchmarks: nob.ipc against multiprocessing.Semaphore, posix_ipc and
named-semaphores, in rounds interleaved across the contenders (a fresh random
order in every round), written as JSON for benchmarks/report.py.

    python bench.py OUT.json [--rounds N] [--quick]

Every sample is the mean cost of one operation over a loop long enough to
last about 20 ms; the report takes the median over rounds. Single-process
cases count this process's CPU time (as the C++ ones do), so that preemption
by other load on the machine is not charged; the others count wall time.
"""

import argparse
import gc
import glob
import itertools
import json
import os
import random
import sys
import textwrap
import time

import contenders
from contenders import CONTENDERS, HOT_CASES, LIFECYCLE_CASES

PREFIX = f"nob-pybench-{os.getpid()}"
now = time.perf_counter_ns
cpu_now = time.process_time_ns


def compile_loop(stmt, namespace, clock=cpu_now):
    """loop(sem, name, n) -> ns of `clock` spent running `stmt` n times (as timeit does)."""
    src = (
        "def loop(sem, name, n):\n"
        "    t0 = _now()\n"
        "    for _ in _repeat(None, n):\n"
        f"{textwrap.indent(stmt, ' ' * 8)}\n"
        "    return _now() - t0\n"
    )
    ns = dict(namespace, _now=clock, _repeat=itertools.repeat)
    exec(src, ns)
    return ns["loop"]


def calibrate(loop, sem, name, target_ns):
    """A loop count whose run lasts about target_ns."""
    n = 16
    while True:
        spent = loop(sem, name, n)
        if spent >= target_ns / 8 or n >= 1 << 24:
            return max(1, int(n * target_ns / max(spent, 1)))
        n *= 4


def sem_name(c, case):
    return f"{PREFIX}-{c.label}-{case}"


def make_existing(name):
    """A semaphore called `name` that no handle in this process holds open."""
    import posix_ipc

    posix_ipc.Semaphore("/" + name, posix_ipc.O_CREX, initial_value=1).close()


def remove_name(name):
    try:
        os.unlink(f"/dev/shm/sem.{name}")
    except FileNotFoundError:
        pass


def bench_single(results, rounds, sample_ns):
    """Hot-path and lifecycle cases: one process, one semaphore per contender."""
    cases = list(HOT_CASES) + list(LIFECYCLE_CASES)
    sems, loops, counts = {}, {}, {}
    try:
        for c in CONTENDERS:
            sems[c.label] = c.create(sem_name(c, "hot"), 1)
            make_existing(sem_name(c, "open_close"))
            for case in cases:
                stmt = c.statement(case)
                if stmt is None:
                    continue
                loops[c.label, case] = compile_loop(stmt, c.namespace)
        for (label, case), loop in loops.items():
            c = next(x for x in CONTENDERS if x.label == label)
            counts[label, case] = calibrate(loop, sems[label], sem_name(c, case), sample_ns)
            contenders.forget_loggers()
        for _ in range(rounds):
            for case in cases:
                order = [c for c in CONTENDERS if (c.label, case) in loops]
                random.shuffle(order)
                for c in order:
                    n = counts[c.label, case]
                    gc.collect()
                    gc.disable()
                    spent = loops[c.label, case](sems[c.label], sem_name(c, case), n)
                    gc.enable()
                    contenders.forget_loggers()
                    results.setdefault(case, {}).setdefault(c.label, []).append(spent / n)
    finally:
        for c in CONTENDERS:
            if c.label in sems:
                c.destroy(sems.pop(c.label))
            remove_name(sem_name(c, "open_close"))


def bench_timed_wait(results, rounds, waits=4):
    """Overshoot of a 10 ms timed wait on an empty semaphore, in ns."""
    sems, loops = {}, {}
    try:
        for c in CONTENDERS:
            sems[c.label] = c.create(sem_name(c, "timed"), 0)
            loops[c.label] = compile_loop(c.statement("timed_wait_10ms"), c.namespace, now)
        for _ in range(rounds):
            order = list(CONTENDERS)
            random.shuffle(order)
            for c in order:
                for _ in range(waits):
                    spent = loops[c.label](sems[c.label], "", 1)
                    results.setdefault("timed_wait_10ms", {}).setdefault(c.label, []).append(
                        spent - 10_000_000)
    finally:
        for c in CONTENDERS:
            if c.label in sems:
                c.destroy(sems.pop(c.label))


def ping_pong_once(c, n):
    """ns per round trip: this process posts `ping` and waits on `pong`; a
    forked child (inheriting both handles) waits on `ping` and posts `pong`.
    Both run on one CPU: a round trip is then two context switches, instead of
    a cross-CPU wake-up whose cost on a shared VM swings from 4 to 30 us."""
    ping = c.create(sem_name(c, "ping"), 0)
    pong = c.create(sem_name(c, "pong"), 0)
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {max(cpus)})
    try:
        pid = os.fork()
        if pid == 0:
            try:
                for _ in range(n):
                    ping.acquire()
                    pong.release()
            finally:
                os._exit(0)
        gc.disable()
        t0 = now()
        for _ in range(n):
            ping.release()
            pong.acquire()
        spent = now() - t0
        gc.enable()
        os.waitpid(pid, 0)
        return spent / n
    finally:
        os.sched_setaffinity(0, cpus)
        c.destroy(ping)
        c.destroy(pong)


def contended_once(c, procs, pairs):
    """ns per acquire+release pair while `procs` forked processes each run
    `pairs` of them on one semaphore of value 1 (pipes start and stop them)."""
    sem = c.create(sem_name(c, "contended"), 1)
    start_r, start_w = os.pipe()
    done_r, done_w = os.pipe()
    pids = []
    try:
        for _ in range(procs):
            pid = os.fork()
            if pid == 0:
                try:
                    os.read(start_r, 1)
                    for _ in range(pairs):
                        sem.acquire()
                        sem.release()
                    os.write(done_w, b"x")
                finally:
                    os._exit(0)
            pids.append(pid)
        time.sleep(0.005)  # let the children reach their read()
        t0 = now()
        os.write(start_w, b"x" * procs)
        got = 0
        while got < procs:
            got += len(os.read(done_r, procs - got))
        spent = now() - t0
        return spent / (procs * pairs)
    finally:
        for pid in pids:
            os.waitpid(pid, 0)
        for fd in (start_r, start_w, done_r, done_w):
            os.close(fd)
        c.destroy(sem)


def bench_processes(results, rounds, sample_ns, per_round=3):
    """Ping-pong and contended throughput (2 and 4 processes). Every round runs
    each (case, contender) `per_round` times, all in one shuffled order, so
    that bursts of outside load spread over all of them."""
    per_op = {c.label: sorted(results["acquire_release"][c.label])[0] for c in CONTENDERS}
    pp_n = {c.label: max(50, ping_pong_n(c, sample_ns)) for c in CONTENDERS}
    cases = (("ping_pong", 0), ("contended_2proc", 2), ("contended_4proc", 4))
    for _ in range(rounds):
        tasks = [(case, procs, c) for case, procs in cases for c in CONTENDERS] * per_round
        random.shuffle(tasks)
        for case, procs, c in tasks:
            if procs == 0:
                value = ping_pong_once(c, pp_n[c.label])
            else:
                pairs = max(200, int(sample_ns / per_op[c.label] / procs))
                value = contended_once(c, procs, pairs)
            results.setdefault(case, {}).setdefault(c.label, []).append(value)


def ping_pong_n(c, sample_ns):
    per_trip = ping_pong_once(c, 200)
    return int(sample_ns / per_trip)


def cleanup_names():
    for path in glob.glob(f"/dev/shm/sem.{PREFIX}-*"):
        os.unlink(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="2 rounds, short samples (a smoke test)")
    args = ap.parse_args()
    rounds = 2 if args.quick else args.rounds
    sample_ns = 2_000_000 if args.quick else 20_000_000
    results = {}
    t0 = time.monotonic()
    try:
        bench_single(results, rounds, sample_ns)
        bench_timed_wait(results, rounds)
        bench_processes(results, rounds, sample_ns // 2)
    finally:
        cleanup_names()
    out = {
        "python": sys.version.split()[0],
        "rounds": rounds,
        "seconds": round(time.monotonic() - t0, 1),
        "titles": {c.label: c.title for c in CONTENDERS},
        "statements": {
            case: {c.label: c.statement(case) for c in CONTENDERS}
            for case in list(HOT_CASES) + list(LIFECYCLE_CASES) + ["timed_wait_10ms"]
        },
        "results": results,  # case -> contender -> samples (ns per operation)
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"python benchmarks: {out['seconds']} s, {rounds} rounds -> {args.out}")


if __name__ == "__main__":
    main()
