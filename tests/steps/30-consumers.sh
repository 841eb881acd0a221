#!/usr/bin/env bash
# Consumers: nob used the ways its users use it, each built and run.
#  1. a Meson project with nob as a subproject (dependency('nob') through
#     subprojects/nob.wrap), werror + warning_level=3, C++17 and C++20,
#     with nob's tests/ not even present (so neither GoogleTest nor Cython
#     can be needed);
#  2. `meson install` of nob, then (a) a pkg-config consumer, (b) a CMake
#     find_package(nob) consumer, also after moving the install prefix;
#     (c) a translation unit compiled against nob.get_include() of the
#     installed wheel; every version they report is meson.build's;
#  3. every ```cpp block of docs/*.md and README.md, compiled and run.
# Prints one line per check and a summary; exit status 0 only if all pass.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/build-consumers
rm -rf "$out"
mkdir -p "$out"
cxx=${CXX:-g++}
consumers=$root/tests/consumers
strict=(-std=c++17 -Wall -Wextra -Wpedantic -Werror)

for tool in cmake pkg-config "$cxx"; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool (tests/steps/00-deps.sh installs it)"; exit 1; }
done
# The one version of nob: meson.build's project version.
version=$(meson introspect --projectinfo "$root/meson.build" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])') || exit 1
major=${version%%.*}
echo "nob $version (meson.build)"

passed=0 failed=0 failures=()
# check NAME COMMAND...: runs COMMAND with its output in $out/NAME.log.
check() {
  local name=$1; shift
  local start=$SECONDS
  if "$@" >"$out/$name.log" 2>&1; then
    passed=$((passed + 1))
    echo "  ok      $name ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); failures+=("$name")
    echo "  FAILED  $name ($((SECONDS - start)) s); its log:"
    tail -n 40 "$out/$name.log" | sed 's/^/    | /'
  fi
}

# The parts of this tree a subproject user gets (no tests/, no bindings/).
copy_nob_source() {
  mkdir -p "$1"
  cp -r "$root/include" "$root/cmake" "$root/meson.build" "$root/meson_options.txt" "$root/LICENSE" "$1/"
}

## 1. Meson subproject
meson_subproject() {
  local std=$1 proj=$out/meson-subproject-$1
  cp -r "$consumers/meson_subproject" "$proj"
  copy_nob_source "$proj/subprojects/nob"
  meson setup "$proj/build" "$proj" --wrap-mode=nodownload --force-fallback-for=nob \
    -Dcpp_std="$std" &&
    meson compile -C "$proj/build" -j 1 &&
    meson test -C "$proj/build" --print-errorlogs &&
    "$proj/build/app" &&
    # nob came from the subproject, and nothing looked for gtest or Cython
    grep -qF "Dependency nob for host machine found: YES $version (overridden)" "$proj/build/meson-logs/meson-log.txt" &&
    "$proj/build/app" | grep -qF "(nob $version)" &&
    ! grep -Eiq "gtest|gmock|cython" "$proj/build/meson-logs/meson-log.txt" &&
    # werror and warning_level=3 were in force for the consumer's target
    grep -q -- "-Werror" "$proj/build/compile_commands.json" &&
    grep -q -- "-Wpedantic" "$proj/build/compile_commands.json" &&
    # as a subproject nob installs nothing (the consumer installs nothing either)
    meson install -C "$proj/build" --destdir "$proj/dest" &&
    [ -z "$(find "$proj/dest" -type f 2>/dev/null)" ]
}
# The documented wrap: a wrap-git whose url is wherever the user keeps nob
# (here a clone of this repository's committed HEAD in a local directory);
# Meson clones it into subprojects/ itself, with no network.
meson_wrap_git() {
  local proj=$out/meson-wrap-git
  cp -r "$consumers/meson_subproject" "$proj"
  rm -rf "$out/nob-clone" && git clone -q --no-hardlinks "$root" "$out/nob-clone" &&
    sed -i "s|^url = .*|url = $out/nob-clone|" "$proj/subprojects/nob.wrap" &&
    meson setup "$proj/build" "$proj" --force-fallback-for=nob &&
    [ -f "$proj/subprojects/nob/include/nob/named_semaphore.hpp" ] &&
    meson compile -C "$proj/build" -j 1 &&
    "$proj/build/app"
}
echo "Meson subproject:"
check meson-subproject-c++17 meson_subproject c++17
check meson-subproject-c++20 meson_subproject c++20
check meson-wrap-git meson_wrap_git

