#!/bin/bash
# TPM2 tokens at boot: OVMF with a software TPM (swtpm behind QEMU's tpm-tis), the token enrolled
# by the real systemd-cryptenroll against the same TPM state. A token with no PCRs boots with no
# console input at all; one bound to PCR 7 values this VM's firmware does not produce falls back
# to the prompt with its reason, and the typed passphrase boots; a helper that crashes or hangs
# leaves PID 1 alive and the prompt up. The other direction: unlock enroll binds a token to the
# PCR 7 value the first boot reported (as an installer enrolls for the next boot); that boot opens
# with it unattended, and in the booted guest Debian's cryptsetup with systemd's token plugin
# (libcryptsetup-token-systemd-tpm2, which only knows kernel TPM devices) opens it too.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
MKINITRD=$TOP/build/unlock-mkinitrd
export TSS2_LOG=all+none

# The guest reports PCRs 7 and 15 and the userspace event log the boot left in /run, and lets
# systemd's own token code try the root volume's tokens.
mkdir -p "$WORK/d/root"
cat >"$WORK/d/root/guest-test" <<'GUEST'
#!/bin/busybox sh
echo "GUEST-TPM2 measure-log=$(tr -d '\036\n' </run/log/systemd/tpm2-measure.log 2>/dev/null)"
mount -t tmpfs run /run 2>/dev/null
echo "GUEST-TPM2 pcr7=$(cat /sys/class/tpm/tpm0/pcr-sha256/7)"
echo "GUEST-TPM2 pcr15=$(cat /sys/class/tpm/tpm0/pcr-sha256/15)"
if cryptsetup open --test-passphrase --token-only /dev/vda </dev/null; then r=opened; else r=failed; fi
echo "GUEST-TPM2 systemd-token=$r"
GUEST
chmod 0755 "$WORK/d/root/guest-test"
# libcryptsetup looks for it under /lib (one tree with /usr/lib on the host, not in the guest)
plugin=/lib/x86_64-linux-gnu/cryptsetup/libcryptsetup-token-systemd-tpm2.so
tss=$(for l in libtss2-esys.so.0 libtss2-mu.so.0 libtss2-rc.so.0 libtss2-tctildr.so.0 libtss2-tcti-device.so.0; do
	ldconfig -p | awk -v l="$l" '$1 == l { print $NF; exit }'
done | tr '\n' ' ')
GUEST_TOOLS="$(command -v cryptsetup) $plugin $tss" FS_MB=64 "$TOP/qemu/mkdisk.sh" "$WORK/d" luks2 >/dev/null
L2=$(cat "$WORK/d/luks.uuid")
FS=$(cat "$WORK/d/fs.uuid")
APPEND="rd.luks.uuid=$L2 root=UUID=$FS"

# Enrollment: the TPM state served over TCP to systemd-cryptenroll, as on the host.
state=$WORK/tpm
mkdir -p "$state"
swtpm_tcp_start "$state" "$WORK/enroll.pid" || not_ok "tpm2: swtpm started"
port=$SWTPM_PORT
enroll() { # DISK PCRS
	cp "$WORK/d/disk.img" "$1"
	PASSWORD="correct horse" systemd-cryptenroll --tpm2-device="swtpm:host=127.0.0.1,port=$port" --tpm2-pcrs="$2" "$1" \
		>"$WORK/enroll.log" 2>&1 || not_ok "tpm2: systemd-cryptenroll --tpm2-pcrs=$2" "$(cat "$WORK/enroll.log")"
	# it leaves a session loaded, and swtpm over TCP (no resource manager) holds only three
	tpm2_flushcontext -T "swtpm:host=127.0.0.1,port=$port" -l >/dev/null 2>&1
}
enroll "$WORK/none.img" ""
enroll "$WORK/pcr7.img" 7
enroll "$WORK/pcr15.img" 15
tpm_stop "$(cat "$WORK/enroll.pid")"
tpm_tcp_start() { swtpm_tcp_start "$state" "$WORK/enroll.pid" "$port"; }

