#!/bin/bash
# Runs every test suite and prints the one closing line "N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/.." || exit 1
log=build/test-results.txt
: >"$log"

# A suite that dies without reporting a failure still counts as one.
run_suite() {
	local name=$1 out rc
	shift
	echo "== $name" | tee -a "$log"
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out" >>"$log"
	# A failure's detail lines ("#   ...") follow it, so a CI log alone says why.
	awk '/^(not ok|skip) /{shown=1; print; next} shown && /^#/{print; next} {shown=0}' "$out"
	if [ "$rc" -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
		echo "not ok - $name exited with code $rc" | tee -a "$log"
		tail -20 "$out"
	fi
	rm -f "$out"
}

for t in build/unit/test_*; do
	[ -x "$t" ] && run_suite "$t" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
done
for s in tests/suites/*.sh; do
	run_suite "$s" bash "$s"
done
FUZZ_SECONDS=${FUZZ_SECONDS:-8} run_suite fuzz tests/fuzz/run.sh

# cmocka's TAP numbers its lines ("ok 1 - name"); the shell suites do not.
passed=$(grep -cE '^ok ' "$log")
failed=$(grep -cE '^not ok ' "$log")
skipped=$(grep -cE '^skip ' "$log")
if [ "$skipped" -gt 0 ]; then
	grep -E '^skip ' "$log"
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