## 2. the installed package
prefix=$out/prefix
# The files `meson install` writes are the list docs/install.md shows (a
# line may be a glob, which must match at least one file).
install_nob() {
  meson setup "$out/nob-build" "$root" --prefix="$prefix" -Dtests=disabled -Dexamples=disabled &&
    meson install -C "$out/nob-build" &&
    (cd "$prefix" && find . -type f | sed 's|^\./||' | sort) | tee "$out/installed.txt" &&
    awk '/^installs these files/{f=1} f && /^```text$/{t=1; next} t && /^```$/{exit} t' \
      "$root/docs/install.md" | sed 's|^<prefix>/||' >"$out/documented.txt" &&
    python3 - "$out/installed.txt" "$out/documented.txt" <<'PY'
import fnmatch, sys
installed = open(sys.argv[1]).read().split()
documented = open(sys.argv[2]).read().split()
assert documented, "docs/install.md lists no installed file"
unlisted = [f for f in installed if not any(fnmatch.fnmatchcase(f, d) for d in documented)]
unmatched = [d for d in documented if not fnmatch.filter(installed, d)]
assert not unlisted and not unmatched, (
    f"installed but not in docs/install.md: {unlisted}; in docs/install.md but not installed: {unmatched}")
print(f"the {len(installed)} installed files are the {len(documented)} lines of docs/install.md")
PY
}
# docs/install.md's "Copying the headers", as written (path/to/nob is this tree).
copied_headers() {
  local dir=$out/copied-headers cmd
  rm -rf "$dir" && mkdir -p "$dir" && cp "$consumers/get_include/main.cpp" "$dir/" || return 1
  cmd=$(awk '/^## Copying the headers/{f=1} f && /^```sh$/{t=1; next} t && /^```$/{exit} t' \
    "$root/docs/install.md")
  [ -n "$cmd" ] || return 1
  echo "$cmd"
  (cd "$dir" && bash -ec "${cmd//path\/to\/nob/$root}") &&
    [ -z "$(cd "$dir/third_party/include/nob" && find . -type f | sed 's|^\./||' | sort |
            diff - <(cd "$root/include/nob" && find . -type f | sed 's|^\./||' | sort))" ] &&
    "$dir/app" | grep -F "(nob $version)"
}
pkgconfig_consumer() {
  export PKG_CONFIG_PATH=$prefix/share/pkgconfig
  pkg-config --exists --print-errors "nob >= $major.0" &&
    [ "$(pkg-config --modversion nob)" = "$version" ] &&
    # shellcheck disable=SC2046
    "$cxx" "${strict[@]}" "$consumers/pkgconfig/main.cpp" -o "$out/pkgconfig-app" \
      $(pkg-config --cflags --libs nob) &&
    "$out/pkgconfig-app" | grep -F "(nob $version)"
}
cmake_consumer() {  # $1: the prefix to find nob in; $2...: more cmake arguments
  local where=$1 build=$out/cmake-build-$(basename "$1")${2:+-std}
  shift
  cmake -S "$consumers/cmake" -B "$build" -DCMAKE_PREFIX_PATH="$where" -DCMAKE_CXX_COMPILER="$cxx" "$@" &&
    cmake --build "$build" -j 1 &&
    grep -q "$where/include" "$build/CMakeFiles/app.dir/flags.make" &&
    "$build/app" | grep -F "(nob $version)"
}
# nob::nob brings C++17 to a project that asks for C++14 (the headers stop
# at an #error below C++17), and links rt (mq_* before glibc 2.34); threads
# too, which on glibc 2.34 and later is nothing to add.
cmake_cxx14_project() {
  local build=$out/cmake-build-prefix-std
  cmake_consumer "$prefix" -DCMAKE_CXX_STANDARD=14 &&
    grep -E -- "-std=(gnu|c)\+\+17" "$build/CMakeFiles/app.dir/flags.make" &&
    grep -E -- "(^| )-lrt( |$)" "$build/CMakeFiles/app.dir/link.txt"
}
cmake_wrong_version() {  # find_package(nob <major+1>.0) must refuse this version
  local src=$out/cmake-wrong-version
  mkdir -p "$src"
  sed "s/find_package(nob $major.0 REQUIRED)/find_package(nob $((major + 1)).0 REQUIRED)/" \
    "$consumers/cmake/CMakeLists.txt" >"$src/CMakeLists.txt"
  cp "$consumers/cmake/main.cpp" "$src/"
  grep -qF "find_package(nob $((major + 1)).0 REQUIRED)" "$src/CMakeLists.txt" || return 1
  if cmake -S "$src" -B "$src/build" -DCMAKE_PREFIX_PATH="$prefix"; then return 1; fi
  grep -q "not compatible with the version requested" "$out/cmake-refuses-next-major.log"
}
# nobConfigVersion.cmake answers every request (versions, ranges) as CMake's
# own SameMajorVersion file does.
cmake_versions_as_cmake() {
  cmake -S "$consumers/cmake_versions" -B "$out/cmake-versions" -DCMAKE_PREFIX_PATH="$prefix" \
    -DNOB_VERSION="$version" &&
    grep -q "disagreements with CMake: 0" "$out/cmake-versions-as-cmake.log"
}
relocated_cmake_consumer() {  # the CMake package is relocatable
  rm -rf "$out/moved" && cp -r "$prefix" "$out/moved" && cmake_consumer "$out/moved"
}

