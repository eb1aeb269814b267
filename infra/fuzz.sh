#!/usr/bin/env bash
# make fuzz: every native Go fuzz target (func FuzzXxx in shared/ and
# functions/), each for FUZZTIME, one after another (go test -fuzz takes one
# target per run). Prints each target's executions and the total; fails when
# any target fails (the failing input is saved in the package's
# testdata/fuzz/<target>/, where plain go test replays it) or when fewer than
# FUZZ_MIN_EXECS inputs ran in all.
#
# FUZZMINIMIZETIME is 0 by default: go test otherwise spends up to a minute
# shrinking each new input that widens coverage, and those runs are not
# counted, so a bounded run would mostly shrink, not explore. A failing
# input is then saved as found; FUZZMINIMIZETIME=60s shrinks it.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
FUZZ_MIN_EXECS=${FUZZ_MIN_EXECS:-100000}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-0}

total=0
failed=()
printf '%-26s %-22s %12s\n' package target executions
for file in $(grep -rl --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*(f \*testing.F)' shared functions | sort); do
	pkg=./$(dirname "$file")
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -c6-); do
		log=$(mktemp)
		if ! "$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" >"$log" 2>&1; then
			failed+=("$pkg $target")
			cat "$log"
		fi
		# go test prints "fuzz: elapsed: 10s, execs: 123456 (12345/sec), ..." as it
		# goes and once more when it stops: the last is the count.
		# None when FUZZTIME ran out while go test was still replaying the
		# corpus and the fuzz cache (a busy machine, a large cache): 0, not
		# an abort of the whole run (set -e and pipefail).
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
		execs=${execs:-0}
		rm -f "$log"
		printf '%-26s %-22s %12d\n' "$pkg" "$target" "$execs"
		total=$((total + execs))
	done
done
printf '%-49s %12d\n' 'total' "$total"
if ((${#failed[@]} > 0)); then
	printf 'FAILED: %s\n' "${failed[@]}"
	exit 1
fi
if ((total < FUZZ_MIN_EXECS)); then
	echo "FAILED: $total inputs in all, want at least $FUZZ_MIN_EXECS: a busy machine; run again with a longer FUZZTIME (now $FUZZTIME)"
	exit 1
fi
