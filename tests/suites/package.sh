#!/bin/bash
# The Debian package: dpkg-buildpackage -us -uc -b builds it from a copy of the tree (the committed
# files, with build/deps shared), it installs into a Debian 12 root (build/debian-root, copied) with
# dpkg --root, dpkg -L shows the FHS layout, and its maintainer scripts rebuild the initramfs only
# when a volume needs it: on install, and on removal so that cryptsetup-initramfs takes over again.
# update-initramfs in that root is a stand-in that records its calls (the root has no kernel).
# make install DESTDIR= PREFIX= is checked for another prefix as well.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"

# make install under /usr/local: programs there, the generators' files where they look, and the
# installed scripts pointing at the installed programs.
make -s -C "$TOP" install DESTDIR="$WORK/dest" PREFIX=/usr/local >"$WORK/install.log" 2>&1 ||
	not_ok "package: make install DESTDIR PREFIX=/usr/local" "$(tail -5 "$WORK/install.log")"
check_eq "package: make install puts every file in its FHS place" "$(printf '%s\n' \
	/usr/lib/dracut/modules.d/90unlock/module-setup.sh /usr/lib/dracut/modules.d/90unlock/unlock-boot.sh \
	/usr/lib/dracut/modules.d/90unlock/unlock.service /usr/local/lib/unlock/hooks/unlock-files.sh \
	/usr/local/lib/unlock/lvm.static /usr/local/lib/unlock/unlock-enroll /usr/local/lib/unlock/unlock-pkcs11 \
	/usr/local/lib/unlock/unlock-rebuild \
	/usr/local/lib/unlock/unlock-tpm2 \
	/usr/local/sbin/unlock /usr/local/sbin/unlock-mkinitrd /usr/local/share/doc/unlock/unlock-check.schema.json \
	/usr/local/share/man/man7/unlock-boot.7 /usr/local/share/man/man8/unlock-mkinitrd.8 \
	/usr/local/share/man/man8/unlock.8 /usr/share/initramfs-tools/hooks/unlock \
	/usr/share/initramfs-tools/scripts/local-top/unlock)" "$(cd "$WORK/dest" && find . -type f | sed 's|^\.||' | sort)"
check_eq "package: the installed hook and unlock-mkinitrd use the installed paths" \
	"UNLOCK_BIN=\${UNLOCK_BIN:-/usr/local/sbin/unlock}|UNLOCK_BIN=\${UNLOCK_BIN:-/usr/local/sbin/unlock}|HOOKS=/usr/local/lib/unlock/hooks" \
	"$(grep -ho 'UNLOCK_BIN=${UNLOCK_BIN:-/[^}]*}' "$WORK/dest/usr/share/initramfs-tools/hooks/unlock" \
		"$WORK/dest/usr/local/sbin/unlock-mkinitrd" | tr '\n' '|')$(grep -o '^	HOOKS=/.*' "$WORK/dest/usr/local/sbin/unlock-mkinitrd" | tr -d '\t')"
if "$WORK/dest/usr/local/sbin/unlock" enroll --help 2>&1 | grep -q 'Usage'; then
	ok "package: unlock under /usr/local finds its programs in /usr/local/lib/unlock"
else
	not_ok "package: unlock under /usr/local finds its programs in /usr/local/lib/unlock" \
		"$("$WORK/dest/usr/local/sbin/unlock" enroll --help 2>&1 | head -3)"
fi

