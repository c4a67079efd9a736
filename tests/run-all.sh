#!/bin/bash
# Runs every test suite and prints the one closing line "N passed, N failed[, N skipped]".
# Two lanes, because a boot under software emulation keeps about one of the two cores busy (vmstat
# showed 40 to 48% idle during the guest suites): the unit tests and most suites run in order in
# one; the other runs the suites in SECOND_LANE (the Debian 13 build before its boots) and the fuzz
# targets, about as long. The Debian trees are made by debootstrap (network, then dpkg) in the
# background from the start, in the order the suites need them; a suite that needs one waits for
# it (debian-root.sh holds a lock per tree). Results are printed per suite, the second lane's at the end. Each suite's
# time is in its "== NAME (N s)" line (one run on 2 cores, 20 min in all, 2026-12-03: boot.sh 581 s,
# guest_debian.sh 385 s, guest_generators.sh 319 s, guest_trixie.sh 270 s, the rest under 125 s
# each).
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

trees() {
	qemu/debian-root.sh build/debian-root
	qemu/debian-root.sh build/trixie-build trixie-build
	qemu/debian-root.sh build/trixie-root trixie
} >/dev/null 2>&1
trees &

# The suites that need no Debian tree first, while the trees are made.
SECOND_LANE="tests/suites/guest_tpm2.sh tests/suites/guest_plain.sh tests/suites/guest_hibernate.sh"
SECOND_LANE="$SECOND_LANE tests/suites/guest_pkcs11.sh tests/suites/guest_generators.sh tests/suites/build_trixie.sh"
SECOND_LANE="$SECOND_LANE tests/suites/guest_trixie.sh tests/suites/pkcs11_trixie.sh tests/suites/tpm2_trixie.sh"
second_lane() {
	for s in $SECOND_LANE; do
		run_suite "$s" bash "$s"
	done
	FUZZ_SECONDS=${FUZZ_SECONDS:-5} run_suite fuzz tests/fuzz/run.sh
}
second_lane &

for t in build/unit/test_*; do
	[ -x "$t" ] || continue
	run_suite "$t" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
	show "$t"
done
for s in tests/suites/*.sh; do
	case " $SECOND_LANE " in *" $s "*) continue ;; esac
	run_suite "$s" bash "$s"
	show "$s"
done
wait # the second lane, and the trees (done by now: its suites waited for them)
for s in $SECOND_LANE fuzz; do
	show "$s"
done

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
