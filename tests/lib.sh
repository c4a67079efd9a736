# shellcheck shell=bash
# Helpers for the shell test suites: each check prints "ok - NAME" or "not ok - NAME".
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UNLOCK=$(realpath "${UNLOCK:-$TOP/build/asan/unlock}")
SHARED=${SHARED:-$TOP/../shared}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The suites build dozens of generic images: each module is compressed once (boot.sh checks that
# an image from the cache is the image built without it, byte for byte).
export UNLOCK_MODULE_CACHE=${UNLOCK_MODULE_CACHE-$TOP/build/module-cache}

WORK=$(mktemp -d /tmp/unlock-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

ok() { echo "ok - $1"; }
not_ok() {
	echo "not ok - $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2" "actual:   $3"; fi
}

# check_exit NAME CODE [STDERR-PATTERN] -- COMMAND...: runs COMMAND, checks exit code and message.
check_exit() {
	local name=$1 want=$2 pattern="" rc
	shift 2
	if [ "$1" != "--" ]; then pattern=$1; shift; fi
	shift
	"$@" >"$WORK/out" 2>"$WORK/err" </dev/null && rc=0 || rc=$?
	if [ "$rc" != "$want" ]; then
		not_ok "$name" "exit code $rc, expected $want" "stderr: $(head -c 600 "$WORK/err")"
	elif grep -q -e "runtime error" -e "AddressSanitizer" "$WORK/err"; then
		not_ok "$name" "sanitizer report: $(head -c 600 "$WORK/err")"
	elif [ -n "$pattern" ] && ! grep -qi -e "$pattern" "$WORK/err"; then
		not_ok "$name" "message does not match '$pattern'" "stderr: $(head -c 600 "$WORK/err")"
	else
		ok "$name"
	fi
}

hex_of() { od -An -tx1 -v "$1" | tr -d ' \n'; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# console_text FILE: a console log with the kernel lines printed inside our lines taken out, as
# qemu/boot.py matches it (a line split by them reads whole again). Callers read to the end (no
# grep -q), so it never writes into a closed pipe.
console_text() {
	PYTHONPATH=$TOP/qemu python3 -c 'import boot, sys; sys.stdout.buffer.write(boot.console_text(open(sys.argv[1], "rb").read()))' "$1"
}

# corpus_needs_afalg NAME: whether one of cryptsetup's luks1-images needs the kernel crypto API
# (whirlpool, lrw, wp256 ESSIV), which Nettle lacks and this host's kernel does not offer.
corpus_needs_afalg() {
	case $1 in *whirlpool* | *-lrw-* | *wp256*) return 0 ;; *) return 1 ;; esac
}

# swtpm_tcp_start STATE-DIR PID-FILE [PORT]: a software TPM 2.0 on loopback, its state in STATE-DIR
# (absolute: the daemon leaves the working directory), on PORT or a random free one; sets SWTPM_PORT.
swtpm_tcp_start() {
	local port=${3:-}
	for _ in 1 2 3 4 5; do
		[ -n "${3:-}" ] || port=$((20000 + RANDOM % 40000))
		if swtpm socket --tpm2 --tpmstate dir="$1" --server type=tcp,port="$port",bindaddr=127.0.0.1 \
			--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear \
			--pid file="$2" --daemon 2>/dev/null; then
			SWTPM_PORT=$port # read by the suites
			export SWTPM_PORT
			return 0
		fi
	done
	return 1
}

# swtpm_vm_start STATE-DIR NAME: a software TPM 2.0 for one boot, its state in STATE-DIR, served to
# QEMU on the socket WORK/NAME.swtpm (its pid in WORK/NAME.pid); sets TPM_ARGS, QEMU's arguments
# for a tpm-tis device on it.
swtpm_vm_start() {
	swtpm socket --tpm2 --tpmstate dir="$1" --ctrl type=unixio,path="$WORK/$2.swtpm" --terminate \
		--pid file="$WORK/$2.pid" --daemon
	# shellcheck disable=SC2034,SC2054 # read by the suites; QEMU's own commas
	TPM_ARGS=(-chardev "socket,id=chrtpm,path=$WORK/$2.swtpm" -tpmdev emulator,id=tpm0,chardev=chrtpm
		-device tpm-tis,tpmdev=tpm0)
}

# tpm_stop PID: swtpm saves its state and exits; the boots reuse it. (Nobody may reap the daemon:
# a zombie counts as stopped.)
tpm_stop() {
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq 100); do
		case $(ps -o stat= -p "$1" 2>/dev/null) in "" | Z*) return 0 ;; esac
		sleep 0.1
	done
}

# depends_on PREFIX DEB PACKAGE...: the Debian package's Depends names each PACKAGE.
depends_on() {
	local prefix=$1 depends
	depends=$(dpkg-deb -f "$2" Depends)
	shift 2
	for lib in "$@"; do
		if grep -qw -- "$lib" <<<"$depends"; then ok "$prefix: depends on $lib"; else not_ok "$prefix: depends on $lib" "$depends"; fi
	done
}
# secret_image IMAGE: a 16 MiB LUKS2 image whose passphrase is "secret" and whose volume key is
# $WORK/vk (the token suites make it), with a fast PBKDF2 keyslot.
secret_image() {
	truncate -s 16M "$1"
	printf secret | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--volume-key-file "$WORK/vk" --key-size 512 "$1" - >/dev/null
}
# depends_not_on PREFIX DEB PATTERN: no dependency of the package matches PATTERN (grep -E).
depends_not_on() {
	local depends
	depends=$(dpkg-deb -f "$2" Depends)
	if ! grep -qE -- "$3" <<<"$depends"; then ok "$1: depends on nothing matching $3"; else not_ok "$1: depends on nothing matching $3" "$depends"; fi
}
