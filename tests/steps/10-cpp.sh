#!/usr/bin/env bash
# C++: builds the GoogleTest suite (every wait path, C++17 and C++20), the
# header-alone compile checks and the examples with --werror, and runs them
# with `meson test`. When clang++ is installed, also compiles the header alone
# with clang++ in C++17 and C++20 with -Wall -Wextra -Wpedantic -Werror.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build-ci-cpp

if [ -f "$build/meson-private/coredata.dat" ]; then
  meson setup "$build" -Dtests=enabled -Dexamples=enabled --werror --reconfigure \
    || meson setup "$build" -Dtests=enabled -Dexamples=enabled --werror --wipe
else
  rm -rf "$build"
  meson setup "$build" -Dtests=enabled -Dexamples=enabled --werror
fi
meson compile -C "$build" -j "${NOB_JOBS:-$(nproc)}"
meson test -C "$build" --print-errorlogs --num-processes 1

if command -v clang++ >/dev/null 2>&1; then
  for std in c++17 c++20; do
    echo "clang++ -std=$std: header alone"
    clang++ -std="$std" -Wall -Wextra -Wpedantic -Werror -Iinclude \
      -fsyntax-only -x c++ include/nob/named_semaphore.hpp
    clang++ -std="$std" -Wall -Wextra -Wpedantic -Werror -Iinclude \
      -c tests/cpp/semaphore/header_alone.cpp -o /dev/null
  done
else
  echo "clang++ not installed: skipping the clang header check"
fi