# Helpers that misbehave, static so the image needs nothing more for them.
printf 'int main(void) { *(volatile int *)0 = 1; return 0; }\n' | cc -static -o "$WORK/crash" -x c -
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' | cc -static -o "$WORK/hang" -x c -
"$MKINITRD" -o "$WORK/tpm2.img" --kver "$KVER" --generic
UNLOCK_TPM2_HELPER=$WORK/crash "$MKINITRD" -o "$WORK/crash.img" --kver "$KVER" --generic
UNLOCK_TPM2_HELPER=$WORK/hang "$MKINITRD" -o "$WORK/hang.img" --kver "$KVER" --generic
if zstd -dc "$WORK/tpm2.img" | cpio -t 2>/dev/null | grep -qx usr/lib/unlock/unlock-tpm2; then
	ok "mkinitrd: a generic image carries the TPM2 helper"
else
	not_ok "mkinitrd: a generic image carries the TPM2 helper"
fi

# tpm_boot NAME INITRD DISK APPEND STEP...: one boot with the TPM state behind QEMU's tpm-tis.
tpm_boot() {
	local name=$1 initrd=$2 disk=$3 append=$4 steps=()
	shift 4
	for s in "$@"; do steps+=(--step "$s"); done
	swtpm_vm_start "$state" "$name"
	if python3 "$TOP/qemu/boot.py" --log "$WORK/$name.log" --timeout 150 "${steps[@]}" -- \
		"$TOP/qemu/run-vm.sh" "$initrd" "$disk" "$append" "${TPM_ARGS[@]}" 2>"$WORK/$name.err"; then
		ok "boot: $name"
	else
		not_ok "boot: $name" "$(cat "$WORK/$name.err")" "$(grep -aE 'unlock|UNLOCK|Passphrase|TPM2|Kernel panic' "$WORK/$name.log" | tail -8)"
	fi
	tpm_stop "$(cat "$WORK/$name.pid" 2>/dev/null)"
}
seen() { console_text "$WORK/$1.log" | grep -aF -e "$2" >/dev/null; }

tpm_boot tpm2-unattended "$WORK/tpm2.img" "$WORK/none.img" "$APPEND" \
	"expect:opened with TPM2 token 0" "expect:UNLOCK-MARKER pid=1 root=/dev/dm-0" "expect:UNLOCK-MARKER end"
if ! seen tpm2-unattended "Passphrase for"; then ok "tpm2: the token with no PCRs boots with no question asked"
else not_ok "tpm2: the token with no PCRs boots with no question asked" "$(grep -a Passphrase "$WORK/tpm2-unattended.log")"; fi

if seen tpm2-unattended "GUEST-TPM2 systemd-token=opened"; then
	ok "tpm2: systemd's token plugin in the guest opens systemd-cryptenroll's token (the harness works)"
else
	not_ok "tpm2: systemd's token plugin in the guest opens systemd-cryptenroll's token (the harness works)" "$(grep -a GUEST-TPM2 "$WORK/tpm2-unattended.log")"
fi

# An installer's enrollment for the next boot: PCR 7 as the firmware will leave it, not as it is now.
pcr7=$(console_text "$WORK/tpm2-unattended.log" | sed -n 's/.*GUEST-TPM2 pcr7=\([0-9A-Fa-f]\{64\}\).*/\1/p' | head -n1)
cp "$WORK/d/disk.img" "$WORK/ours.img"
tpm_tcp_start
if printf 'correct horse\n' | "$TOP/build/unlock" enroll --tpm2-device "swtpm:host=127.0.0.1,port=$port" \
	--tpm2-pcrs "7:sha256=$pcr7" "$WORK/ours.img" >"$WORK/ours.log" 2>&1; then
	ok "enroll: unlock enroll binds a token to the PCR 7 value the guest reported (${pcr7:0:16}...)"
else
	not_ok "enroll: unlock enroll binds a token to the PCR 7 value the guest reported" "pcr7=$pcr7" "$(cat "$WORK/ours.log")"
fi
tpm_stop "$(cat "$WORK/enroll.pid")"
tpm_boot tpm2-enrolled-by-unlock "$WORK/tpm2.img" "$WORK/ours.img" "$APPEND" \
	"expect:opened with TPM2 token 0" "expect:GUEST-TPM2 systemd-token=" "expect:UNLOCK-MARKER end"
