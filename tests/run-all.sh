#!/bin/bash
# Runs every test suite and prints the one closing line "N passed, N failed[, N skipped]".
# Two lanes: the Debian trees debootstrap makes (network and disk, once) and the Debian 13 build
# (tests/suites/build_trixie.sh, a compiler in a chroot) go on in the background from the start,
# while the unit tests and the other suites run in order; the Debian 13 boots come last and wait
# for that build. Each suite's time is in its "== NAME (N s)" line.
set -u
cd "$(dirname "$0")/.." || exit 1
log=build/test-results.txt
: >"$log"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# run_suite NAME COMMAND...: its output into $results/NAME (a suite that dies without reporting a
# failure still counts as one).
run_suite() {
	local name=$1 out rc start
	shift
	out=$results/$(echo "$name" | tr / _)
	start=$(date +%s)
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
		echo "not ok - $name exited with code $rc" >>"$out"
	fi
	sed -i "1i == $name ($(($(date +%s) - start)) s)" "$out"
}

# show NAME: a finished suite into the log; its failures (with their "#   ..." detail lines), so a CI
# log alone says why, on standard output.
show() {
	local out
	out=$results/$(echo "$1" | tr / _)
	cat "$out" >>"$log"
	head -n 1 "$out"
	awk 'NR > 1 && /^(not ok|skip) /{shown=1; print; next} shown && /^#/{print; next} {shown=0}' "$out"
}

background() {
	qemu/debian-root.sh build/debian-root >/dev/null 2>&1
	run_suite tests/suites/build_trixie.sh bash tests/suites/build_trixie.sh
	qemu/debian-root.sh build/trixie-root trixie >/dev/null 2>&1
}
background &
lane=$!

for t in build/unit/test_*; do
	[ -x "$t" ] || continue
	run_suite "$t" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
	show "$t"
done
for s in tests/suites/*.sh; do
	case $s in */build_trixie.sh | */guest_trixie.sh) continue ;; esac
	run_suite "$s" bash "$s"
	show "$s"
done
FUZZ_SECONDS=${FUZZ_SECONDS:-8} run_suite fuzz tests/fuzz/run.sh
show fuzz
wait "$lane"
show tests/suites/build_trixie.sh
run_suite tests/suites/guest_trixie.sh bash tests/suites/guest_trixie.sh
show tests/suites/guest_trixie.sh

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
