"""Cross-process wake latency of acquire_async (issue 12's target: median
within 1.5x of a blocking acquire()). Another process posts; we measure the
time from just before its sem_post to the moment the waiter runs again:

  * async (asyncio / uvloop): a task awaiting sem.acquire_async(), resumed
    on the event loop thread (helper thread in futex_waitv -> loop);
  * async, polling: the same with NOB_ASYNC_WAIT=poll (the fallback);
  * blocking: a thread blocked in sem.acquire(), back in Python code;
  * executor: a task awaiting loop.run_in_executor(None, sem.acquire), the
    usual way to wait for a blocking call from asyncio (not cancel-safe);
  * handoff (reference, no semaphore): a thread of this process woken by an
    Event calls loop.call_soon_threadsafe(fut.set_result, t); the time until
    the awaiting task runs again: the cost of any thread -> loop hand-off.

Samples of the kinds are interleaved in a fresh random order per round; prints
median and p99 per kind. Never run in CI.

    python bench_async.py [--samples N] [--robust]
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

from nob.ipc import Flags, NamedSemaphore, RobustSemaphore

POSTER = r"""
import sys, time
from nob.ipc import NamedSemaphore, RobustSemaphore
kind, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sem = RobustSemaphore(name) if kind == "robust" else NamedSemaphore(name)
if kind == "robust":
    for _ in range(n):
        assert sem.acquire(timeout=30)
print("ready", flush=True)
for line in sys.stdin:
    t = time.monotonic()
    sem.release()
    print(t, flush=True)
"""


class Poster:
    def __init__(self, kind, name, n):
        self.proc = subprocess.Popen([sys.executable, "-c", POSTER, kind, name, str(n)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def post(self):
        self.proc.stdin.write("p\n")
        self.proc.stdin.flush()

    def posted(self):
        return float(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def blocking_sample(sem, poster):
    box = []
    th = threading.Thread(target=lambda: (sem.acquire(), box.append(time.monotonic())))
    th.start()
    time.sleep(0.003)  # blocked in sem_wait by now
    poster.post()
    th.join()
    return box[0] - poster.posted()


def task_sample(sem, poster, loop, kind):
    """One wait by a task: acquire_async() (kind "async" or "poll") or an executor thread."""
    if kind == "poll":
        os.environ["NOB_ASYNC_WAIT"] = "poll"
    else:
        os.environ.pop("NOB_ASYNC_WAIT", None)

    async def one():
        if kind == "executor":
            task = loop.run_in_executor(None, sem.acquire)
        else:
            task = asyncio.ensure_future(sem.acquire_async())
        await asyncio.sleep(0.003)
        poster.post()
        await task
        return time.monotonic()

    resumed = loop.run_until_complete(one())
    return resumed - poster.posted()


def handoff_sample(loop):
    async def one():
        fut = loop.create_future()
        ev = threading.Event()
        box = []

        def thread():
            ev.wait()
            box.append(time.monotonic())
            loop.call_soon_threadsafe(fut.set_result, None)

        th = threading.Thread(target=thread)
        th.start()
        await asyncio.sleep(0.003)
        ev.set()
        await fut
        resumed = time.monotonic()
        th.join()
        return resumed - box[0]

    return loop.run_until_complete(one())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--robust", action="store_true", help="RobustSemaphore instead of NamedSemaphore")
    args = ap.parse_args()
    kind = "robust" if args.robust else "named"
    name = f"/nob-bench-async-{os.getpid()}"
    if args.robust:
        sem = RobustSemaphore(name, 6 * args.samples + 10, Flags.RAISE_IF_EXISTS)
    else:
        sem = NamedSemaphore(name, 0, Flags.RAISE_IF_EXISTS)
    poster = Poster(kind, name, 6 * args.samples + 10)
    loops = {"asyncio": asyncio.new_event_loop()}
    try:
        import uvloop
        loops["uvloop"] = uvloop.new_event_loop()
    except ImportError:
        pass
    kinds = (["blocking", "executor asyncio"] + [f"async {k}" for k in loops]
             + ["async asyncio, polling"] + [f"handoff {k}" for k in loops])
    lat = {k: [] for k in kinds}
    try:
        for _ in range(args.samples):
            for k in random.sample(kinds, len(kinds)):
                if k == "blocking":
                    lat[k].append(blocking_sample(sem, poster))
                elif k.startswith("handoff"):
                    lat[k].append(handoff_sample(loops[k.split()[1]]))
                else:
                    loop = loops["uvloop" if "uvloop" in k else "asyncio"]
                    how = "executor" if "executor" in k else "poll" if "polling" in k else "async"
                    lat[k].append(task_sample(sem, poster, loop, how))
    finally:
        poster.close()
        for loop in loops.values():
            loop.close()
        if args.robust:
            sem.release(sem.held)
        else:
            sem.unlink()
        sem.close()
    base = statistics.median(lat["blocking"])
    print(f"{kind} semaphore, post in another process -> waiter runs again, "
          f"{args.samples} samples each, {os.cpu_count()} CPUs")
    print(f"{'waiter':26} {'median us':>10} {'p99 us':>10} {'median / blocking':>18}")
    for k in kinds:
        xs = sorted(lat[k])
        med = statistics.median(xs)
        p99 = xs[min(len(xs) - 1, int(len(xs) * 0.99))]
        print(f"{k:26} {med * 1e6:10.1f} {p99 * 1e6:10.1f} {med / base:17.2f}x")


if __name__ == "__main__":
    main()