if seen tpm2-enrolled-by-unlock "GUEST-TPM2 systemd-token=opened"; then
	ok "tpm2: systemd's own token code opens the token unlock enrolled"
else
	not_ok "tpm2: systemd's own token code opens the token unlock enrolled" "$(grep -a -e GUEST-TPM2 -e 'Token\|token' "$WORK/tpm2-enrolled-by-unlock.log" | tail -5)"
fi

tpm_boot tpm2-pcr7-mismatch "$WORK/tpm2.img" "$WORK/pcr7.img" "$APPEND" \
	"expect:PCR values differ from those the token was sealed to (it binds PCRs 7 of bank sha256)" \
	"expect:Passphrase for luks-$L2" 'send:correct horse\n' "expect:UNLOCK-MARKER end"

tpm_boot tpm2-helper-crash "$WORK/crash.img" "$WORK/none.img" "$APPEND" \
	"expect:died of signal 11" "expect:Passphrase for luks-$L2" 'send:correct horse\n' "expect:UNLOCK-MARKER end"

tpm_boot tpm2-helper-hang "$WORK/hang.img" "$WORK/none.img" "$APPEND rd.luks.options=token-timeout=3s" \
	"expect:did not answer within 3 s" "expect:Passphrase for luks-$L2" 'send:correct horse\n' "expect:UNLOCK-MARKER end"

# tpm2-measure-pcr=yes: the token bound to PCR 15 as it was (zero) opens the root; unlock then
# extends PCR 15 as systemd-cryptsetup does, so in the system the same token no longer unseals.
tpm_boot tpm2-measure "$WORK/tpm2.img" "$WORK/pcr15.img" "$APPEND rd.luks.options=tpm2-measure-pcr=yes" \
	"expect:opened with TPM2 token 0" "expect:extended PCR 15 with 'cryptsetup:luks-$L2:$L2'" \
	"expect:GUEST-TPM2 systemd-token=" "expect:UNLOCK-MARKER end"
printf 'correct horse' | cryptsetup luksDump --dump-volume-key --volume-key-file "$WORK/pcr15.vk" -q "$WORK/pcr15.img" \
	--key-file - >/dev/null 2>&1
hmac=$(printf 'cryptsetup:luks-%s:%s' "$L2" "$L2" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(hex_of "$WORK/pcr15.vk")" -binary |
	od -An -v -tx1 | tr -d ' \n')
want15=$({ head -c 32 /dev/zero; printf '%s' "$hmac" | xxd -r -p; } | sha256sum | cut -c1-64)
got15=$(console_text "$WORK/tpm2-measure.log" | sed -n 's/.*GUEST-TPM2 pcr15=\([0-9A-Fa-f]\{64\}\).*/\1/p' | head -n1)
check_eq "tpm2: PCR 15 holds systemd's measurement: SHA-256 of zeros and HMAC(volume key, 'cryptsetup:NAME:UUID')" \
	"$want15" "$(echo "$got15" | tr 'A-F' 'a-f')"
if seen tpm2-measure "GUEST-TPM2 systemd-token=failed"; then
	ok "tpm2: after the measurement, the token bound to PCR 15 no longer unseals in the system"
else
	not_ok "tpm2: after the measurement, the token bound to PCR 15 no longer unseals in the system" "$(grep -a GUEST-TPM2 "$WORK/tpm2-measure.log")"
fi
if console_text "$WORK/tpm2-measure.log" | grep -a "GUEST-TPM2 measure-log=" | grep -F "\"string\":\"cryptsetup:luks-$L2:$L2\"" |
	grep -qF '"eventType":"volume-key"'; then
	ok "tpm2: the event is in systemd's userspace event log in /run, which the system inherits"
else
	not_ok "tpm2: the event is in systemd's userspace event log in /run, which the system inherits" \
		"$(console_text "$WORK/tpm2-measure.log" | grep -a "GUEST-TPM2 measure-log=")"
fi