# A venv with the installed wheel: one of step 20's (one per Python) when it
# is there and current, else our own.
python_with_nob() {
  local py inc
  # reuse a venv of step 20 only when its wheel was built from this very tree
  for py in "$root"/build-ci-py/*/venv/bin/python; do
    if [ -x "$py" ] && inc=$(cd / && "$py" -c 'import nob.ipc, nob; print(nob.get_include())' 2>/dev/null) &&
      cmp -s "$inc/nob/named_semaphore.hpp" "$root/include/nob/named_semaphore.hpp" &&
      cmp -s "$inc/nob/common.hpp" "$root/include/nob/common.hpp"; then
      echo "$py"
      return
    fi
  done
  if [ -x "$out/venv/bin/python" ]; then  # built earlier in this run
    echo "$out/venv/bin/python"
    return
  fi
  python3 -m pip wheel "$root" --no-deps --disable-pip-version-check -q -w "$out/dist" >&2 &&
    python3 -m venv "$out/venv" &&
    "$out/venv/bin/python" -m pip install -q --disable-pip-version-check "$out"/dist/nob_py-*.whl >&2 &&
    echo "$out/venv/bin/python"
}
get_include_consumer() {
  local py inc
  py=$(python_with_nob) || return 1
  inc=$(cd / && "$py" -c 'import nob; print(nob.get_include())') || return 1
  echo "nob.get_include() = $inc"
  [ "$(cd / && "$py" -c 'import nob; print(nob.__version__)')" = "$version" ] || return 1
  case "$inc" in "$root/bindings"* | "$root/include"*) echo "points into the source tree"; return 1 ;; esac
  [ -f "$inc/nob/named_semaphore.hpp" ] &&
    cmp "$inc/nob/named_semaphore.hpp" "$root/include/nob/named_semaphore.hpp" &&
    "$cxx" "${strict[@]}" -I"$inc" "$consumers/get_include/main.cpp" -o "$out/get-include-app" -pthread &&
    "$out/get-include-app" | grep -F "(nob $version)"
}
wheel_metadata() {  # what PyPI users see: the distribution nob.py and its extras
  local py
  py=$(python_with_nob) || return 1
  (cd / && NOB_VERSION=$version "$py" - <<'PY')
import os
from importlib.metadata import metadata
m = metadata("nob-py")  # the spelling Python 3.9 finds too
print({k: m[k] for k in ("Name", "Version", "Requires-Python", "License-Expression")})
assert m["Name"] == "nob.py" and m["Summary"], "name and description"
assert m["License-Expression"] == "MIT" or "MIT" in (m["License"] or ""), "license"
assert m["Requires-Python"], "requires-python"
assert {"ipc", "test"} <= set(m.get_all("Provides-Extra")), "the ipc and test extras"
assert not [r for r in m.get_all("Requires-Dist") or [] if "extra ==" not in r], "no hard dependency"
assert not m.get_all("Project-URL"), "no URL of a public home that does not exist"
# meson.build's version, a final release (pip skips pre-releases) that sorts
# above 1.6.3, the last nob.py published on PyPI (another, pure-Python project).
assert m["Version"] == os.environ["NOB_VERSION"], (m["Version"], os.environ["NOB_VERSION"])
assert tuple(int(p) for p in m["Version"].split(".")) > (1, 6, 3), m["Version"]
assert "Typing :: Typed" in m.get_all("Classifier"), "classifiers"
PY
}

echo "Installed package:"
check meson-install install_nob
check copied-headers copied_headers
check pkg-config pkgconfig_consumer
check cmake-find-package cmake_consumer "$prefix"
check cmake-cxx14-project cmake_cxx14_project
check cmake-refuses-next-major cmake_wrong_version
check cmake-relocated relocated_cmake_consumer
check cmake-versions-as-cmake cmake_versions_as_cmake
check get-include get_include_consumer
check wheel-metadata wheel_metadata

## 3. the README's first command, as written, in a clean clone of HEAD
readme_first_command() {
  local clone=$out/readme-clone cmd
  rm -rf "$clone" && git clone -q --no-hardlinks "$root" "$clone" || return 1
  cmd=$(awk '/^```sh$/{f=1; next} f && /^```$/{exit} f' "$root/README.md")
  echo "README's first command: $cmd"
  [ -n "$cmd" ] && (cd "$clone" && bash -c "$cmd") | tee "$out/readme-demo.out" &&
    grep -q "demo" "$out/readme-demo.out"
}
echo "README:"
check readme-first-command readme_first_command

## 4. the C++ examples of the docs
echo "C++ examples in docs/*.md and README.md:"
check cpp-doc-examples python3 "$consumers/cpp_doc_examples.py" "$root" "$out/doc-examples" "$cxx"
grep "C++ doc examples:" "$out/cpp-doc-examples.log" | sed 's/^/    /'
if [ "$cxx" != clang++ ] && command -v clang++ >/dev/null; then  # when clang is installed
  check cpp-doc-examples-clang python3 "$consumers/cpp_doc_examples.py" "$root" "$out/doc-examples-clang" clang++
fi

echo
[ ${#failures[@]} -eq 0 ] || echo "consumers failed: ${failures[*]}"
echo "consumers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
