"""The documentation is tested: every ```python block of docs/*.md and
README.md runs (against the INSTALLED nob), the references list every public
name, and relative links and anchors resolve.

Markers, an HTML comment on the line(s) just before a fence:
  <!-- no-test -->         not run (a synopsis, a shell command)
  <!-- test: continue -->  appended to the previous block of the same page,
                           which then runs as one program
  <!-- test: keep-names --> semaphore names are not rewritten

Each program runs in its own interpreter from a scratch directory. Every
semaphore name it spells ("/x", or "x" when "/x" appears too) is rewritten to
"/nob-<pid>-<test>-x", so runs never collide, and conftest.py fails the test
if any of those names is left in /dev/shm.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nob
import nob.ipc

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.md")) + [REPO / "README.md"]

FENCE = re.compile(r"((?:<!--[^\n]*-->[ \t]*\n)*)```python\n(.*?)```", re.S)
SLASH_NAME = re.compile(r"""(["'])/([A-Za-z0-9._-]{1,200})\1""")


def python_programs():
    """[(id, code, keep_names)], one per program after joining 'continue' blocks."""
    programs = []
    for page in PAGES:
        if not page.exists():
            continue
        text = page.read_text()
        last = None
        for m in FENCE.finditer(text):
            markers = m.group(1)
            line = text.count("\n", 0, m.start(2)) + 1
            code = m.group(2)
            if "no-test" in markers:
                continue
            if "test: continue" in markers and last is not None:
                last[1] += "\n" + code
                continue
            last = [f"{page.name}-L{line}", code, "keep-names" in markers]
            programs.append(last)
    return [tuple(p) for p in programs]


PROGRAMS = python_programs()


def rewrite_names(code, prefix):
    """Gives every semaphore name spelled in `code` the test's unique prefix."""
    names = {m.group(2) for m in SLASH_NAME.finditer(code)}
    for name in sorted(names, key=len, reverse=True):
        for q in ('"', "'"):
            code = code.replace(f"{q}/{name}{q}", f"{q}/{prefix}-{name}{q}")
            code = code.replace(f"{q}{name}{q}", f"{q}{prefix}-{name}{q}")
    return code


def test_the_docs_have_python_examples():
    pages = {p.split("-L")[0] for p, _, _ in PROGRAMS}
    assert {"python.md", "semantics.md", "migration.md"} <= pages, pages
    assert len(PROGRAMS) >= 10


@pytest.mark.parametrize("code,keep_names", [p[1:] for p in PROGRAMS],
                         ids=[p[0] for p in PROGRAMS])
def test_python_example_runs(code, keep_names, sem_prefix, tmp_path):
    if not keep_names:
        code = rewrite_names(code, sem_prefix)
    script = tmp_path / "example.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH="")  # the installed nob, not the source tree
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"--- code\n{code}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"


def test_python_reference_lists_every_public_name():
    text = (DOCS / "python.md").read_text()
    public = [n for n in dir(nob.ipc.NamedSemaphore) if not n.startswith("_")]
    public += [n for n in nob.ipc.__all__] + ["get_include", "__version__", "__enter__", "__exit__"]
    missing = [n for n in public if f"`{n}" not in text and f"`nob.{n}" not in text]
    assert not missing, f"docs/python.md does not document {missing}"


def _cpp_public_names():
    header = Path(nob.get_include(), "nob", "named_semaphore.hpp").read_text()
    cls = header[header.index("class named_semaphore {"):]
    cls = cls[cls.index("public:"):cls.index(" private:")]
    code = "\n".join(line.split("//")[0] for line in cls.splitlines())
    members = set(re.findall(r"\b([a-z_]+)\s*\(", code)) | {"operator="}
    members -= {"explicit", "return", "const", "noexcept"}
    # Free names and macros: the semaphore's header and common.hpp, which
    # holds the names, policies and clocks every kind shares.
    common = Path(nob.get_include(), "nob", "common.hpp").read_text()
    free, macros = set(), set()
    for text in (header, common):
        decls = text[:text.index("namespace detail")]
        free |= set(re.findall(r"^(?:inline constexpr \w+|enum class|\w[\w:]*) (\w+)[ ({=]",
                               decls, re.M))
        macros |= set(re.findall(r"^#define (NOB_\w+)", text, re.M))
    macros -= {"NOB_NAMED_SEMAPHORE_HPP", "NOB_COMMON_HPP"}
    return members, free - {"named_semaphore", "nob"}, macros


def test_cpp_reference_lists_every_public_member():
    members, free, macros = _cpp_public_names()
    assert {"acquire", "try_acquire_until", "native_handle", "wait_once_until"} <= members
    assert {"existence_policy", "normalize_name", "compiled_wait_strategy", "owner_check"} <= free
    assert {"NOB_USE_DEV_SHM", "NOB_STEADY_IS_MONOTONIC", "NOB_MAX_NAME_LENGTH"} <= macros
    cpp = (DOCS / "cpp.md").read_text()
    missing = [n for n in sorted(members | free) if f"`{n}" not in cpp and f" {n}(" not in cpp]
    assert not missing, f"docs/cpp.md does not document {missing}"
    semantics = (DOCS / "semantics.md").read_text()
    missing = [m for m in sorted(macros) if m not in semantics]
    assert not missing, f"docs/semantics.md does not explain {missing}"


def _slug(title):
    title = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return title.replace(" ", "-")


def test_relative_links_and_anchors_resolve():
    broken = []
    for page in PAGES:
        if not page.exists():
            continue
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.name}: {target} (no such file)")
                continue
            if anchor and dest.suffix == ".md":
                heads = re.findall(r"^#+ (.*)$", dest.read_text(), re.M)
                if anchor not in {_slug(h) for h in heads}:
                    broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken


def test_install_page_shows_what_the_consumer_tests_build():
    """The nob.wrap and the CMake lines of docs/install.md are the tested ones."""
    text = (DOCS / "install.md").read_text()
    consumers = REPO / "tests" / "consumers"
    wrap = re.search(r"```ini\n(.*?)```", text, re.S).group(1)
    assert wrap == (consumers / "meson_subproject" / "subprojects" / "nob.wrap").read_text()
    cmake_doc = re.search(r"```cmake\n(.*?)```", text, re.S).group(1)
    cmake_test = (consumers / "cmake" / "CMakeLists.txt").read_text()
    for line in ("find_package(nob 2.0 REQUIRED)", "target_link_libraries(app PRIVATE nob::nob)"):
        assert line in cmake_doc and line in cmake_test, line
    meson_test = (consumers / "meson_subproject" / "meson.build").read_text()
    assert "dependency('nob', version: '>=2.0')" in text and "dependency('nob', version: '>=2.0')" in meson_test
