"""Turns the benchmark results into docs/performance.md and docs/performance.png.

    python report.py CPP.json PY.json DOCS_DIR [--compiler TEXT] [--seconds N]
                     [--notes NOTES.md]

Medians over the interleaved rounds, ratios of medians, every speed target
checked against numbers of this same run.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
from importlib import metadata

# C++: family -> (what the table calls it, which time counts).
CPP_CASES = {
    "acquire_release": ("acquire() + release()", "cpu"),
    "try_acquire_release": ("try_acquire() + release()", "cpu"),
    "try_acquire_for_1s": ("try_acquire_for(1 s) + release(), unit available", "cpu"),
    "ping_pong": ("ping-pong round trip, 2 processes", "real"),
    "contended_2proc": ("contended acquire+release, 2 processes (per pair)", "pair"),
    "contended_4proc": ("contended acquire+release, 4 processes (per pair)", "pair"),
    "open_close": ("open existing + close", "cpu"),
    "open_close_while_open": ("open + close, another handle open in the process", "cpu"),
    "open_use_close": ("open existing + acquire + release + close", "cpu"),
    "create_close_unlink": ("create + close + unlink", "cpu"),
    "timeout_overshoot_10ms": ("overshoot of a 10 ms timed wait", "overshoot"),
}
CPP_CONTENDERS = [("raw", "raw POSIX"), ("nob", "nob"), ("boost", "Boost.Interprocess")]

PY_CASES = {
    "acquire_release": "acquire() + release()",
    "with": "with sem: pass",
    "acquire_nonblocking": "acquire(False) + release()",
    "acquire_timeout": "acquire(timeout=1) + release()",
    "ping_pong": "ping-pong round trip, 2 processes",
    "contended_2proc": "contended acquire+release, 2 processes (per pair)",
    "contended_4proc": "contended acquire+release, 4 processes (per pair)",
    "create_close": "create + close (+ unlink)",
    "open_close": "open existing + close",
    "timed_wait_10ms": "overshoot of a 10 ms timed wait",
}
PY_CONTENDERS = ["nob", "mp", "posix_ipc", "named_semaphores"]

# (language, case, numerator, denominator, bound, "le" = ratio <= bound | "ge" = ratio >= bound, text)
TARGETS = [
    ("py", "acquire_release", "nob", "mp", 1.0, "le",
     "Python `acquire()`+`release()` no slower than `multiprocessing.Semaphore`"),
    ("py", "acquire_release", "nob", "posix_ipc", 0.55, "le",
     "Python `acquire()`+`release()` at most 0.55× `posix_ipc`"),
    ("py", "with", "nob", "posix_ipc", 0.6, "le", "Python `with sem:` at most 0.6× `posix_ipc`"),
    ("py", "acquire_release", "named_semaphores", "nob", 10.0, "ge",
     "Python `acquire()`+`release()` at least 10× faster than `named-semaphores`"),
    ("py", "with", "named_semaphores", "nob", 10.0, "ge",
     "Python `with sem:` at least 10× faster than `named-semaphores`"),
    ("cpp", "acquire_release", "nob", "raw", 1.05, "le",
     "C++ `acquire()`+`release()` within 1.05× of raw `sem_wait`+`sem_post`"),
    ("cpp", "try_acquire_release", "nob", "raw", 1.05, "le",
     "C++ `try_acquire()`+`release()` within 1.05× of raw `sem_trywait`+`sem_post`"),
    ("cpp", "ping_pong", "nob", "raw", 1.1, "le", "C++ ping-pong within 1.1× of raw C"),
    ("cpp", "open_close", "nob", "raw", 1.15, "le",
     "C++ construction (open existing) + close within 1.15× of raw `sem_open`+`sem_close`"),
    ("cpp", "create_close_unlink", "nob", "raw", 1.15, "le",
     "C++ construction (create) + close within 1.15× of raw `sem_open(O_CREAT|O_EXCL)`+`sem_close`+`sem_unlink`"),
]


def cpp_samples(path):
    """family -> contender -> list of values (ns; overshoot in ns too)."""
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        family, contender = b["run_name"].split("/")[:2]
        if family not in CPP_CASES:
            continue
        kind = CPP_CASES[family][1]
        if kind == "cpu":
            v = b["cpu_time"]
        elif kind == "real":
            v = b["real_time"]
        elif kind == "pair":
            v = 1e9 / b["items_per_second"]
        else:
            v = b["overshoot_us"] * 1000.0
        out.setdefault(family, {}).setdefault(contender, []).append(v)
    return data["context"], out


def med(xs):
    return statistics.median(xs) if xs else None


def fmt_ns(ns):
    if ns is None:
        return "n/a"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e4:
        return f"{ns / 1e3:.1f} µs"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.1f} ns"


def spread(xs):
    """Interquartile range relative to the median, in percent."""
    if not xs or len(xs) < 4:
        return ""
    q = statistics.quantiles(xs, n=4)
    m = statistics.median(xs)
    return f" ±{(q[2] - q[0]) / 2 / m * 100:.0f}%" if m else ""


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}×"


def machine(compiler):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        glibc = "unknown"
    boost = "unknown"
    try:
        with open("/usr/include/boost/version.hpp") as f:
            for line in f:
                if line.startswith("#define BOOST_LIB_VERSION"):
                    boost = line.split('"')[1].replace("_", ".")
    except OSError:
        pass

    def version(dist):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    return [
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("kernel", f"{platform.system()} {platform.release()}"),
        ("C library", glibc),
        ("C++ compiler", compiler or "unknown"),
        ("Python", platform.python_version()),
        ("Boost", boost),
        ("nob.py / posix_ipc / named-semaphores / matplotlib",
         " / ".join(version(d) for d in ("nob.py", "posix_ipc", "named_semaphores", "matplotlib"))),
    ]


def check_targets(cpp, py):
    rows = []
    for lang, case, num, den, bound, how, text in TARGETS:
        src = cpp if lang == "cpp" else py
        r = ratio(med(src.get(case, {}).get(num)), med(src.get(case, {}).get(den)))
        if r is None:
            met = None
        else:
            met = r <= bound if how == "le" else r >= bound
        shown = fmt_ratio(r)
        if how == "ge":
            shown = f"{num} / {den} = {shown}"
        else:
            shown = f"{num} / {den} = {shown}"
        rows.append((text, ("≤ " if how == "le" else "≥ ") + f"{bound:g}", shown, met))
    return rows


def cpp_table(cpp):
    head = "| C++ case | " + " | ".join(t for _, t in CPP_CONTENDERS) + " | nob / raw | Boost / raw |"
    lines = [head, "|" + "---|" * (len(CPP_CONTENDERS) + 3)]
    for family, (title, _) in CPP_CASES.items():
        row = cpp.get(family, {})
        cells = [fmt_ns(med(row.get(c))) + spread(row.get(c)) for c, _ in CPP_CONTENDERS]
        if family == "timeout_overshoot_10ms":
            ratios = ["", ""]
        else:
            raw = med(row.get("raw"))
            ratios = [fmt_ratio(ratio(med(row.get(c)), raw)) for c in ("nob", "boost")]
        lines.append(f"| {title} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


def instructions_table(counts):
    """Callgrind's exact counts per operation, which load cannot disturb."""
    lines = [
        "Exact cost per operation under callgrind (`benchmarks/count_instructions.py`): "
        "instructions executed in user space, and system calls made. These do not "
        "move with the load on the machine, so they show what the timings above "
        "cannot resolve. Under valgrind `clock_gettime` enters the kernel and counts "
        "as a system call; natively it is a vDSO call that does not.\n",
        "| C++ case | " + " | ".join(t for _, t in CPP_CONTENDERS) + " | nob − raw |",
        "|" + "---|" * (len(CPP_CONTENDERS) + 2),
    ]
    for case, row in counts.items():
        title = CPP_CASES.get(case, (case,))[0]
        cells = [f"{row[c]['instructions']:.0f} instr, {row[c]['syscalls']:.0f} syscalls"
                 for c, _ in CPP_CONTENDERS]
        d_i = row["nob"]["instructions"] - row["raw"]["instructions"]
        d_s = row["nob"]["syscalls"] - row["raw"]["syscalls"]
        cells.append(f"{d_i:+.0f} instr, {d_s:+.0f} syscalls")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def py_table(py, titles):
    head = ("| Python case | " + " | ".join(titles[c] for c in PY_CONTENDERS) +
            " | nob / multiprocessing | nob / posix_ipc | named-semaphores / nob |")
    lines = [head, "|" + "---|" * (len(PY_CONTENDERS) + 4)]
    for case, title in PY_CASES.items():
        row = py.get(case, {})
        cells = [fmt_ns(med(row.get(c))) + spread(row.get(c)) for c in PY_CONTENDERS]
        if case == "timed_wait_10ms":
            ratios = ["", "", ""]
        else:
            nob = med(row.get("nob"))
            ratios = [fmt_ratio(ratio(nob, med(row.get("mp")))),
                      fmt_ratio(ratio(nob, med(row.get("posix_ipc")))),
                      fmt_ratio(ratio(med(row.get("named_semaphores")), nob))]
        lines.append(f"| {title} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


def chart(cpp, py, titles, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    fig, axes = plt.subplots(2, 1, figsize=(11, 9))
    panels = [
        (axes[0], "C++: time relative to raw POSIX calls (lower is faster)", cpp,
         [f for f in CPP_CASES if f != "timeout_overshoot_10ms"],
         [c for c, _ in CPP_CONTENDERS], dict(CPP_CONTENDERS), "raw"),
        (axes[1], "Python: time relative to nob.ipc (above 1: nob is faster)", py,
         [c for c in PY_CASES if c != "timed_wait_10ms"], PY_CONTENDERS, titles, "nob"),
    ]
    colors = {"raw": "#888888", "nob": "#1f77b4", "boost": "#ff7f0e", "mp": "#2ca02c",
              "posix_ipc": "#d62728", "named_semaphores": "#9467bd"}
    for ax, title, data, cases, cons, names, base in panels:
        width = 0.8 / len(cons)
        for i, c in enumerate(cons):
            xs, ys = [], []
            for j, case in enumerate(cases):
                r = ratio(med(data.get(case, {}).get(c)), med(data.get(case, {}).get(base)))
                if r is not None:
                    xs.append(j + (i - (len(cons) - 1) / 2) * width)
                    ys.append(r)
            ax.bar(xs, ys, width, label=names[c], color=colors[c])
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        ax.set_yscale("log")
        lo, hi = ax.get_ylim()
        ax.set_yticks([t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if lo <= t <= hi])
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}×"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xticks(range(len(cases)))
        ax.set_xticklabels([c.replace("_", "\n", 1) for c in cases], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def extra_sections(directory):
    """The other kinds' benchmarks, as their programs printed them in this run.

    Each NN-name.txt holds a first line "# Title", a second line with the
    command that ran, then the program's output, shown verbatim: those
    programs compute their own medians, spreads and ratios side by side.
    """
    out = ["## Robust semaphores, asyncio, shared memory, message queues\n",
           "Each of these programs runs nob and what it is measured against side by "
           "side in one process, interleaved, and prints its own medians and ratios; "
           "below is what each printed in this run, verbatim.\n"]
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(directory, name)) as f:
            lines = f.read().rstrip().splitlines()
        if len(lines) < 2:
            continue
        title, command, body = lines[0].lstrip("# ").strip(), lines[1], lines[2:]
        out.append(f"### {title}\n")
        out.append(f"`{command}`\n")
        out.append("```text\n" + "\n".join(body) + "\n```\n")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cpp_json")
    ap.add_argument("py_json")
    ap.add_argument("docs_dir")
    ap.add_argument("--compiler", default="")
    ap.add_argument("--seconds", default="")
    ap.add_argument("--notes", default="")
    ap.add_argument("--load", default="", help="load averages seen before the run")
    ap.add_argument("--source", default="", help="the nob commit measured")
    ap.add_argument("--command", default="bash benchmarks/run.sh", help="how the run was made")
    ap.add_argument("--instructions", default="", help="count_instructions.py output")
    ap.add_argument("--extra", default="",
                    help="directory of NN-*.txt outputs of the other kinds' benchmarks")
    args = ap.parse_args()

    context, cpp = cpp_samples(args.cpp_json)
    with open(args.py_json) as f:
        pyd = json.load(f)
    py, titles = pyd["results"], pyd["titles"]
    cpp_reps = max((len(v) for fam in cpp.values() for v in fam.values()), default=0)

    os.makedirs(args.docs_dir, exist_ok=True)
    chart(cpp, py, titles, os.path.join(args.docs_dir, "performance.png"))

    targets = check_targets(cpp, py)
    met = sum(1 for t in targets if t[3])
    mark = {True: "✅ met", False: "❌ missed", None: "? not measured"}
    out = []
    out.append("# Performance\n")
    out.append(
        "nob against what users would pick instead: raw POSIX calls and "
        "Boost.Interprocess in C++; `multiprocessing.Semaphore`, `posix_ipc` and "
        "`named-semaphores` in Python. This page is written by `bash benchmarks/run.sh`, "
        "which builds and runs every benchmark and rewrites it (and `performance.png`); "
        "do not edit it by hand (the commentary at the end comes from "
        "`benchmarks/performance-notes.md`).\n")
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"Run of {when}" + (f", {args.seconds} s in all" if args.seconds else "") +
               (f", of nob at commit {args.source}" if args.source else "") +
               f", made by `{args.command}` from the top of a checkout"
               f"{' of that commit' if args.source else ''}: the same command on the same "
               "commit reproduces every figure here (they move with the machine and its load, "
               "given below).\n")
    out.append("## Machine\n")
    out.append("| | |\n|---|---|")
    for k, v in machine(args.compiler):
        out.append(f"| {k} | {v} |")
    load = f"{args.load}; " if args.load else ""
    out.append(f"| load average (1, 5, 15 min) | {load}Google Benchmark saw "
               f"{', '.join(f'{x:.2f}' for x in context.get('load_avg', []))} |")
    out.append(f"| Google Benchmark library | build type `{context.get('library_build_type')}` "
               "(Debian's package; only its own bookkeeping is affected) |\n")
    out.append(f"## Targets: {met} of {len(targets)} met\n")
    out.append("| target | bound | measured (ratio of medians) | |\n|---|---|---|---|")
    for text, bound, shown, ok in targets:
        out.append(f"| {text} | {bound} | {shown} | {mark[ok]} |")
    out.append("")
    out.append("![nob against the alternatives](performance.png)\n")
    out.append("## C++\n")
    out.append(
        f"Google Benchmark, {cpp_reps} repetitions of every benchmark, run in random "
        "interleaved order (`--benchmark_enable_random_interleaving`); each cell is the "
        "median over repetitions and ± half the interquartile range. Single-process "
        "cases count CPU time (user + system, so a process preempted by other load on "
        "the machine is not charged for it); the multi-process cases count wall time. "
        "Contended throughput is given as wall time per acquire+release pair over all "
        "processes. Overshoot is how much later than 10 ms a timed wait on an empty "
        "semaphore returns (mean of 10 waits per repetition).\n")
    out.append(cpp_table(cpp) + "\n")
    if args.instructions and os.path.exists(args.instructions):
        with open(args.instructions) as f:
            out.append(instructions_table(json.load(f)) + "\n")
    out.append("## Python\n")
    out.append(
        f"{pyd['rounds']} rounds; in each round every case runs every contender once, "
        "in a fresh random order. A sample is the mean time per statement over a loop "
        "of about 20 ms, as `timeit` runs it: the "
        "statement in a `for` loop, the semaphore in a local variable, the garbage "
        "collector off. Single-process cases count the process's CPU time, the "
        "multi-process ones and the overshoot wall time. Each cell is the median over rounds ± half the interquartile "
        "range. `multiprocessing.Semaphore` has no name, so it cannot be opened by "
        "name (n/a). Ping-pong and contended children are forked and inherit the "
        "handles; pipes start and stop them outside the timed part. The multi-process "
        "cases take 3 samples of about 10 ms per contender and round, all cases and "
        "contenders of a round in one shuffled order.\n")
    out.append(py_table(py, titles) + "\n")
    out.append("The statements timed, per contender (the default is the one nob uses):\n")
    out.append("| case | nob.ipc | others, where different |\n|---|---|---|")
    for case, stmts in pyd["statements"].items():
        base = stmts["nob"]
        diff = "; ".join(f"{titles[c]}: `{s.replace(chr(10), ' ')}`" if s else f"{titles[c]}: n/a"
                         for c, s in stmts.items() if c != "nob" and s != base)
        out.append(f"| {case} | `{base.replace(chr(10), ' ')}` | {diff} |")
    out.append("")
    if args.extra and os.path.isdir(args.extra):
        out.append(extra_sections(args.extra))
    if args.notes and os.path.exists(args.notes):
        with open(args.notes) as f:
            out.append(f.read().rstrip() + "\n")
    with open(os.path.join(args.docs_dir, "performance.md"), "w") as f:
        f.write("\n".join(out))
    for text, bound, shown, ok in targets:
        print(f"{mark[ok]:14} {shown:40} {bound:7} {text}")


if __name__ == "__main__":
    main()
