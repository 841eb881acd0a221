#!/usr/bin/env bash
# Runs every test of nob on a fresh Debian machine: installs what is missing
# (apt-get, pip), then runs each step in tests/steps/ in order and prints one
# closing line "N passed, N failed" over the steps. Exit status 0 only when
# every step passed.
#
#   bash tests/run_all.sh            # everything
#   bash tests/run_all.sh 10 20      # only the steps whose file starts so
set -uo pipefail
cd "$(dirname "$0")/.."
export NOB_ROOT=$PWD

bash tests/steps/00-deps.sh || { echo "deps: 0 passed, 1 failed"; exit 1; }
# The build tools (meson, ninja, cython, meson-python) live in a venv of ours.
export PATH=$NOB_ROOT/build-ci-tools/venv/bin:$PATH

# One prefix for every name this run's tests make: leftovers are looked for
# under it alone, so other programs' objects in /dev/shm never fail a run.
if [ -z "${NOB_TEST_PREFIX:-}" ]; then
  NOB_TEST_PREFIX=nobt$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
fi
export NOB_TEST_PREFIX
echo "test name prefix: $NOB_TEST_PREFIX"
# Message queues have no directory until mqueue is mounted: mount it (as
# root, where it is missing) so that the leftover check below sees them.
if [ ! -d /dev/mqueue ] || ! mountpoint -q /dev/mqueue; then
  if [ "$(id -u)" = 0 ]; then
    mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue || echo "could not mount /dev/mqueue"
  fi
fi
# Where nob's named objects live: semaphores, robust semaphores and shared
# memory in /dev/shm, message queues in /dev/mqueue when it is mounted.
leftovers() {
  local d
  for d in /dev/shm /dev/mqueue; do
    [ -d "$d" ] && ls -A "$d" 2>/dev/null | grep -F -- "$NOB_TEST_PREFIX" | sed "s|^|$d/|"
  done
  return 0
}

# children_cpu: sets `cpu` to the CPU seconds (user + system) of every child
# process waited for so far; a step's CPU time, unlike its wall time, hardly
# depends on the machine's load. (`times` must run in this shell, not in a
# $(...) subshell, whose children are not the steps.)
children_cpu() {
  times >build-ci-logs/.times
  cpu=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
                       printf "%d", t }' build-ci-logs/.times)
}

passed=0 failed=0 failures=() timings=()
run_start=$SECONDS
mkdir -p build-ci-logs
for step in tests/steps/[1-9]*.sh; do
  if [ $# -gt 0 ]; then
    keep=0
    for want in "$@"; do case "$(basename "$step")" in "$want"*) keep=1 ;; esac; done
    [ "$keep" = 1 ] || continue
  fi
  echo
  echo "=== $(basename "$step") ==="
  children_cpu
  start=$SECONDS cpu_start=$cpu
  # Each step's output also goes to build-ci-logs/, for the digest below.
  if bash "$step" 2>&1 | tee "build-ci-logs/$(basename "$step" .sh).log"; then
    passed=$((passed + 1)); result=ok
  else
    failed=$((failed + 1)); result=FAILED; failures+=("$(basename "$step")")
  fi
  children_cpu
  echo "=== $(basename "$step"): $result in $((SECONDS - start)) s" \
    "(CPU $((cpu - cpu_start)) s, load $(cut -d' ' -f1-3 /proc/loadavg)) ==="
  timings+=("$(printf '%-18s %-6s %5d s wall %6d s CPU' "$(basename "$step")" "$result" \
    $((SECONDS - start)) $((cpu - cpu_start)))")
done

leftover=$(leftovers)
echo
if [ -n "$leftover" ]; then
  echo "objects the tests left behind (prefix $NOB_TEST_PREFIX):"; echo "$leftover" | sed 's/^/  /'
  failed=$((failed + 1)); failures+=("leftovers")
fi
# A digest of why each failed step failed, last, where a reader of only the
# end of the output (a CI page) still sees it.
for f in ${failures[@]+"${failures[@]}"}; do
  log=build-ci-logs/${f%.sh}.log; [ -f "$log" ] || continue
  echo "--- why $f failed (the lines naming a failure in $log):"
  grep -E 'FAIL|Failure|failed|[Ee]rror|ERROR|^E: |Sanitizer|runtime error|Expected|Which is|Value of|TIMEOUT|Timeout|Traceback|^E  |Killed|Aborted|Segmentation fault|unbound variable|command not found|No such file' \
    "$log" | grep -vE ' OK |, 0 failed|Fail: +0|^ *skip ' | cut -c1-300 >"$log.why" || true
  if [ ! -s "$log.why" ]; then
    tail -n 20 "$log"  # nothing named a failure: the step's last words
  elif [ "$(wc -l <"$log.why")" -gt 60 ]; then
    head -n 30 "$log.why"; echo "  [...]"; tail -n 30 "$log.why"
  else
    cat "$log.why"
  fi
done
echo "time per step:"
printf '  %s\n' "${timings[@]}"
children_cpu
echo "  total: $((SECONDS - run_start)) s wall, $cpu s CPU"
[ ${#failures[@]} -eq 0 ] || echo "failed steps: ${failures[*]}"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
