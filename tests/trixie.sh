# shellcheck shell=bash
# For the Debian 13 suites (build_trixie.sh, guest_trixie.sh): where the Debian 13 trees are, and
# how a command runs inside one. Sourced after tests/lib.sh.
# shellcheck disable=SC2034 # read by the suites
BUILD=$TOP/build/trixie-build BASE=$TOP/build/trixie-root

# trixie_system_folder LABEL PREFIX: the Debian 13 system (made by debootstrap once; the suite ends
# with a failure when it cannot be), and a folder of the suite's in it: T on this host, $inside as
# its chroot sees it, removed with WORK when the suite exits.
trixie_system_folder() {
	if ! "$TOP/qemu/debian-root.sh" "$BASE" trixie; then
		not_ok "$1: a Debian 13 system made by debootstrap" "see $BASE.log"
		exit 0
	fi
	mkdir -p "$BASE/tmp"
	T=$(mktemp -d "$BASE/tmp/$2.XXXXXX")
	inside=${T#"$BASE"}
	# shellcheck disable=SC2064 # T is fixed now
	trap "kill \$(cat '$WORK'/*.pid 2>/dev/null) 2>/dev/null; rm -rf '$T' '$WORK'" EXIT
}

# in_chroot ROOT COMMAND...: COMMAND inside ROOT with /proc, /sys, /dev and a /run of its own, in a
# mount namespace of its own (nothing stays mounted afterwards); the host's module cache is not
# passed in (its path means nothing there).
# shellcheck disable=SC2016 # expanded by the namespace's shell
in_chroot() {
	unshare -m --propagation private sh -c 'r=$1; shift
		mount -t proc proc "$r/proc" && mount --rbind /sys "$r/sys" && mount --rbind /dev "$r/dev" &&
		mount -t tmpfs run "$r/run" && exec env -u UNLOCK_MODULE_CACHE chroot "$r" "$@"' in_chroot "$@"
}
