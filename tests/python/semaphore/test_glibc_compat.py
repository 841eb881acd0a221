"""The wheel's path for a glibc without sem_clockwait (before 2.30).

The wheel claims an older glibc than the one it is built with
(bindings/python/glibc_compat/): it looks sem_clockwait up at run time and,
where there is none, waits in slices of sem_timedwait. This machine's glibc
has sem_clockwait, so the test hides it: a preloaded library answers the
lookup (dlvsym) with "no such symbol" and notes that it was asked. Timed
waits must then still never end early, end on time, and wake on a post.
"""

import os
import platform
import shutil
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    platform.machine() != "x86_64" or platform.libc_ver()[0] != "glibc",
    reason="the glibc compatibility layer is built for x86-64 glibc only",
)

HIDE_CLOCKWAIT = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void* dlvsym(void* handle, const char* symbol, const char* version) {
  if (strcmp(symbol, "sem_clockwait") == 0) {
    FILE* f = fopen(getenv("NOB_TEST_DLVSYM_LOG"), "a");
    if (f) {
      fprintf(f, "hid %s@%s\n", symbol, version);
      fclose(f);
    }
    return NULL;
  }
  void* (*real)(void*, const char*, const char*) =
      (void* (*)(void*, const char*, const char*))dlsym(RTLD_NEXT, "dlvsym");
  return real(handle, symbol, version);
}
"""

CHILD = textwrap.dedent(
    """
    import sys, threading, time
    from nob.ipc import Flags, NamedSemaphore

    sem = NamedSemaphore(sys.argv[1], initial_value=0, handle_existence=Flags.RAISE_IF_EXISTS)
    try:
        for timeout in (0.02, 0.3):  # less than one slice, several slices
            start = time.monotonic()
            assert sem.acquire(timeout=timeout) is False
            took = time.monotonic() - start
            assert timeout <= took < timeout + 5, (timeout, took)
        start = time.monotonic()  # before the timer starts: it fires 0.15 s after that
        threading.Timer(0.15, sem.release).start()
        assert sem.acquire(timeout=30) is True
        took = time.monotonic() - start
        assert 0.15 <= took < 10, took
        sem.release()
        assert sem.acquire(timeout=0) is True  # a unit that is there: no wait
    finally:
        sem.close()
    print("ok")
    """
)


@pytest.fixture(scope="module")
def hide_clockwait(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the preloaded library")
    d = tmp_path_factory.mktemp("hide")
    (d / "hide.c").write_text(HIDE_CLOCKWAIT)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(d / "hide.so"), str(d / "hide.c"), "-ldl"],
                   check=True, timeout=120)
    return d / "hide.so"


def run_child(sem_name, tmp_path, preload=None):
    log = tmp_path / "dlvsym.log"
    env = dict(os.environ, NOB_TEST_DLVSYM_LOG=str(log), PYTHONPATH="")
    if preload:
        env["LD_PRELOAD"] = str(preload)
    r = subprocess.run([sys.executable, "-c", CHILD, sem_name], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    return log.read_text() if log.exists() else ""


def test_timed_waits_without_sem_clockwait(hide_clockwait, sem_name, tmp_path):
    log = run_child(sem_name, tmp_path, preload=hide_clockwait)
    # the lookup happened (once) and found nothing: the waits above used the fallback
    assert log == "hid sem_clockwait@GLIBC_2.30\n", log


def test_timed_waits_with_sem_clockwait(sem_name, tmp_path):
    assert run_child(sem_name, tmp_path) == ""
