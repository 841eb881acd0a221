# musl target of tests/steps/50-platforms.sh (sourced; defines musl_interop).
# Debian has no musl C++ toolchain, so nob's C++ cannot be built against
# musl here. What is checked instead, each against the documented behaviour
# (docs/install.md, "Platforms"):
#  1. musl's own sem_open works here: create, trywait, value across processes,
#     in /dev/shm/NAME (no "sem." prefix);
#  2. nob (glibc) -> musl: a semaphore nob makes is not visible to a musl
#     program (glibc's file is /dev/shm/sem.NAME);
#  3. musl -> nob: a semaphore a musl program makes is not visible to nob;
#  4. a musl semaphore made under glibc's file name ("/sem.NAME") is
#     refused by nob with EINVAL (musl's sem_t layout is not glibc's), not
#     misread, and left intact;
#  5. nob's header, preprocessed with musl's C headers, picks the sem_open
#     path (NOB_USE_DEV_SHM 0) and no glibc sem_t layout.
musl_interop() {
  local d=$out/musl src=$here/musl p pass=0 fail=0
  mkdir -p "$d"
  p="${NOB_TEST_PREFIX:-nobt}musl$$"
  if ! musl-gcc -static -O1 -Wall -Wextra -Werror "$src/sem_tool.c" -o "$d/sem_tool" >"$d/build.log" 2>&1 ||
     ! g++ -std=c++17 -O1 -Wall -Wextra -Wpedantic -Werror -I"$root/include" "$src/nob_tool.cpp" \
         -o "$d/nob_tool" -pthread >>"$d/build.log" 2>&1; then
    echo "  musl: build failed:"; sed 's/^/  | /' "$d/build.log" | head -n 20
    CELL[musl,musl-c]="build failed"; total_fail=$((total_fail + 1))
    fail_lines+=("musl: did not build (see $d/build.log)")
    return
  fi
  local musl=$d/sem_tool nob=$d/nob_tool
  # expect <what> <wanted output> <command...>
  expect() {
    local what=$1 want=$2 got
    shift 2
    got=$("$@" 2>&1 | tr '\n' ' ' | sed 's/ $//')
    if [ "$got" = "$want" ]; then
      pass=$((pass + 1)); echo "    ok    $what"
    else
      fail=$((fail + 1)); echo "    FAIL  $what: wanted \"$want\", got \"$got\""
      fail_lines+=("musl: $what: wanted \"$want\", got \"$got\"")
    fi
  }
  # 1. musl alone
  expect "musl creates /$p-a with 2" ok "$musl" create "/$p-a" 2
  expect "musl's file is /dev/shm/$p-a" yes sh -c "[ -f /dev/shm/$p-a ] && echo yes || echo no"
  expect "another musl process takes a unit" ok "$musl" trywait "/$p-a"
  expect "a third sees value 1" 1 "$musl" value "/$p-a"
  expect "musl unlinks it" ok "$musl" unlink "/$p-a"
  # 2. nob -> musl
  expect "nob creates /$p-b" ok "$nob" create "/$p-b" 1
  expect "nob's file is /dev/shm/sem.$p-b" yes sh -c "[ -f /dev/shm/sem.$p-b ] && echo yes || echo no"
  expect "musl does not see nob's /$p-b" errno=ENOENT "$musl" open "/$p-b"
  expect "nob removes /$p-b" ok "$nob" remove "/$p-b"
  # 3. musl -> nob
  expect "musl creates /$p-c" ok "$musl" create "/$p-c" 1
  expect "nob does not see musl's /$p-c" no "$nob" exists "/$p-c"
  expect "nob cannot open musl's /$p-c" errno=ENOENT "$nob" open "/$p-c"
  expect "musl unlinks /$p-c" ok "$musl" unlink "/$p-c"
  # 4. a musl semaphore in glibc's file
  expect "musl creates /sem.$p-d with 3" ok "$musl" create "/sem.$p-d" 3
  expect "nob refuses it as not a glibc semaphore" errno=EINVAL "$nob" open "/$p-d"
  expect "nob left it intact: musl takes a unit" ok "$musl" trywait "/sem.$p-d"
  expect "and musl sees value 2" 2 "$musl" value "/sem.$p-d"
  expect "musl unlinks /sem.$p-d" ok "$musl" unlink "/sem.$p-d"
  # 5. the header's choice under musl (preprocessed: no musl C++ library)
  local stubs=$d/stub-include f
  mkdir -p "$stubs"
  # the C++ standard headers of every header (include/nob/detail/ too): empty,
  # only the macros are wanted
  for f in $(grep -rho --include='*.hpp' '#include <[a-z_]*>' "$root/include/nob" |
             sed 's/#include <//; s/>//' | sort -u); do
    : >"$stubs/$f"
  done
  # a header that does not preprocess shows its first error, not a stray line
  expect "nob's header under musl picks sem_open, no glibc layout" "0 0" sh -c "
    printf '#include <nob/named_semaphore.hpp>\nNOB_USE_DEV_SHM NOB_KNOWN_SEM_LAYOUT\n' |
    g++ -std=c++17 -E -P -nostdinc -isystem '$stubs' -isystem /usr/include/x86_64-linux-musl \
        -isystem \"\$(g++ -print-file-name=include)\" -I'$root/include' -x c++ - \
        -o '$d/musl-macros.i' 2>'$d/musl-macros.err' ||
      { grep -m 1 'error' '$d/musl-macros.err'; exit 1; }
    grep -v '^ *\$' '$d/musl-macros.i' | tail -n 1 | sed 's/NOB_KNOWN_SEM_LAYOUT/0/'"
  # leave nothing behind, whatever failed
  for f in "/$p-a" "/$p-c" "/sem.$p-d"; do "$musl" unlink "$f" >/dev/null 2>&1; done
  "$nob" remove "/$p-b" >/dev/null 2>&1
  CELL[musl,musl-c]="$pass/$fail/0"
  total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail))
  echo "  musl/musl-c: $pass passed, $fail failed"
}