# The package, from the committed files.
mkdir -p "$WORK/src/unlock/build"
git -C "$TOP" ls-files -z | (cd "$TOP" && cpio -0 -pdm --quiet "$WORK/src/unlock")
ln -s "$TOP/build/deps" "$WORK/src/unlock/build/deps"
if (cd "$WORK/src/unlock" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
	ok "package: dpkg-buildpackage -us -uc -b builds it"
else
	not_ok "package: dpkg-buildpackage -us -uc -b builds it" "$(tail -8 "$WORK/build.log")"
	exit 0
fi
DEB=$(ls "$WORK"/src/unlock_*_amd64.deb)
depends_on package "$DEB" libcryptsetup12 libjson-c5 libp11-kit0
# the TPM2 helper is static and unlock-enroll links the same tpm2-tss archive
depends_not_on package "$DEB" 'libtss2|libmbed' 

"$TOP/qemu/debian-root.sh" "$TOP/build/debian-root" >/dev/null 2>&1 ||
	{ not_ok "package: a Debian 12 root made by debootstrap" "see $TOP/build/debian-root.log"; exit 0; }
ROOT=$WORK/root
cp -a "$TOP/build/debian-root" "$ROOT"
mkdir -p "$ROOT/usr/share/initramfs-tools/hooks" "$ROOT/etc/initramfs-tools/conf.d"
cat >"$ROOT/usr/sbin/update-initramfs" <<'EOF'
#!/bin/sh
echo "update-initramfs $*" >>/var/log/update-initramfs.calls
EOF
chmod 0755 "$ROOT/usr/sbin/update-initramfs"
: >"$ROOT/etc/crypttab"
calls() { cat "$ROOT/var/log/update-initramfs.calls" 2>/dev/null | wc -l; }
dpkg_root() { dpkg --root="$ROOT" --force-depends "$@" >>"$WORK/dpkg.log" 2>&1; }

if dpkg_root -i "$DEB"; then ok "package: dpkg --root installs it"; else not_ok "package: dpkg --root installs it" "$(tail -5 "$WORK/dpkg.log")"; fi
check_eq "package: with no encrypted volume the initramfs is not rebuilt" 0 "$(calls)"
listed=$(dpkg --root="$ROOT" -L unlock)
for f in /usr/sbin/unlock /usr/sbin/unlock-mkinitrd /usr/lib/unlock/unlock-tpm2 /usr/lib/unlock/unlock-pkcs11 \
	/usr/lib/unlock/unlock-enroll /usr/lib/unlock/unlock-rebuild /lib/systemd/system/unlock-pcrlock.path \
	/lib/systemd/system/unlock-pcrlock.service /usr/lib/unlock/hooks/unlock-files.sh /usr/lib/dracut/modules.d/90unlock/module-setup.sh \
	/usr/share/initramfs-tools/hooks/unlock /usr/share/initramfs-tools/scripts/local-top/unlock \
	/usr/share/man/man8/unlock.8.gz /usr/share/man/man7/unlock-boot.7.gz /usr/share/doc/unlock/unlock-check.schema.json; do
	if grep -qx "$f" <<<"$listed" && [ -e "$ROOT$f" ]; then ok "package: dpkg -L: $f"; else not_ok "package: dpkg -L: $f"; fi
done
# systemd-pcrlock make-policy's new prediction rebuilds the images that carry it.
if systemd-analyze verify --man=no "$ROOT/lib/systemd/system/unlock-pcrlock.path" >"$WORK/verify.log" 2>&1 &&
	grep -qx 'PathChanged=/var/lib/systemd/pcrlock.json' "$ROOT/lib/systemd/system/unlock-pcrlock.path" &&
	[ -L "$ROOT/etc/systemd/system/paths.target.wants/unlock-pcrlock.path" ]; then
	ok "package: unlock-pcrlock.path watches systemd-pcrlock's prediction, enabled, and systemd-analyze verify accepts it"
else
	not_ok "package: unlock-pcrlock.path watches systemd-pcrlock's prediction, enabled, and systemd-analyze verify accepts it" \
		"$(cat "$WORK/verify.log")" "$(ls -la "$ROOT/etc/systemd/system/paths.target.wants" 2>&1)"
fi
echo "root UUID=4c0c2b1e-5a55-4d3e-9a77-2f60c0f1e001 none luks" >"$ROOT/etc/crypttab"
dpkg_root -i "$DEB"
check_eq "package: with an encrypted volume the install rebuilds the initramfs once" "1|update-initramfs -u" \
	"$(calls)|$(tail -n1 "$ROOT/var/log/update-initramfs.calls")"
echo "UNLOCK=n" >"$ROOT/etc/initramfs-tools/conf.d/unlock"
dpkg_root -i "$DEB"
check_eq "package: with UNLOCK=n the initramfs is not rebuilt" 1 "$(calls)"
rm -f "$ROOT/etc/initramfs-tools/conf.d/unlock"
if dpkg_root -r unlock; then ok "package: dpkg --root removes it"; else not_ok "package: dpkg --root removes it" "$(tail -5 "$WORK/dpkg.log")"; fi
check_eq "package: removing it rebuilds the initramfs for cryptsetup-initramfs" 2 "$(calls)"
check_eq "package: removed, none of its files is left" "" \
	"$(cd "$ROOT" && ls -d usr/sbin/unlock usr/lib/unlock usr/lib/dracut/modules.d/90unlock usr/share/initramfs-tools/hooks/unlock 2>/dev/null)"
