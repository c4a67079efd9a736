#!/bin/bash
# shellcheck disable=SC2154 # dracut sets initdir, moddir, hostonly and the rest
# dracut module: unlock opens the encrypted volumes of dracut's image, in place of dracut's crypt
# module and systemd-cryptsetup. With dracut's systemd the unit unlock.service runs it before
# cryptsetup-pre.target, so a systemd-cryptsetup@ unit for the same volume (from the crypt module,
# if it is in the image too) finds the volume open and does nothing; without systemd an initqueue
# hook runs it once udev has settled. What the image needs comes from unlock's shared install
# logic (hooks/unlock-files.sh), as for unlock-mkinitrd.

unlock_paths() {
    UNLOCK_BIN=${UNLOCK_BIN:-/usr/sbin/unlock}
    UNLOCK_HOOKS=${UNLOCK_HOOKS:-/usr/lib/unlock/hooks}
    UNLOCK_TPM2_HELPER=${UNLOCK_TPM2_HELPER:-/usr/lib/unlock/unlock-tpm2}
    UNLOCK_PKCS11_HELPER=${UNLOCK_PKCS11_HELPER:-/usr/lib/unlock/unlock-pkcs11}
    # shellcheck source-path=SCRIPTDIR source=../../hooks/unlock-files.sh
    . "$UNLOCK_HOOKS/unlock-files.sh"
}

# called by dracut
check() {
    local fs
    unlock_paths
    [[ -x $UNLOCK_BIN ]] || return 1
    # A host-only image carries it when this host has an encrypted volume; a generic one always.
    if [[ $hostonly ]] || [[ $mount_needs ]]; then
        for fs in "${host_fs_types[@]}"; do
            [[ $fs == "crypto_LUKS" ]] && return 0
        done
        [[ -f $dracutsysrootdir/etc/crypttab ]] && grep -qv '^[[:space:]]*\(#\|$\)' "$dracutsysrootdir/etc/crypttab" && return 0
        return 255
    fi
    return 0
}

# called by dracut
depends() {
    echo dm rootfs-block
}

# unlock_image_crypttab: the host's crypttab as the image carries it.
unlock_image_crypttab() {
    [[ -f $dracutsysrootdir/etc/crypttab ]] || return 0
    unlock_crypttab_for_image "$dracutsysrootdir/etc/crypttab" 2> >(sed 's/^unlock-mkinitrd: /dracut: unlock: /' >&2)
}

# called by dracut
installkernel() {
    unlock_paths
    # shellcheck disable=SC2086 # lists
    hostonly='' instmods $UNLOCK_BASE_MODULES
    # shellcheck disable=SC2086
    [[ -x $UNLOCK_TPM2_HELPER ]] && hostonly='' instmods $UNLOCK_TPM2_MODULES
    return 0
}

# called by dracut
install() {
    local key
    unlock_paths
    inst_simple "$UNLOCK_BIN" /usr/sbin/unlock
    mkdir -p "$initdir/etc/unlock"
    unlock_image_crypttab >"$initdir/etc/unlock/crypttab"
    for key in $(unlock_crypttab_files "$initdir/etc/unlock/crypttab"); do
        inst_simple "$key" "$key" && chmod 0400 "$initdir$key"
    done
    # shellcheck disable=SC2086
    [[ -z $(unlock_key_and_header_devices "$initdir/etc/unlock/crypttab") ]] || hostonly='' instmods $UNLOCK_KEY_DEVICE_MODULES
    if unlock_tpm2_helper_usable "$UNLOCK_TPM2_HELPER" 2>/dev/null; then
        inst_binary "$UNLOCK_TPM2_HELPER" /usr/lib/unlock/unlock-tpm2
        unlock_pcrlock_files "$initdir/etc/unlock/crypttab" | while read -r src dest; do inst_simple "$src" "$dest"; done
    fi
    # PKCS#11 only for a volume that can use it: no module fits every token (unlock-mkinitrd(8)).
    if [[ -x $UNLOCK_PKCS11_HELPER ]] && unlock_crypttab_wants_pkcs11 "$initdir/etc/unlock/crypttab" "$UNLOCK_BIN"; then
        inst_binary "$UNLOCK_PKCS11_HELPER" /usr/lib/unlock/unlock-pkcs11
        for f in $(unlock_pkcs11_module_files); do
            case $f in
                *.module | *.conf) inst_simple "$f" ;;
                *) inst_library "$f" ;;
            esac
        done
    fi
    if dracut_module_included "systemd"; then
        inst_simple "$moddir/unlock.service" "$systemdsystemunitdir/unlock.service"
        $SYSTEMCTL -q --root "$initdir" add-wants initrd-root-device.target unlock.service
    else
        inst_hook initqueue/settled 10 "$moddir/unlock-boot.sh"
    fi
    dracut_need_initqueue
}
