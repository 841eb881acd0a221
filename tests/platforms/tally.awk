# Reads the output of one GoogleTest binary and prints, for the step's table,
#   counts <passed> <failed> <skipped>
# followed by one line per skipped test with its reason and one line per
# failed test. A test that started but never ended (a crash, a hang ended by
# timeout) counts as failed. Works on partial output, unlike --gtest_output.
function flush_skip(   r) {
  r = reason
  gsub(/^[ \n]+|[ \n]+$/, "", r)
  gsub(/\n/, " ", r)
  if (r == "") r = "(no reason given)"
  print "skip " current " -- " r
}
/^\[ RUN      \] / { current = $4; running = 1; reason = ""; in_skip = 0; next }
/^\[       OK \] .*\([0-9]+ ms\)$/ { passed++; running = 0; next }
/^\[  FAILED  \] .*\([0-9]+ ms\)$/ { failed++; running = 0; print "fail " current; next }
/^\[  SKIPPED \] .*\([0-9]+ ms\)$/ { skipped++; running = 0; flush_skip(); next }
running && /: Skipped$/ { in_skip = 1; next }
running && in_skip { reason = reason "\n" $0; next }
END {
  if (running) { failed++; print "fail " current " (did not finish: crash or timeout)" }
  printf "counts %d %d %d\n", passed, failed, skipped
}
