#!/bin/bash
# shellcheck disable=SC2016 # expanded inside the chroot
# Debian 13 builds unlock as its users would: inside a Debian 13 root (build/trixie-build, made by
# debootstrap with what debian/control's Build-Depends name), make fetches Debian 13's own lvm2
# and kmod sources (and tpm2-tss's, the same on both) and builds the static libraries from them, the
# static TPM2 helper built there runs on this host, the unit tests run there, and
# dpkg-buildpackage makes the Debian 13 package that tests/suites/guest_trixie.sh installs and
# boots. make check runs this suite in the background from its start (tests/run-all.sh).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../trixie.sh
source "$TOP/tests/trixie.sh"

if ! "$TOP/qemu/debian-root.sh" "$BUILD" trixie-build; then
	not_ok "trixie: a Debian 13 build root made by debootstrap" "see $BUILD.log"
	exit 0
fi
src=$BUILD/src/unlock
rm -rf "$src" "$BUILD"/src/unlock_*
mkdir -p "$src/build" "$BUILD/src/deps"
git -C "$TOP" ls-files -z | (cd "$TOP" && cpio -0 -pdm --quiet "$src")
# build/deps (the libraries built from Debian 13's sources) is kept between runs, outside the tree.
ln -s ../../deps "$src/build/deps"
units=$(cd "$src" && find tests/unit -name 'test_*.c' | sed 's|tests/unit/\(.*\)\.c|build/unit/\1|' | sort | tr '\n' ' ')
if in_chroot "$BUILD" sh -c "cd /src/unlock && apt-get build-dep -s ./" >"$WORK/build-dep.log" 2>&1 &&
	grep -q '^0 upgraded, 0 newly installed' "$WORK/build-dep.log"; then
	ok "trixie: debian/control's Build-Depends resolve in Debian 13"
else
	not_ok "trixie: debian/control's Build-Depends resolve in Debian 13" "$(tail -5 "$WORK/build-dep.log")"
fi
# What make check and make demo install with apt (tests/deps.sh) exists in Debian 13 too.
if in_chroot "$BUILD" sh -c 'cd /src/unlock && clang=$(apt-cache policy clang | sed -n "s/.*Candidate: 1:\([0-9]*\).*/\1/p") &&
	apt-get install -s --no-install-recommends $(sh tests/deps.sh --print) "libclang-rt-$clang-dev"' >"$WORK/deps.log" 2>&1; then
	ok "trixie: every package tests/deps.sh installs resolves in Debian 13"
else
	not_ok "trixie: every package tests/deps.sh installs resolves in Debian 13" "$(grep -E '^E:|has no installation candidate|Unable to locate' "$WORK/deps.log" | head -5)"
fi
if in_chroot "$BUILD" sh -c "cd /src/unlock && make -j$(nproc) all $units" >"$WORK/make.log" 2>&1; then
	ok "trixie: make builds unlock, its helpers and the unit tests in Debian 13"
else
	not_ok "trixie: make builds unlock, its helpers and the unit tests in Debian 13" "$(tail -15 "$WORK/make.log")"
	exit 0
fi
for lib in libkmod2 libdevmapper1.02.1; do
	v=$(in_chroot "$BUILD" dpkg-query -W -f='${source:Package} ${source:Version}' "$lib")
	if compgen -G "$BUILD/src/deps/src/${v% *}-*/.unpacked-${v#* }" >/dev/null; then
		ok "trixie: the static $lib is built from Debian 13's source, $v"
	else
		not_ok "trixie: the static $lib is built from Debian 13's source, $v" "$(ls -a "$BUILD"/src/deps/src/*/.unpacked-* 2>&1)"
	fi
done
for p in unlock unlock-tpm2; do
	if file "$src/build/$p" | grep -q 'static-pie linked'; then
		ok "trixie: $p is static"
	else
		not_ok "trixie: $p is static" "$(file "$src/build/$p")"
	fi
done
# The other direction: the static TPM2 helper built in Debian 13 runs unchanged on this host
# (Debian 12), against a software TPM, on a token of this host's systemd-cryptenroll.
mkdir -p "$WORK/tpm"
if swtpm_tcp_start "$WORK/tpm" "$WORK/swtpm.pid"; then
	tcti=swtpm:host=127.0.0.1,port=$SWTPM_PORT
	head -c 64 /dev/urandom >"$WORK/vk"
	secret_image "$WORK/tpm.img"
	PASSWORD=secret systemd-cryptenroll --tpm2-device="$tcti" --tpm2-pcrs= "$WORK/tpm.img" >/dev/null 2>&1
	check_eq "trixie: the static unlock-tpm2 built in Debian 13 runs unchanged on this host and gives the volume key" \
		"$(hex_of "$WORK/vk")" "$("$src/build/unlock" open --tpm2-device "$tcti" --token-only --dump-volume-key "$WORK/tpm.img" </dev/null 2>/dev/null)"
	tpm_stop "$(cat "$WORK/swtpm.pid")"
else
	not_ok "trixie: swtpm started"
fi
for t in $units; do
	if in_chroot "$BUILD" sh -c "cd /src/unlock && $t" >"$WORK/unit.log" 2>&1; then
		ok "trixie: unit: ${t##*/} passes in Debian 13"
	else
		not_ok "trixie: unit: ${t##*/} passes in Debian 13" "$(grep -E '^not ok|ERROR|Sanitizer' "$WORK/unit.log" | head -5)"
	fi
done
if in_chroot "$BUILD" sh -c 'cd /src/unlock && dpkg-buildpackage -us -uc -b' >"$WORK/deb.log" 2>&1; then
	ok "trixie: dpkg-buildpackage builds the Debian 13 package"
else
	not_ok "trixie: dpkg-buildpackage builds the Debian 13 package" "$(tail -8 "$WORK/deb.log")"
	exit 0
fi
DEB=$(ls "$BUILD"/src/unlock_*_amd64.deb)
depends_on "trixie: the package" "$DEB" libcryptsetup12 libjson-c5 libp11-kit0
depends_not_on "trixie: the package" "$DEB" 'libtss2|libmbed' 
