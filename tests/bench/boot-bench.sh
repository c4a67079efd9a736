#!/bin/bash
# make bench, boot part: the same kernel, disk, key file and crypttab booted under OVMF through three
# initramfs images, alternating, BOOTS boots each: unlock-mkinitrd, Debian's initramfs-tools with
# cryptsetup-initramfs, and dracut with its crypt module. All three are generic (no host-only
# trimming), all unlock keyslot 1 with the same key file (PBKDF2, 1000 iterations), so the KDF costs
# the same and next to nothing: the numbers measure the initramfs itself.
# Reports medians of: kernel start to the real init (the disk's init prints /proc/uptime), the part
# of it after the kernel ran /init, memory in use when the real init starts, image size and build time;
# and the smallest guest RAM each image boots with.
set -eu
cd "$(dirname "$0")/../.."
BOOTS=${BOOTS:-5}
BUILDS=${BUILDS:-3}
TOOLS=(unlock initramfs-tools dracut)

need=()
command -v dracut >/dev/null || need+=(dracut-core)
[ -x /usr/share/initramfs-tools/hooks/cryptroot ] || need+=(cryptsetup-initramfs)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing the peers: ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

KVER=$(qemu/kver.sh)
WORK=$(mktemp -d /var/tmp/unlock-bootbench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
umask 0077

echo "preparing the disk (cryptsetup luksFormat) and the crypttab..."
qemu/mkdisk.sh "$WORK/disk" luks2 >/dev/null
mkdir -p "$WORK/keys"
cp "$WORK/disk/keyfile" "$WORK/keys/root.key"
echo "root UUID=$(cat "$WORK/disk/luks.uuid") $WORK/keys/root.key luks,key-slot=1,initramfs" >"$WORK/crypttab"

# initramfs-tools reads /etc: give it a private copy with our crypttab, seen through a mount namespace,
# so the host's configuration is left alone.
cp -a /etc "$WORK/etc"
cp "$WORK/crypttab" "$WORK/etc/crypttab"
echo "KEYFILE_PATTERN=\"$WORK/keys/*.key\"" >>"$WORK/etc/cryptsetup-initramfs/conf-hook"
echo "UMASK=0077" >>"$WORK/etc/initramfs-tools/initramfs.conf"

# The same for host-only images (initramfs-tools' MODULES=dep): built and measured, not booted.
cp -a "$WORK/etc" "$WORK/etc-dep"
sed -i 's/^MODULES=.*/MODULES=dep/' "$WORK/etc-dep/initramfs-tools/initramfs.conf"

build() { # TOOL OUTPUT [host-only]
	local generic=--generic etc=$WORK/etc dracut_mode=--no-hostonly
	if [ "${3:-}" = host-only ]; then generic="" etc=$WORK/etc-dep dracut_mode=--hostonly; fi
	case $1 in
	unlock) build/unlock-mkinitrd -o "$2" --kver "$KVER" --crypttab "$WORK/crypttab" $generic ;;
	initramfs-tools)
		# shellcheck disable=SC2016 # expanded by the inner shell
		unshare -m sh -c 'mount --bind "$1" /etc && exec mkinitramfs -o "$2" "$3"' sh "$etc" "$2" "$KVER" ;;
	dracut)
		dracut -q "$dracut_mode" --add crypt --include "$WORK/crypttab" /etc/crypttab \
			--include "$WORK/keys/root.key" "$WORK/keys/root.key" --kver "$KVER" -f "$2" ;;
	esac
}

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
declare -A build_times size total after_init memory host_build_times host_size

# time_builds KIND SUFFIX TIMES SIZES: each tool's image built BUILDS times, alternating.
time_builds() {
	local kind=$1 suffix=$2 tool start
	local -n times=$3 sizes=$4
	echo "building each $kind image $BUILDS times (alternating)..."
	for _ in $(seq "$BUILDS"); do
		for tool in "${TOOLS[@]}"; do
			start=$(now)
			build "$tool" "$WORK/$tool$suffix.img" "$kind" >"$WORK/build.log" 2>&1 || {
				echo "bench: building the $kind $tool image failed:" >&2
				cat "$WORK/build.log" >&2
				exit 1
			}
			times[$tool]+="$(echo "$start $(now)" | awk '{print $2 - $1}') "
		done
	done
	for tool in "${TOOLS[@]}"; do sizes[$tool]=$(stat -c %s "$WORK/$tool$suffix.img"); done
}
time_builds generic "" build_times size
time_builds host-only -host host_build_times host_size
# What TPM2 support costs a generic image (the static helper: tpm2-tss, mbedTLS, its own libc), and
# issue 28's targets for it: at most 0.6 MB, and at most 5.0 MB for the generic image with it.
build/unlock-mkinitrd -o "$WORK/unlock-notpm2.img" --kver "$KVER" --crypttab "$WORK/crypttab" --generic --no-tpm2
tpm2_cost="generic unlock image: $(awk -v a="${size[unlock]}" -v b="$(stat -c %s "$WORK/unlock-notpm2.img")" \
	'BEGIN { printf "%.2f MB with TPM2 support (target 5.00: %s), %.2f MB with --no-tpm2: TPM2 support costs %.2f MB (target 0.60: %s)",
		a / 1e6, a <= 5e6 ? "met" : "missed", b / 1e6, (a - b) / 1e6, a - b <= 0.6e6 ? "met" : "missed" }')"
