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

# Every semaphore a test creates must be gone when the tests end.
shm_before=$(ls /dev/shm 2>/dev/null | grep '^sem\.' | sort || true)

passed=0 failed=0 failures=()
for step in tests/steps/[1-9]*.sh; do
  if [ $# -gt 0 ]; then
    keep=0
    for want in "$@"; do case "$(basename "$step")" in "$want"*) keep=1 ;; esac; done
    [ "$keep" = 1 ] || continue
  fi
  echo
  echo "=== $(basename "$step") ==="
  start=$SECONDS
  if bash "$step"; then
    passed=$((passed + 1)); result=ok
  else
    failed=$((failed + 1)); result=FAILED; failures+=("$(basename "$step")")
  fi
  echo "=== $(basename "$step"): $result in $((SECONDS - start)) s ==="
done

shm_after=$(ls /dev/shm 2>/dev/null | grep '^sem\.' | sort || true)
leftover=$(comm -13 <(echo "$shm_before") <(echo "$shm_after") | grep -v '^$' || true)
echo
if [ -n "$leftover" ] && [ $# -eq 0 ]; then
  echo "semaphores the tests left in /dev/shm:"; echo "$leftover" | sed 's/^/  /'
  failed=$((failed + 1)); failures+=("leftovers-in-/dev/shm")
fi
[ ${#failures[@]} -eq 0 ] || echo "failed steps: ${failures[*]}"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
