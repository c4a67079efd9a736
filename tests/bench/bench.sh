#!/bin/bash
# make bench: unlock against cryptsetup open --test-passphrase on the same header files, in one run,
# alternating, ROUNDS rounds each; prints the median wall time of both, the ratio and peak memory.
set -eu
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
UNLOCK=$PWD/build/unlock
WORK=$(mktemp -d /var/tmp/unlock-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

format() { # NAME ARGS...
	local name=$1
	shift
	truncate -s 32M "$WORK/$name.img"
	printf 'bench-pass' | cryptsetup luksFormat -q --type luks2 --key-size 512 "$@" "$WORK/$name.img" -
}

last_keyslot_image() {
	local args=(--pbkdf pbkdf2 --pbkdf-force-iterations 300000)
	format last "${args[@]}"
	for slot in 1 2 3 4 5 6 7; do
		printf 'bench-pass' | cryptsetup luksAddKey -q "${args[@]}" --key-slot "$slot" "$WORK/last.img" \
			<(printf 'other-%s' "$slot") --key-file -
	done
	# The right passphrase ends up only in the last keyslot.
	printf 'bench-pass' | cryptsetup luksChangeKey -q "${args[@]}" --key-slot 0 "$WORK/last.img" <(printf 'other-0') --key-file -
	printf 'other-7' | cryptsetup luksChangeKey -q "${args[@]}" --key-slot 7 "$WORK/last.img" <(printf 'bench-pass') --key-file -
}

# measure CMD...: prints "seconds peak-KiB"
measure() {
	/usr/bin/time -f '%e %M' -o "$WORK/time" "$@" </dev/null >/dev/null 2>"$WORK/stderr" || {
		echo "bench: command failed: $* ($(cat "$WORK/stderr"))" >&2
		exit 1
	}
	cat "$WORK/time"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

run_case() { # LABEL IMAGE
	local label=$1 img=$2 ours=() theirs=() mem_ours=0 mem_theirs=0 t m
	printf 'bench-pass' >"$WORK/pass"
	for _ in $(seq "$ROUNDS"); do
		read -r t m < <(measure "$UNLOCK" open --test-passphrase --key-file "$WORK/pass" "$img")
		ours+=("$t"); [ "$m" -gt "$mem_ours" ] && mem_ours=$m
		read -r t m < <(measure cryptsetup open --test-passphrase --key-file "$WORK/pass" "$img")
		theirs+=("$t"); [ "$m" -gt "$mem_theirs" ] && mem_theirs=$m
	done
	local mo mt
	mo=$(printf '%s\n' "${ours[@]}" | median)
	mt=$(printf '%s\n' "${theirs[@]}" | median)
	printf '%-34s unlock %6.2fs  cryptsetup %6.2fs  ratio %.2f   peak memory %5d MiB vs %5d MiB\n' \
		"$label" "$mo" "$mt" "$(echo "$mo $mt" | awk '{print $1 / $2}')" $((mem_ours / 1024)) $((mem_theirs / 1024))
}

echo "preparing images (cryptsetup luksFormat)..."
format argon2id --pbkdf argon2id --pbkdf-memory 1048576 --pbkdf-parallel 4 --pbkdf-force-iterations 4
format argon2i --pbkdf argon2i --pbkdf-memory 1048576 --pbkdf-parallel 4 --pbkdf-force-iterations 4
format pbkdf2 --pbkdf pbkdf2 --hash sha256 --pbkdf-force-iterations 1000000
last_keyslot_image
echo "median of $ROUNDS alternating rounds on $(nproc) cores; ratio = unlock / cryptsetup (below 1.00: unlock is faster)"
run_case "Argon2id 1 GiB, 4 lanes, t=4" "$WORK/argon2id.img"
run_case "Argon2i 1 GiB, 4 lanes, t=4" "$WORK/argon2i.img"
run_case "PBKDF2-sha256, 10^6 iterations" "$WORK/pbkdf2.img"
run_case "right passphrase in keyslot 7 of 8" "$WORK/last.img"