# What PKCS#11 support costs it, asked for as a smart card user would (OpenSC's module, with pcscd
# and the reader drivers it brings) and with a module that needs no daemon (SoftHSM2's).
pkcs11_cost=""
for module in opensc-pkcs11 softhsm2; do
	[ -f "/usr/share/p11-kit/modules/$module.module" ] || continue
	build/unlock-mkinitrd -o "$WORK/unlock-$module.img" --kver "$KVER" --crypttab "$WORK/crypttab" --generic \
		--pkcs11-module "/usr/share/p11-kit/modules/$module.module" 2>/dev/null
	pkcs11_cost="$pkcs11_cost$(awk -v a="$(stat -c %s "$WORK/unlock-$module.img")" -v b="${size[unlock]}" -v m="$module" \
		'BEGIN { printf "generic unlock image: PKCS#11 support with %s costs %.2f MB (%.2f MB against %.2f MB)\n", m, (a - b) / 1e6, a / 1e6, b / 1e6 }')"
done

echo "booting each image $BOOTS times (alternating, OVMF, software emulation)..."
for round in $(seq "$BOOTS"); do
	for tool in "${TOOLS[@]}"; do
		log=$WORK/$tool-$round.log
		python3 qemu/boot.py --log "$log" --timeout 300 --step "expect:UNLOCK-MARKER end" -- \
			qemu/run-vm.sh "$WORK/$tool.img" "$WORK/disk/disk.img" "root=/dev/mapper/root" 2>"$WORK/boot.err" || {
			echo "bench: the $tool image did not boot to the disk's init ($(cat "$WORK/boot.err")); console log:" >&2
			tail -30 "$log" >&2
			exit 1
		}
		init_at=$(grep -a -m1 'Run /init as init process' "$log" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
		up=$(grep -a -m1 -o 'UNLOCK-MARKER pid=.*' "$log" | sed 's/.* uptime=\([0-9.]*\).*/\1/')
		mem=$(grep -a -m1 -o 'UNLOCK-MARKER pid=.*' "$log" | sed 's/.* memused=\([0-9]*\).*/\1/')
		total[$tool]+="$up "
		after_init[$tool]+="$(echo "$init_at $up" | awk '{print $2 - $1}') "
		memory[$tool]+="$mem "
	done
done

# rd.debug: when unlock's main began, after the kernel's "Run /init" (the program's own start).
start_to_main=""
for round in $(seq "$BOOTS"); do
	log=$WORK/debug-$round.log
	python3 qemu/boot.py --log "$log" --timeout 300 --step "expect:UNLOCK-MARKER end" -- \
		qemu/run-vm.sh "$WORK/unlock.img" "$WORK/disk/disk.img" "root=/dev/mapper/root rd.debug" 2>/dev/null || continue
	init_at=$(grep -a -m1 'Run /init as init process' "$log" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
	main_at=$(grep -a -m1 -o 'main began at [0-9.]*' "$log" | awk '{ print $4 }')
	[ -n "$main_at" ] && start_to_main+="$(echo "$init_at $main_at" | awk '{ printf "%.0f", ($2 - $1) * 1000 }') "
done

# Peak memory, as the smallest guest RAM (16 MiB steps) with which an image still reaches the real
# init: firmware and kernel need the same for all, the rest is the initramfs (the image, its
# unpacked files, what runs from it). 128 MiB is too little for OVMF itself; 1024 MiB boots.
boots_with() { # TOOL MiB
	python3 qemu/boot.py --log "$WORK/ram.log" --timeout 120 --step "expect:UNLOCK-MARKER end" -- \
		qemu/run-vm.sh "$WORK/$1.img" "$WORK/disk/disk.img" "root=/dev/mapper/root" -m "$2" >/dev/null 2>&1
}
declare -A min_ram
echo "finding the smallest RAM each image boots with (bisection, 16 MiB steps)..."
for tool in "${TOOLS[@]}"; do
	lo=128 hi=1024
	while [ $((hi - lo)) -gt 16 ]; do
		mid=$(((lo + hi) / 32 * 16))
		if boots_with "$tool" "$mid"; then hi=$mid; else lo=$mid; fi
	done
	min_ram[$tool]=$hi
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
row() { # LABEL FORMAT ARRAY-NAME
	local -n values=$3
	printf '%-38s' "$1"
	# shellcheck disable=SC2059 # the format is the row's own
	for tool in "${TOOLS[@]}"; do printf "%18s" "$(printf "$2" "$(med "${values[$tool]}")")"; done
	printf '\n'
}
declare -A memory_mib size_mb
# shellcheck disable=SC2034 # read through row's name reference
for tool in "${TOOLS[@]}"; do
	memory_mib[$tool]=$(tr ' ' '\n' <<<"${memory[$tool]}" | awk 'NF { printf "%.1f ", $1 / 1024 }')
	size_mb[$tool]=$(awk -v s="${size[$tool]}" 'BEGIN { print s / 1e6 }')
done
ratio() { # ARRAY-NAME TOOL: the peer's median over ours
	local -n values=$1
	echo "$(med "${values[$2]}") $(med "${values[unlock]}")" | awk '{ printf "%.2f", $1 / $2 }'
}

echo
echo "kernel $KVER, q35 + OVMF under TCG, 2 vCPUs, 1 GiB; medians of $BOOTS boots and $BUILDS builds"
printf '%-38s%18s%18s%18s\n' "" "${TOOLS[@]}"
row "kernel start to real init (s)" '%.2f' total
row "  after the kernel ran /init (s)" '%.2f' after_init
row "memory in use at real init (MiB)" '%.1f' memory_mib
row "smallest RAM that boots (MiB)" '%d' min_ram
row "image size, compressed (MB)" '%.2f' size_mb
row "image build time (s)" '%.2f' build_times
declare -A host_size_mb
# shellcheck disable=SC2034 # read through row's name reference
for tool in "${TOOLS[@]}"; do host_size_mb[$tool]=$(awk -v s="${host_size[$tool]}" 'BEGIN { print s / 1e6 }'); done
row "host-only image size (MB)" '%.2f' host_size_mb
row "host-only image build time (s)" '%.2f' host_build_times
echo
echo "rd.debug: the kernel's \"Run /init\" to unlock's main: $(med "$start_to_main") ms (median; each boot: $start_to_main)"
echo
for peer in initramfs-tools dracut; do
	printf 'ratio %s / unlock: kernel start to real init %s, after /init %s, build time %s, size %s, host-only size %s, smallest RAM %s\n' "$peer" \
		"$(ratio total "$peer")" "$(ratio after_init "$peer")" "$(ratio build_times "$peer")" "$(ratio size_mb "$peer")" \
		"$(ratio host_size_mb "$peer")" "$(ratio min_ram "$peer")"
done

# What each part of our generic image costs: every file compressed alone at the image's level (the
# whole image compresses a little better than the sum).
echo
echo "the generic unlock image, part by part (each file compressed alone with zstd -9, kB; limits: host-only 2500, generic 5000 in all):"
mkdir "$WORK/parts"
(cd "$WORK/parts" && zstd -dc "$WORK/unlock.img" | cpio -id --quiet)
cost() { # FILE...: compressed kB of the files together
	local sum=0 f
	for f in "$@"; do
		case $f in
		*.zst) sum=$((sum + $(stat -c %s "$f"))) ;; # a module compressed on its own already
		*) sum=$((sum + $(zstd -q -9 -c "$f" | wc -c))) ;;
		esac
	done
	echo $((sum / 1000))
}
(
	cd "$WORK/parts"
	printf '  %-44s %6s\n' "/init (unlock, stripped)" "$(cost init)"
	mods=lib/modules/$KVER/kernel
	# shellcheck disable=SC2046 # file lists
	{
		printf '  %-44s %6s\n' "modules: filesystems" "$(cost $(find "$mods/fs" "$mods/lib" -name '*.ko*' 2>/dev/null))"
		printf '  %-44s %6s\n' "modules: dm-crypt and crypto" "$(cost $(find "$mods/drivers/md" "$mods/crypto" "$mods/arch" -name '*.ko*' 2>/dev/null))"
		printf '  %-44s %6s\n' "modules: storage, bus and keyboard drivers" \
			"$(cost $(find "$mods/drivers" -name '*.ko*' ! -path '*/drivers/md/*'))"
		printf '  %-44s %6s\n' "module index, crypttab, key file" "$(cost $(find etc lib/modules -maxdepth 2 -type f))"
		printf '  %-44s %6s\n' "TPM2: unlock-tpm2 (static: tpm2-tss, mbedTLS, libc)" "$(cost usr/lib/unlock/unlock-tpm2)"
	}
)
echo "$tpm2_cost"
printf '%s' "$pkcs11_cost"
