#!/bin/bash
# The static build: build/unlock is one static-pie program with the hardening of the dynamic one,
# and an image whose volumes need no storage tool carries no dynamic loader and no shared library.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
BIN=$TOP/build/unlock

readelf -W -h -l -d "$BIN" >"$WORK/elf" 2>&1
check_eq "static: build/unlock is position-independent (ET_DYN)" "DYN" "$(awk '/^ *Type:/ { print $2; exit }' "$WORK/elf")"
check_eq "static: no program interpreter (PT_INTERP)" "0" "$(grep -c 'INTERP' "$WORK/elf")"
check_eq "static: no shared library needed (DT_NEEDED)" "0" "$(grep -c '(NEEDED)' "$WORK/elf")"
check_eq "static: read-only relocations (PT_GNU_RELRO)" "1" "$(grep -c 'GNU_RELRO' "$WORK/elf")"
check_eq "static: bound now (DT_FLAGS BIND_NOW)" "1" "$(grep -c '(FLAGS) *BIND_NOW' "$WORK/elf")"
check_eq "static: a non-executable stack (PT_GNU_STACK RW)" "RW" \
	"$(awk '/GNU_STACK/ { print $(NF - 1) }' "$WORK/elf")"
nm "$BIN" >"$WORK/symbols" 2>/dev/null
if grep -q ' __stack_chk_fail$' "$WORK/symbols"; then ok "static: stack protector"; else not_ok "static: stack protector" "no __stack_chk_fail"; fi
if grep -qE ' __[a-z]+_chk$' "$WORK/symbols"; then ok "static: _FORTIFY_SOURCE checks"; else not_ok "static: _FORTIFY_SOURCE checks" "no __*_chk function"; fi
check_eq "static: no OpenSSL inside (Nettle is the crypto)" "0" "$(grep -c ' OPENSSL_\| EVP_' "$WORK/symbols")"
if "$BIN" --version >"$WORK/version" 2>&1; then
	ok "static: the program runs without a dynamic loader"
else
	not_ok "static: the program runs without a dynamic loader" "$(head -3 "$WORK/version")"
fi

# Images: no loader, no shared object, for host-only and generic alike (TPM2 support, whose helper is
# dynamic, left out; below, what it brings).
for kind in host-only generic; do
	args=()
	[ "$kind" = generic ] && args=(--generic --no-tpm2)
	if ! "$TOP/build/unlock-mkinitrd" -o "$WORK/$kind.img" --kver "$KVER" "${args[@]}" 2>"$WORK/mk.err"; then
		not_ok "static: $kind image built" "$(cat "$WORK/mk.err")"
		continue
	fi
	zstd -dc "$WORK/$kind.img" | cpio -t --quiet >"$WORK/$kind.list" 2>/dev/null
	check_eq "static: $kind image holds no ld-linux*" "" "$(grep -E '(^|/)ld-linux' "$WORK/$kind.list")"
	check_eq "static: $kind image holds no *.so*" "" "$(grep -E '\.so(\.|$)' "$WORK/$kind.list")"
	check_eq "static: $kind image has /init" "init" "$(grep -x 'init' "$WORK/$kind.list")"
done

# TPM2 support: the helper is static too (tpm2-tss built in), so a generic image with it holds no
# shared object either, and the helper has no program interpreter.
if "$TOP/build/unlock-mkinitrd" -o "$WORK/tpm2.img" --kver "$KVER" --generic 2>"$WORK/mk.err"; then
	zstd -dc "$WORK/tpm2.img" | cpio -t --quiet >"$WORK/tpm2.list" 2>/dev/null
	check_eq "static: a generic image carries the TPM2 helper" "usr/lib/unlock/unlock-tpm2" \
		"$(grep -x 'usr/lib/unlock/unlock-tpm2' "$WORK/tpm2.list")"
	check_eq "static: ... and no ld-linux* or *.so*" "" "$(grep -E '(^|/)ld-linux|\.so(\.|$)' "$WORK/tpm2.list")"
else
	not_ok "static: generic image with TPM2 support built" "$(cat "$WORK/mk.err")"
fi
check_eq "static: the TPM2 helper has no program interpreter" "0" "$(readelf -l "$TOP/build/unlock-tpm2" | grep -c INTERP)"

# LVM: lvm2's lvm built static from the same source as libdevmapper, no library with it.
if "$TOP/build/unlock-mkinitrd" -o "$WORK/lvm.img" --kver "$KVER" --tool lvm 2>"$WORK/mk.err"; then
	zstd -dc "$WORK/lvm.img" | cpio -t --quiet >"$WORK/lvm.list" 2>/dev/null
	check_eq "static: an image with lvm carries sbin/lvm" "sbin/lvm" "$(grep -x 'sbin/lvm' "$WORK/lvm.list")"
	check_eq "static: ... and still no ld-linux* or *.so*" "" "$(grep -E '(^|/)ld-linux|\.so(\.|$)' "$WORK/lvm.list")"
	mkdir -p "$WORK/lvm-root"
	(cd "$WORK/lvm-root" && zstd -dc "$WORK/lvm.img" | cpio -id --quiet sbin/lvm 2>/dev/null)
	check_eq "static: that lvm has no program interpreter" "0" "$(readelf -l "$WORK/lvm-root/sbin/lvm" | grep -c INTERP)"
	if "$WORK/lvm-root/sbin/lvm" version 2>/dev/null | grep -q 'LVM version'; then
		ok "static: that lvm runs"
	else
		not_ok "static: that lvm runs" "$("$WORK/lvm-root/sbin/lvm" version 2>&1 | head -3)"
	fi
else
	not_ok "static: an image with lvm built" "$(cat "$WORK/mk.err")"
fi

# A dynamically linked unlock cannot boot from such an image: unlock-mkinitrd says so.
printf 'int main(void) { return 0; }\n' >"$WORK/dyn.c"
cc -o "$WORK/dynamic-unlock" "$WORK/dyn.c"
check_exit "static: unlock-mkinitrd refuses a dynamically linked unlock" 1 "dynamically linked" -- \
	env UNLOCK_BIN="$WORK/dynamic-unlock" "$TOP/build/unlock-mkinitrd" -o "$WORK/dyn.img" --kver "$KVER"
