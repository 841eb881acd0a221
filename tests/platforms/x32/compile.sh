# x32 target of tests/steps/50-platforms.sh (sourced; defines x32_compile).
# x32 is the ILP32 ABI of x86-64 (32-bit pointers and long, 64-bit time_t):
# the data model, not the architecture, must decide what nob assumes about
# sem_t. Debian's kernels turn x32 system calls off, so its programs cannot
# run here: each public header is compiled alone (-Werror, C++17 and C++20)
# and a program using every kind is linked, and run only if the kernel can.
# Needs libc6-dev-x32 and libx32stdc++-12-dev; <asm/...> comes from the
# x86-64 headers (gcc-multilib, which would provide it, conflicts with the
# cross compilers).
x32_compile() {
  local d=$out/x32 pass=0 fail=0 h std
  mkdir -p "$d/include"
  ln -sfn /usr/include/x86_64-linux-gnu/asm "$d/include/asm"
  local cxx=(g++ -mx32 -Wall -Wextra -Wpedantic -Werror -I"$root/include" -idirafter "$d/include")
  check_x32() {  # check_x32 <what> <command...>
    local what=$1
    shift
    if "$@" >"$d/last.log" 2>&1; then
      pass=$((pass + 1)); echo "    ok    $what"
    else
      fail=$((fail + 1)); echo "    FAIL  $what:"; head -n 15 "$d/last.log" | sed 's/^/    | /'
      fail_lines+=("x32: $what")
    fi
  }
  for h in "$root"/include/nob/*.hpp; do
    for std in c++17 c++20; do
      check_x32 "$(basename "$h") alone, $std" "${cxx[@]}" -std=$std -fsyntax-only -x c++ "$h"
    done
  done
  check_x32 "a program using every header links" \
    "${cxx[@]}" -std=c++17 "$here/x32/every_header.cpp" -o "$d/every_header" -pthread
  if [ -x "$d/every_header" ] && "$d/every_header" "/${NOB_TEST_PREFIX:-nobt}x32$$" >/dev/null 2>&1; then
    pass=$((pass + 1)); echo "    ok    it runs"
  else
    echo "    not run: this kernel does not execute x32 programs"
  fi
  CELL[x32,x32-build]="$pass/$fail/0"
  total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail))
  echo "  x32/x32-build: $pass passed, $fail failed"
}
