#!/usr/bin/env bash
# Consumers: nob used the ways its users use it, each built and run.
#  1. a Meson project with nob as a subproject (dependency('nob') through
#     subprojects/nob.wrap), werror + warning_level=3, C++17 and C++20,
#     with nob's tests/ not even present (so neither GoogleTest nor Cython
#     can be needed);
#  2. `meson install` of nob, then (a) a pkg-config consumer, (b) a CMake
#     find_package(nob) consumer, also after moving the install prefix;
#     (c) a translation unit compiled against nob.get_include() of the
#     installed wheel;
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
    grep -q "Dependency nob for host machine found: YES 0.2.0 (overridden)" "$proj/build/meson-logs/meson-log.txt" &&
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
install_nob() {
  meson setup "$out/nob-build" "$root" --prefix="$prefix" -Dtests=disabled -Dexamples=disabled &&
    meson install -C "$out/nob-build" &&
    (cd "$prefix" && find . -type f | sort) | tee "$out/installed.txt" &&
    diff -u - "$out/installed.txt" <<'LIST'
./include/nob/common.hpp
./include/nob/detail/deadline.hpp
./include/nob/detail/errors.hpp
./include/nob/detail/files.hpp
./include/nob/detail/glibc_sem.hpp
./include/nob/detail/mq.hpp
./include/nob/detail/open_by_policy.hpp
./include/nob/detail/sem_wait.hpp
./include/nob/detail/shm.hpp
./include/nob/message_queue.hpp
./include/nob/named_semaphore.hpp
./include/nob/robust_semaphore.hpp
./include/nob/shared_memory.hpp
./share/cmake/nob/nobConfig.cmake
./share/cmake/nob/nobConfigVersion.cmake
./share/pkgconfig/nob.pc
LIST
}
pkgconfig_consumer() {
  export PKG_CONFIG_PATH=$prefix/share/pkgconfig
  pkg-config --exists --print-errors "nob >= 0.1" &&
    [ "$(pkg-config --modversion nob)" = 0.2.0 ] &&
    # shellcheck disable=SC2046
    "$cxx" "${strict[@]}" "$consumers/pkgconfig/main.cpp" -o "$out/pkgconfig-app" \
      $(pkg-config --cflags --libs nob) &&
    "$out/pkgconfig-app"
}
cmake_consumer() {  # $1: the prefix to find nob in
  local build=$out/cmake-build-$(basename "$1")
  cmake -S "$consumers/cmake" -B "$build" -DCMAKE_PREFIX_PATH="$1" -DCMAKE_CXX_COMPILER="$cxx" &&
    cmake --build "$build" -j 1 &&
    grep -q "$1/include" "$build/CMakeFiles/app.dir/flags.make" &&
    "$build/app"
}
cmake_wrong_version() {  # find_package(nob 1.0) must refuse 0.2.0
  local src=$out/cmake-wrong-version
  mkdir -p "$src"
  sed 's/find_package(nob 0.1 REQUIRED)/find_package(nob 1.0 REQUIRED)/' \
    "$consumers/cmake/CMakeLists.txt" >"$src/CMakeLists.txt"
  cp "$consumers/cmake/main.cpp" "$src/"
  if cmake -S "$src" -B "$src/build" -DCMAKE_PREFIX_PATH="$prefix"; then return 1; fi
  grep -q "not compatible with the version requested" "$out/cmake-refuses-1.0.log"
}
cmake_version_range() {  # find_package(nob 0.1...<1.0) accepts 0.2.0, 0.3...1.0 refuses it
  local src=$out/cmake-range
  mkdir -p "$src/ok" "$src/no"
  cp "$consumers/cmake/main.cpp" "$src/ok/" && cp "$consumers/cmake/main.cpp" "$src/no/" &&
    sed 's/find_package(nob 0.1 REQUIRED)/find_package(nob 0.1...<1.0 REQUIRED)/' \
      "$consumers/cmake/CMakeLists.txt" >"$src/ok/CMakeLists.txt" &&
    sed 's/find_package(nob 0.1 REQUIRED)/find_package(nob 0.3...1.0 REQUIRED)/' \
      "$consumers/cmake/CMakeLists.txt" >"$src/no/CMakeLists.txt" &&
    cmake -S "$src/ok" -B "$src/ok/build" -DCMAKE_PREFIX_PATH="$prefix" &&
    if cmake -S "$src/no" -B "$src/no/build" -DCMAKE_PREFIX_PATH="$prefix"; then return 1; fi
  grep -q 'requested version range "0.3...1.0"' "$out/cmake-version-range.log"
}
relocated_cmake_consumer() {  # the CMake package is relocatable
  rm -rf "$out/moved" && cp -r "$prefix" "$out/moved" && cmake_consumer "$out/moved"
}

# A venv with the installed wheel: step 20's when it is there and current, else our own.
python_with_nob() {
  local py=$root/build-ci-py/venv/bin/python
  local inc
  # reuse step 20's venv only when its wheel was built from this very tree
  if [ -x "$py" ] && inc=$(cd / && "$py" -c 'import nob.ipc, nob; print(nob.get_include())' 2>/dev/null) &&
    cmp -s "$inc/nob/named_semaphore.hpp" "$root/include/nob/named_semaphore.hpp"; then
    echo "$py"
    return
  fi
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
  case "$inc" in "$root/bindings"* | "$root/include"*) echo "points into the source tree"; return 1 ;; esac
  [ -f "$inc/nob/named_semaphore.hpp" ] &&
    cmp "$inc/nob/named_semaphore.hpp" "$root/include/nob/named_semaphore.hpp" &&
    "$cxx" "${strict[@]}" -I"$inc" "$consumers/get_include/main.cpp" -o "$out/get-include-app" -pthread &&
    "$out/get-include-app"
}
wheel_metadata() {  # what PyPI users see: the distribution nob.py and its extras
  local py
  py=$(python_with_nob) || return 1
  (cd / && "$py" - <<'PY')
from importlib.metadata import metadata
# The versions of nob.py published on PyPI (pure Python, over posix_ipc).
PUBLISHED = {"0.1.0", "0.1.1", "0.1.2", "0.1.3", "0.1.4", "0.1.5", "1.0.0", "1.1.0",
             "1.2.0", "1.3.0", "1.3.1", "1.3.2", "1.4.0", "1.5.0", "1.5.1", "1.5.2",
             "1.6.0", "1.6.1", "1.6.2", "1.6.3"}
m = metadata("nob.py")
print(m)
assert m["Name"] == "nob.py" and m["Summary"], "name and description"
assert m["License-Expression"] == "MIT" or "MIT" in (m["License"] or ""), "license"
assert m["Requires-Python"], "requires-python"
assert {"ipc", "test"} <= set(m.get_all("Provides-Extra")), "the ipc and test extras"
assert not [r for r in m.get_all("Requires-Dist") or [] if "extra ==" not in r], "no hard dependency"
assert not m.get_all("Project-URL"), "no URL of a public home that does not exist"
assert m["Version"] not in PUBLISHED, "a version that collides with none published"
assert "Typing :: Typed" in m.get_all("Classifier"), "classifiers"
PY
}

echo "Installed package:"
check meson-install install_nob
check pkg-config pkgconfig_consumer
check cmake-find-package cmake_consumer "$prefix"
check cmake-refuses-1.0 cmake_wrong_version
check cmake-relocated relocated_cmake_consumer
check cmake-version-range cmake_version_range
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
