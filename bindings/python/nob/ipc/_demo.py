"""`nob-sem demo` / `python -m nob.ipc demo`: processes sharing one named semaphore.

The parent creates a semaphore with K slots; N worker processes open it BY
NAME (as unrelated programs would) and each takes a slot R times, printing
while it holds one. A shared counter records how many hold a slot at once;
the parent checks it never passed K, that every slot came back, and that the
name is gone from /dev/shm when it is done.
"""

import multiprocessing
import os
import signal
import sys
import time
from typing import Any, Optional

from nob.ipc._cli import Exit, Interrupted, complain


def _worker(name: str, wid: int, rounds: int, hold: float, slots: int, held: Any, peak: Any,
            start: float, parent: int) -> None:
    """One worker: opens the semaphore by name and takes a slot `rounds` times. It ends
    with the demo, even a SIGKILLed one (PR_SET_PDEATHSIG)."""
    import signal

    from nob.ipc import Flags, NamedSemaphore

    from nob.ipc._cli.waiting import catchable_signals
    from nob.ipc._cli_native import die_with_parent

    die_with_parent(int(signal.SIGKILL))
    if os.getppid() != parent:  # the demo died before prctl
        os._exit(128 + int(signal.SIGKILL))
    for signo in catchable_signals():  # nob-sem's handlers are the parent's: a worker just ends
        signal.signal(signo, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    sem = NamedSemaphore(name, handle_existence=Flags.RAISE_IF_NOT_EXISTS)
    try:
        for _ in range(rounds):
            with sem:
                with held.get_lock():
                    held.value += 1
                    now = held.value
                    peak.value = max(peak.value, now)
                print(f"{time.monotonic() - start:5.2f}s  worker {wid} (pid {os.getpid()}) holds a slot"
                      f"  [{now}/{slots} in use]", flush=True)
                time.sleep(hold)
                with held.get_lock():
                    held.value -= 1
            time.sleep(0.01)  # let a waiting worker in
    finally:
        sem.close()


def _count(n: int, thing: str) -> str:
    """"1 slot", "2 slots"."""
    return f"{n} {thing}{'' if n == 1 else 's'}"


def _context() -> Any:
    """'fork' where it exists (fast), else 'spawn'."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_demo(workers: int = 5, slots: int = 2, rounds: int = 2, hold: float = 0.25,
             name: Optional[str] = None) -> int:
    """Runs the demo; returns 0 when every check passed, Exit.ERROR (6) otherwise, 128+N
    when signal N (130: Ctrl+C) stopped it."""
    from nob.ipc import Flags, NamedSemaphore

    name = name or f"/nob-demo-{os.getpid()}"
    ctx = _context()
    try:
        held = ctx.Value("i", 0)
        peak = ctx.Value("i", 0)
    except OSError as e:  # multiprocessing keeps them in a nameless file in /dev/shm, which may be full
        complain(f"demo: the workers' shared counters (multiprocessing's, in /dev/shm): {e.strerror or e}")
        return Exit.ERROR
    try:
        sem = NamedSemaphore(name, slots, Flags.RAISE_IF_EXISTS)  # unlinked again by close()
    except FileExistsError:
        complain(f"{name}: already exists")
        return Exit.EXISTS
    procs = []
    try:
        print(f"created {sem.name} with {_count(slots, 'slot')}; starting {_count(workers, 'worker')} "
              f"({_count(rounds, 'turn')} of {hold:g} s each)", flush=True)
        start = time.monotonic()
        for wid in range(1, workers + 1):
            p = ctx.Process(target=_worker, args=(sem.name, wid, rounds, hold, slots, held, peak, start, os.getpid()))
            p.start()
            procs.append(p)
        for p in procs:
            p.join()
        elapsed = time.monotonic() - start
        value = sem.value
    except (KeyboardInterrupt, Interrupted) as e:
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()
        sem.close()
        print(f"demo interrupted: workers stopped, {name} removed", file=sys.stderr)
        return 128 + (e.signo if isinstance(e, Interrupted) else int(signal.SIGINT))
    finally:
        sem.close()
    gone = not NamedSemaphore.exists(name)
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    print(f"done in {elapsed:.2f}s: at most {peak.value} of {_count(slots, 'slot')} held at once; "
          f"value back to {value}; {name} removed: {'yes' if gone else 'NO'}", flush=True)
    problems = []
    if failed:
        problems.append(f"workers failed with exit codes {failed}")
    if peak.value > slots:
        problems.append(f"{peak.value} workers held a slot at once, more than {slots}")
    if value != slots:
        problems.append(f"the value ended at {value}, not {slots}")
    if not gone:
        problems.append(f"{name} is still there")
    for p in problems:
        print(f"demo FAILED: {p}", file=sys.stderr)
    return Exit.ERROR if problems else Exit.OK
