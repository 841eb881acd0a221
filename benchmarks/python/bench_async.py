"""asyncio waits of nob.ipc semaphores, in each waiting mode, against the
floor of any wake-up a loop can get from another process (issue 21's
targets). Never run in CI; prints figures, gates nothing.

1. Threads this process has while tasks wait, per mode (uring: none
   beyond the main thread); measured first, before any helper exists.
2. Wake latency: another process posts (or writes a pipe) 1 ms after our
   command, so that we are asleep in the selector; we measure from just
   before its sem_post (or write) to the moment the awaiting task runs
   again. Rows, each on asyncio's loop and on uvloop:
     floor      a pipe written by the other process, awaited with
                loop.add_reader (what any fd-readiness wake costs);
     named/robust MODE   `await sem.acquire_async()` on a NamedSemaphore /
                RobustSemaphore, NOB_ASYNC_WAIT=MODE (uring, thread, poll);
   and, for reference, a thread blocked in a plain acquire(). Samples of
   every row are interleaved in a fresh random order per round; each row's
   median is divided by the same loop's floor (target, uring: <= 1.2x).
3. The same wake with 1000 other semaphores awaited at once by the same
   loop (target, uring: <= 1.5x the wake with none).
4. 2000 tasks on one semaphore, the other process posting 2000 units: loop
   lag of a 1 ms ticker meanwhile (target p90 <= 0.11 ms), wall clock and
   the loop thread's CPU time per tick.
5. A process blocked in a plain acquire() behind our waiter: how long until
   it gets a posted unit while our loop runs a 1 s CPU-bound callback (the
   wake we took must be handed on; target < 50 ms).

    python bench_async.py [--samples N] [--runs N] [--parts 1,2,3,4,5] [--quick]

--runs N repeats part 2 N times (each run's ratios use that run's floor)
and prints the medians of the runs, for a machine whose load moves.
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import threading
import time

from nob.ipc import Flags, NamedSemaphore, RobustSemaphore, async_wait_mode

MODES = ["uring", "thread", "poll"]

POSTER = r"""
import os, sys, time
from nob.ipc import NamedSemaphore, RobustSemaphore
wfd, named, robust, units = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
sems = {"named": NamedSemaphore(named), "robust": RobustSemaphore(robust)}
for _ in range(units):
    assert sems["robust"].acquire(timeout=30)
print("ready", flush=True)
for line in sys.stdin:
    what, n = line.split()
    if what == "take":  # the robust unit the waiter gave back: ours again
        assert sems["robust"].acquire(timeout=30)
        print(0.0, flush=True)
        continue
    time.sleep(0.001)  # the waiter sleeps in its selector, we are not just woken by it
    t = time.monotonic()
    if what == "pipe":
        os.write(wfd, b"x")
    else:
        for _ in range(int(n)):
            sems[what].release()
    print(t, flush=True)
"""

BLOCKED = r"""
import sys, time
from nob.ipc import NamedSemaphore
sem = NamedSemaphore(sys.argv[1])
print("waiting", flush=True)
ok = sem.acquire(timeout=30)
print(ok, time.monotonic(), flush=True)
"""


class Ticker:
    """A timer callback every 1 ms: how late each one runs (wall clock), and
    how much CPU time the loop's thread spent meanwhile."""

    def __init__(self, loop):
        self.loop, self.lags, self.cpu, self.handle = loop, [], [], None

    def start(self):
        self.handle = self.loop.call_later(0.001, self.tick)  # as asyncio.sleep(0.001)
        self.t0, self.cpu0 = time.monotonic(), time.thread_time()

    def tick(self):
        now, c = time.monotonic(), time.thread_time()
        self.lags.append(now - self.t0 - 0.001)
        self.cpu.append(c - self.cpu0)
        self.start()

    def stop(self):
        self.handle.cancel()


