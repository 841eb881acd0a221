"""Compiles (and runs) every ```cpp block of docs/*.md and README.md.

A block that defines main() is compiled in C++17 and C++20 with
-Wall -Wextra -Wpedantic -Werror and run (exit status 0 expected, within 30 s),
and afterwards no semaphore named by one of its string literals may be left
in /dev/shm. A block without main() is compiled only (-c). An HTML comment
just before the fence changes that:

    <!-- no-test -->       not compiled (a synopsis, a fragment)
    <!-- compile-only -->  compiled, not run

Usage: python3 cpp_doc_examples.py REPO_ROOT BUILD_DIR [CXX]
"""

import os
import re
import subprocess
import sys
from pathlib import Path

FENCE = re.compile(r"(?:<!--\s*([a-z-]+)\s*-->\s*\n)?```cpp\n(.*?)```", re.S)
LITERAL = re.compile(r'"/?([A-Za-z0-9._-]{1,251})"')


def blocks(root):
    """(file, line, marker, code) for every ```cpp block."""
    files = sorted((root / "docs").glob("*.md")) + [root / "README.md"]
    for f in files:
        if not f.exists():
            continue
        text = f.read_text()
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start(2))
            yield f.relative_to(root), line, m.group(1) or "", m.group(2)


def leftovers(code):
    """Semaphores named by the block's string literals that exist now."""
    return [n for n in LITERAL.findall(code) if os.path.exists("/dev/shm/sem." + n)]


def main():
    root, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    cxx = sys.argv[3] if len(sys.argv) > 3 else os.environ.get("CXX", "g++")
    out.mkdir(parents=True, exist_ok=True)
    ran = compiled = skipped = 0
    failures = []
    for path, line, marker, code in blocks(root):
        label = f"{path}:{line}"
        if marker == "no-test":
            skipped += 1
            continue
        stem = re.sub(r"[^A-Za-z0-9]", "_", label)
        src = out / f"{stem}.cpp"
        src.write_text(code)
        runnable = "int main(" in code and marker != "compile-only"
        before = set(leftovers(code))
        ok = True
        for std in ("c++17", "c++20"):
            exe = out / f"{stem}.{std}"
            cmd = [cxx, f"-std={std}", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                   "-I", str(root / "include"), str(src), "-pthread"]
            cmd += ["-o", str(exe)] if runnable else ["-c", "-o", str(exe) + ".o"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                failures.append(f"{label} ({std}): does not compile:\n{r.stderr[-3000:]}")
                ok = False
                break
        if not ok:
            continue
        compiled += 1
        if not runnable:
            continue
        try:
            r = subprocess.run([str(out / f"{stem}.c++20")], capture_output=True,
                               text=True, timeout=30)
        except subprocess.TimeoutExpired:
            failures.append(f"{label}: still running after 30 s")
            continue
        if r.returncode != 0:
            failures.append(f"{label}: exit {r.returncode}\n{r.stdout[-1500:]}{r.stderr[-1500:]}")
            continue
        left = [n for n in leftovers(code) if n not in before]
        if left:
            failures.append(f"{label}: left in /dev/shm: {left}")
            for n in left:
                os.unlink("/dev/shm/sem." + n)
            continue
        ran += 1
    for f in failures:
        print("FAIL", f)
    print(f"C++ doc examples: {compiled} compiled (C++17 and C++20), {ran} run, "
          f"{skipped} marked no-test, {len(failures)} failed")
    if compiled == 0:
        print("no C++ example found in the docs: failure")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
