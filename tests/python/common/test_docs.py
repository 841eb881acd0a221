"""The documentation is tested: every ```python block of docs/*.md, README.md
and the PyPI description (bindings/python/README.md) runs (against the
INSTALLED nob), the references list every public name, relative links and
anchors resolve, and what the pages say about installing is true: install
commands, versions, file lists, build directories.

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

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs"
# The PyPI long description (pyproject.toml's readme) is a page too.
PAGES = sorted(DOCS.glob("*.md")) + [REPO / "README.md", REPO / "bindings" / "python" / "README.md"]

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
    # The class's public part, and that of the base every kind shares
    # (name(), remove(), ...: detail::named_object).
    ownership = Path(nob.get_include(), "nob", "detail", "ownership.hpp").read_text()
    code = ""
    for text, name in ((header, "named_semaphore"), (ownership, "named_object")):
        cls = text[re.search(rf"^class {name}\b[^;{{]*{{", text, re.M).start():]
        cls = cls[cls.index("public:"):re.search(r"^ (private|protected):", cls, re.M).start()]
        code += "\n".join(line.split("//")[0] for line in cls.splitlines())
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
    assert {"name", "linked_existing", "unlink_on_destroy", "remove", "exists"} <= members
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


def test_the_file_map_names_files_that_exist_and_all_of_detail():
    """docs/architecture.md: every path it names exists (a bare file name, or
    a pattern with *, is taken in the folder last named in its paragraph or
    table row), and its map of include/nob/detail/ names every file there (or
    a folder holding it)."""
    text = re.sub(r"```.*?```", "", (DOCS / "architecture.md").read_text(), flags=re.S)
    units = []
    for para in _paragraphs(text):
        rows = para.strip().splitlines()
        units += rows if rows and rows[0].startswith("|") else [para]
    top = {p.name for p in REPO.iterdir()}
    named, missing = set(), []
    for unit in units:
        base = REPO
        for span in re.findall(r"`([^`\s]+)`", unit):
            if span.split("/")[0] in top and span.endswith("/") and (REPO / span).is_dir():
                base = REPO / span
            if span.startswith(".") or not re.search(r"(\.(hpp|pyx|pxd|pxi|pyi|py|md|sh)|/)$", span):
                continue  # not a path: a suffix, a function, a macro, a command
            where = REPO if span.split("/")[0] in top else base
            paths = list(where.glob(span.rstrip("/"))) if "*" in span else [where / span]
            if not paths or not all(p.exists() for p in paths):
                missing.append(span)
            named.update(p.resolve() for p in paths)
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"
    detail = REPO / "include" / "nob" / "detail"
    unmapped = [str(f.relative_to(detail)) for f in sorted(detail.rglob("*")) if f.is_file()
                and not any(p in named for p in [f.resolve(), *f.resolve().parents][:-1]
                            if p != detail.resolve() and detail.resolve() in [p, *p.parents])]
    assert not unmapped, f"docs/architecture.md's map of include/nob/detail/ misses {unmapped}"


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


# --- what the pages say about installing nob ---------------------------------

# nob.py on PyPI: another, pure-Python project's releases.
PUBLISHED_ELSEWHERE = {"0.1.0", "0.1.1", "0.1.2", "0.1.3", "0.1.4", "0.1.5", "1.0.0", "1.1.0",
                       "1.2.0", "1.3.0", "1.3.1", "1.3.2", "1.4.0", "1.5.0", "1.5.1", "1.5.2",
                       "1.6.0", "1.6.1", "1.6.2", "1.6.3"}
# performance.md records the versions a benchmark run measured, as they were.
DATED = {"performance.md"}


def _pages_text():
    return {page.name if page.parent != REPO / "bindings" / "python" else "bindings/python/README.md":
            page.read_text() for page in PAGES if page.exists()}


def _paragraphs(text):
    return re.split(r"\n\s*\n", text)


def _meson_version():
    m = re.search(r"^project\(.*?^\s*version: '([^']+)'", (REPO / "meson.build").read_text(),
                  re.M | re.S)
    return m.group(1)


def test_one_version_everywhere():
    """meson.build's version is the installed package's, and every version of nob
    the pages name is that one (or one of the other project's on PyPI)."""
    version = _meson_version()
    assert nob.__version__ == version, (nob.__version__, version)
    major = version.split(".")[0]
    wrong = []
    for name, text in _pages_text().items():
        if name in DATED:
            continue
        for m in re.finditer(r"\bnob(?:\.py)?`? (\d+\.\d+\.\d+[0-9a-z.]*)", text):
            if m.group(1) not in PUBLISHED_ELSEWHERE | {version}:
                wrong.append(f"{name}: {m.group(0)!r}")
        for m in re.finditer(r"\b\d+\.\d+\.\d+(?:\.?(?:dev|rc|a|b)\d+)", text):
            wrong.append(f"{name}: a pre-release {m.group(0)!r}")
        for m in re.finditer(r"find_package\(nob (\d+)|dependency\('nob', version: '>=(\d+)", text):
            if (m.group(1) or m.group(2)) != major:
                wrong.append(f"{name}: {m.group(0)!r} (major version {major})")
        for line in text.splitlines():
            if "NOB_VERSION_MAJOR" in line:
                for m in re.finditer(r"\b(\d+), (\d+), (\d+)\b", line):
                    if ".".join(m.groups()) != version:
                        wrong.append(f"{name}: {line.strip()!r}")
    assert not wrong, f"versions other than {version}: {wrong}"


def _install_commands():
    """(page, command, paragraph, in a sh block?) for each `pip install` a page shows."""
    found = []
    for name, text in _pages_text().items():
        for block in re.finditer(r"```(?:sh|console)\n(.*?)```", text, re.S):
            for line in block.group(1).splitlines():
                for cmd in re.split(r"&&|;", line.split(" #")[0]):
                    if "pip install" in cmd:
                        found.append((name, cmd.strip(), "", True))
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        for para in _paragraphs(prose):
            for cmd in re.findall(r"`([^`]*pip install[^`]*)`", para):
                found.append((name, cmd.strip(), para, False))
    return found


def test_install_commands_are_ones_that_work():
    """No system-wide pip (PEP 668 refuses it), and `nob.py` from an index only with
    --find-links/--no-index (PyPI's nob.py is another project) or next to the warning."""
    cmds = _install_commands()
    assert any("README.md" == n and b for n, _, _, b in cmds), "the README's install command"
    bad = []
    for name, cmd, para, in_block in cmds:
        if in_block and not re.match(r"^\S*/bin/(python3?|pip3?)\b", cmd):
            bad.append(f"{name}: {cmd!r}: run pip from a venv (e.g. .venv/bin/python -m pip)")
        if re.search(r"(^|\s)(sudo|python3?) +(-m +)?pip install", cmd):
            bad.append(f"{name}: {cmd!r}: a system-wide pip install")
        names_dist = re.search(r"""(^|\s)["']?nob\.py([\[=<>~ "']|$)""", cmd)
        if names_dist and not re.search(r"--find-links|--no-index|-f ", cmd) and "1.6.3" not in para:
            bad.append(f"{name}: {cmd!r}: installs PyPI's nob.py 1.6.3, another project")
    assert not bad, bad


def _headers_in_wheel():
    root = Path(nob.get_include(), "nob")
    return sorted(str(p.relative_to(root.parent)) for p in root.rglob("*.hpp"))


def test_file_lists_are_the_files():
    """install.md's list of installed headers is what the wheel (and meson install)
    ships, every nob/*.hpp the pages name exists, and the pages that introduce the
    headers name every public one."""
    import fnmatch

    headers = _headers_in_wheel()
    install = (DOCS / "install.md").read_text()
    listed = re.search(r"^installs\b.*?```text\n(.*?)```", install, re.S | re.M).group(1)
    listed = [line.replace("<prefix>/include/", "") for line in listed.split()
              if line.startswith("<prefix>/include/")]
    unlisted = [h for h in headers if not any(fnmatch.fnmatchcase(h, g) for g in listed)]
    unmatched = [g for g in listed if not fnmatch.filter(headers, g)]
    assert not unlisted and not unmatched, (unlisted, unmatched)
    missing = []
    for name, text in _pages_text().items():
        for h in set(re.findall(r"(?<!python/)\bnob/[a-z_/]+\.hpp\b", text)):
            if h not in headers:
                missing.append(f"{name}: {h}")
    assert not missing, f"pages name headers that do not exist: {missing}"
    public = [h.split("/", 1)[1] for h in headers if h.count("/") == 1]
    first = install.split("\n## ")[0]
    readme = (REPO / "README.md").read_text()
    for h in public:
        assert h in first, f"install.md's opening does not name {h}"
        assert h in readme, f"README.md does not name {h}"


def test_build_directories_the_pages_name_exist():
    """A build directory a page points at (build-ci-cpp/...) is one a step makes, or
    one the same page's own command makes (meson setup build-install)."""
    steps = "\n".join(p.read_text() for p in (REPO / "tests").rglob("*.sh"))
    steps += (REPO / "benchmarks" / "run.sh").read_text()
    bad = []
    for name, text in _pages_text().items():
        for d in set(re.findall(r"(?<![\w./-])(build-[a-z0-9-]+)/", text)):
            made_here = re.search(rf"meson setup {re.escape(d)}\b", text)
            if d not in steps and not made_here:
                bad.append(f"{name}: {d}/")
    assert not bad, f"build directories nothing makes: {bad}"


def test_pages_cite_no_issue_numbers():
    """A reader has no issue tracker: say what the target or the bug is."""
    bad = [f"{name}: {m.group(0)!r}" for name, text in _pages_text().items()
           for m in re.finditer(r"\b[Ii]ssues? #?\d+", text)]
    assert not bad, bad


def test_the_manylinux_tag_is_the_one_the_wheel_step_checks():
    tag = re.search(r"^NOB_MANYLINUX=(\S+)$", (REPO / "tests" / "steps" / "lib" / "wheel.sh").read_text(),
                    re.M).group(1)
    for name in ("install.md",):
        tags = set(re.findall(r"manylinux_\d+_\d+", (DOCS / name).read_text()))
        assert f"{tag}" in tags, (name, tags)
    readme = (REPO / "bindings" / "python" / "README.md").read_text()
    assert f"`{tag}`" in readme, "the PyPI description names the tag"
    for name, text in _pages_text().items():
        claimed = set(re.findall(r"`(manylinux_\d+_\d+)(?:_x86_64)?`", text)) - {"manylinux_2_17"}
        assert claimed <= {tag}, (name, claimed)