class Poster:
    """Another process that posts (or writes the pipe) on command."""

    def __init__(self, wfd, named, robust, units):
        self.proc = subprocess.Popen([sys.executable, "-c", POSTER, str(wfd), named, robust,
                                      str(units)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, pass_fds=(wfd,))
        assert self.proc.stdout.readline().strip() == "ready"

    def send(self, what, n=1):
        self.proc.stdin.write(f"{what} {n}\n")
        self.proc.stdin.flush()

    def sent(self):
        return float(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def threads():
    return len(os.listdir("/proc/self/task"))


def set_mode(mode):
    os.environ["NOB_ASYNC_WAIT"] = mode


def available_modes():
    have = []
    for m in MODES:
        set_mode(m)
        if async_wait_mode() == m:
            have.append(m)
    os.environ.pop("NOB_ASYNC_WAIT", None)
    return have


class Bench:
    def __init__(self, args):
        self.args = args
        self.pid = os.getpid()
        self.named = NamedSemaphore(f"/nob-bench-async-{self.pid}", 0, Flags.RAISE_IF_EXISTS)
        # One robust unit, passed back and forth: the poster holds it, posts it
        # to our waiting task, gets it back after the sample. (Holding one unit
        # each, as a holder usually does: a RobustSemaphore's release costs
        # more when its process holds over a thousand units, 4 to 13 us here,
        # and that cost, before the futex wake, would count as wake latency.)
        self.robust = RobustSemaphore(f"/nob-bench-async-r-{self.pid}", 1, Flags.RAISE_IF_EXISTS)
        self.rfd, self.wfd = os.pipe()
        self.poster = Poster(self.wfd, self.named.name, self.robust.name, 1)
        self.loops = {"asyncio": asyncio.new_event_loop()}
        try:
            import uvloop
            self.loops["uvloop"] = uvloop.new_event_loop()
        except ImportError:
            pass
        self.modes = available_modes()

    def close(self):
        self.poster.close()
        for loop in self.loops.values():
            loop.close()
        self.robust.release(self.robust.held) if self.robust.held else None
        self.named.unlink()
        self.named.close()
        self.robust.close()
        os.close(self.rfd)
        os.close(self.wfd)

    # -- one wake -------------------------------------------------------------
    def floor_sample(self, loop):
        async def one():
            fut = loop.create_future()

            def readable():
                os.read(self.rfd, 1)
                if not fut.done():
                    fut.set_result(None)

            loop.add_reader(self.rfd, readable)
            try:
                loop.call_later(0.003, self.poster.send, "pipe")
                await fut
                return time.monotonic()
            finally:
                loop.remove_reader(self.rfd)

        resumed = loop.run_until_complete(one())
        return resumed - self.poster.sent()

    def task_sample(self, loop, kind, mode):
        sem = self.named if kind == "named" else self.robust
        set_mode(mode)

        async def one():
            loop.call_later(0.003, self.poster.send, kind)
            await sem.acquire_async()
            return time.monotonic()

        resumed = loop.run_until_complete(one())
        took = resumed - self.poster.sent()
        if kind == "robust":
            sem.release()  # back to the poster, before the next sample waits
            self.poster.send("take")
            self.poster.sent()
        return took

    def blocking_sample(self):
        box = []
        th = threading.Thread(target=lambda: (self.named.acquire(), box.append(time.monotonic())))
        th.start()
        time.sleep(0.003)
        self.poster.send("named")
        th.join()
        return box[0] - self.poster.sent()

    def sample(self, row):
        loop_name, what = row[0], row[1]
        if what == "blocking":
            return self.blocking_sample()
        loop = self.loops[loop_name]
        if what == "floor":
            return self.floor_sample(loop)
        return self.task_sample(loop, what, row[2])

    # -- 1. wake latency ------------------------------------------------------
    def wake_latency(self):
        rows = [("-", "blocking", "-")]
        for ln in self.loops:
            rows.append((ln, "floor", "-"))
            for mode in self.modes:
                for kind in ("named", "robust"):
                    if kind == "robust" and mode == "poll":
                        continue
                    rows.append((ln, kind, mode))
        runs = []  # per run: {row: (median, p90)}
        for _ in range(self.args.runs):
            lat = {r: [] for r in rows}
            for _ in range(self.args.samples):
                for r in random.sample(rows, len(rows)):
                    lat[r].append(self.sample(r))
            runs.append({r: (statistics.median(v), sorted(v)[int(len(v) * 0.9)])
                         for r, v in lat.items()})
        os.environ.pop("NOB_ASYNC_WAIT", None)
        # Each run's ratio uses that run's floor; with several runs, every
        # column is the median of the runs' figures (and the ratios' range).
        ratios = {r: [run[r][0] / run[(r[0], "floor", "-")][0] for run in runs]
                  for r in rows if r[0] != "-"}
        med = {r: statistics.median(run[r][0] for run in runs) for r in rows}
        p90 = {r: statistics.median(run[r][1] for run in runs) for r in rows}
        several = self.args.runs > 1
        print(f"2. post in another process -> awaiting task runs again, {self.args.samples} "
              f"samples per row, interleaved; {os.cpu_count()} CPUs"
              + (f"; medians of {self.args.runs} runs" if several else ""))
        print(f"   {'loop':8} {'waiter':16} {'median us':>10} {'p90 us':>9} {'/ floor':>8}"
              + (f" {'runs':>13}" if several else ""))
        for r in rows:
            ratio = f"{statistics.median(ratios[r]):7.2f}x" if r in ratios else "        "
            spread = ""
            if several and r in ratios and r[1] != "floor":
                spread = f" {min(ratios[r]):5.2f}-{max(ratios[r]):.2f}x"
            name = r[1] if r[2] == "-" else f"{r[1]} {r[2]}"
            print(f"   {r[0]:8} {name:16} {med[r] * 1e6:10.1f} {p90[r] * 1e6:9.1f} {ratio}"
                  + spread)
        return med

    # -- 2. with 1000 other semaphores awaited --------------------------------
    def many_others(self, med):
        n = 1000 if not self.args.quick else 100
        others = self.temporary_semaphores("o", n)
        print(f"3. the same wake with {n} other semaphores awaited by the same loop "
              f"({self.args.samples} samples)")
        print(f"   {'loop':8} {'waiter':16} {'median us':>10} {'/ none':>8}")
        try:
            for ln, loop in self.loops.items():
                for mode in [m for m in self.modes if m != "poll"]:
                    set_mode(mode)
                    tasks = [loop.create_task(s.acquire_async()) for s in others]
                    loop.run_until_complete(asyncio.sleep(0.3))
                    xs = [self.task_sample(loop, "named", mode) for _ in range(self.args.samples)]
                    for t in tasks:
                        t.cancel()
                    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                    m = statistics.median(xs)
                    base = med[(ln, "named", mode)]
                    print(f"   {ln:8} {'named ' + mode:16} {m * 1e6:10.1f} {m / base:7.2f}x")
        finally:
            self.drop(others)

    # -- 3. 2000 tasks on one semaphore: loop lag -----------------------------
    def loop_lag(self):
        tasks_n = 2000
        print(f"4. {tasks_n} tasks on one semaphore, another process posts {tasks_n} units: "
              f"1 ms ticker")
        print(f"   {'loop':8} {'mode':7} {'served ms':>9} {'lag p50 ms':>10} {'p90 ms':>7} "
              f"{'max ms':>7} {'CPU/tick p90 ms':>15}")
        for ln, loop in self.loops.items():
            for mode in self.modes:
                set_mode(mode)

                ticks = Ticker(loop)

                async def main():
                    tasks = [asyncio.ensure_future(self.named.acquire_async())
                             for _ in range(tasks_n)]
                    await asyncio.sleep(0.2)
                    ticks.start()
                    await asyncio.sleep(0.05)
                    t0 = time.monotonic()
                    self.poster.send("named", tasks_n)
                    await asyncio.gather(*tasks)
                    took = time.monotonic() - t0
                    await asyncio.sleep(0.05)
                    ticks.stop()
                    return took

                took = loop.run_until_complete(main())
                lags, cpu = sorted(ticks.lags), sorted(ticks.cpu)
                self.poster.sent()
                p = lambda xs, q: xs[min(len(xs) - 1, int(len(xs) * q))] * 1e3  # noqa: E731
                print(f"   {ln:8} {mode:7} {took * 1e3:9.1f} {p(lags, 0.5):10.3f} "
                      f"{p(lags, 0.9):7.3f} {lags[-1] * 1e3:7.2f} {p(cpu, 0.9):15.3f}")
        os.environ.pop("NOB_ASYNC_WAIT", None)

    # -- 4. busy loop: the wake is handed on ----------------------------------
    def busy_loop(self):
        rounds = 3 if not self.args.quick else 1
        print(f"5. a process blocked in acquire() behind our waiter; post; our loop computes "
              f"for 1 s: post -> that process has the unit ({rounds} rounds)")
        print(f"   {'loop':8} {'mode':7} {'median ms':>9} {'max ms':>7}")
        for ln, loop in self.loops.items():
            for mode in [m for m in self.modes if m != "poll"]:
                set_mode(mode)
                xs = []
                for _ in range(rounds):
                    async def main():
                        task = asyncio.ensure_future(self.named.acquire_async(timeout=30))
                        await asyncio.sleep(0.1)  # our waiter is queued first
                        child = subprocess.Popen([sys.executable, "-c", BLOCKED,
                                                  self.named.name], stdout=subprocess.PIPE,
                                                 text=True)
                        assert child.stdout.readline().strip() == "waiting"
                        time.sleep(0.2)  # blocked in sem_wait, after our waiter
                        self.poster.send("named")
                        posted = self.poster.sent()
                        t = time.monotonic()
                        while time.monotonic() - t < 1.0:
                            pass
                        self.poster.send("named")  # the unit for our task
                        self.poster.sent()
                        await task
                        ok, at = child.communicate(timeout=60)[0].split()
                        assert ok == "True"
                        return float(at) - posted

                    xs.append(loop.run_until_complete(main()))
                print(f"   {ln:8} {mode:7} {statistics.median(xs) * 1e3:9.1f} "
                      f"{max(xs) * 1e3:7.1f}")
        os.environ.pop("NOB_ASYNC_WAIT", None)

    def temporary_semaphores(self, tag, n):
        return [NamedSemaphore(f"/nob-bench-async-{self.pid}-{tag}{i}", 0, Flags.RAISE_IF_EXISTS)
                for i in range(n)]

    @staticmethod
    def drop(sems):
        os.environ.pop("NOB_ASYNC_WAIT", None)
        for s in sems:
            s.unlink()
            s.close()

    def threads_while_waiting(self):
        """Threads beyond the main thread while 100 tasks wait on 10
        semaphores, per mode; measured first (no helper left over)."""
        print("1. threads of this process beyond the main thread while 100 tasks "
              "await 10 semaphores")
        sems = self.temporary_semaphores("t", 10)
        loop = self.loops["asyncio"]
        try:
            for mode in self.modes:
                set_mode(mode)
                t = time.monotonic()
                while threads() > 1 and time.monotonic() - t < 5:
                    time.sleep(0.05)  # the last mode's helper ends when idle
                base = threads()

                async def main():
                    tasks = [asyncio.ensure_future(sems[i % 10].acquire_async())
                             for i in range(100)]
                    await asyncio.sleep(0.2)
                    n = threads() - base
                    for s in sems:
                        s.release(10)
                    await asyncio.gather(*tasks)
                    return n

                print(f"   {mode:7} {loop.run_until_complete(main())}")
        finally:
            self.drop(sems)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--runs", type=int, default=1, help="runs of part 2 (medians of the runs)")
    ap.add_argument("--parts", default="1,2,3,4,5", help="which parts to run (3 needs 2)")
    ap.add_argument("--quick", action="store_true", help="tiny samples: a smoke test only")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    if args.runs < 1 or not parts <= set("12345") or ("3" in parts and "2" not in parts):
        ap.error("--runs is at least 1; --parts lists 1 to 5, and 3 needs 2")
    if args.quick:
        args.samples = 10
    b = Bench(args)
    try:
        print(f"nob.ipc asyncio; modes this kernel allows: {', '.join(b.modes)}; "
              f"Python {sys.version.split()[0]}")
        if "1" in parts:
            b.threads_while_waiting()
        if "2" in parts:
            med = b.wake_latency()
        if "3" in parts:
            b.many_others(med)
        if "4" in parts:
            b.loop_lag()
        if "5" in parts:
            b.busy_loop()
    finally:
        b.close()


if __name__ == "__main__":
    main()
