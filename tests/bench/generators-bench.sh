#!/bin/bash
# make bench, generator part: what unlock's integration costs the generators distributions run.
# Debian's mkinitramfs with cryptsetup-initramfs against mkinitramfs with unlock's hook, and dracut
# with its crypt module against dracut with 90unlock in its place; the same crypttab (one LUKS2
# volume, marked initramfs) and the same kernel, generic images, BUILDS builds each, alternating.
# Reports median build time and image size, side by side, and the ratios.
set -eu
cd "$(dirname "$0")/../.."
BUILDS=${BUILDS:-3}
KVER=$(qemu/kver.sh)
WORK=$(mktemp -d /var/tmp/unlock-genbench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
umask 0077
export UNLOCK_BIN=$PWD/build/unlock UNLOCK_HOOKS=$PWD/hooks UNLOCK_TPM2_HELPER=$PWD/build/unlock-tpm2

qemu/mkdisk.sh "$WORK/disk" luks2 >/dev/null
echo "root UUID=$(cat "$WORK/disk/luks.uuid") none luks,initramfs" >"$WORK/crypttab"
# Private configurations: /etc with this crypttab, one copy with unlock's hook and one without;
# dracut's module tree with 90unlock added.
cp -a /etc "$WORK/etc-crypt"
cp "$WORK/crypttab" "$WORK/etc-crypt/crypttab"
cp -a "$WORK/etc-crypt" "$WORK/etc-unlock"
mkdir -p "$WORK/etc-unlock/initramfs-tools/hooks" "$WORK/etc-unlock/initramfs-tools/scripts/local-top"
cp initramfs-tools/hooks/unlock "$WORK/etc-unlock/initramfs-tools/hooks/"
cp initramfs-tools/scripts/local-top/unlock "$WORK/etc-unlock/initramfs-tools/scripts/local-top/"
cp -a /usr/lib/dracut "$WORK/dracut"
cp -r dracut/90unlock "$WORK/dracut/modules.d/"

CONFIGS=(initramfs-tools initramfs-tools+unlock dracut dracut+unlock)
# shellcheck disable=SC2016 # expanded by the inner shell
build() { # CONFIG OUTPUT
	local etc=$WORK/etc-crypt dracut_args=(--add crypt)
	case $1 in *+unlock) etc=$WORK/etc-unlock dracut_args=(--add unlock --omit crypt) ;; esac
	case $1 in
	initramfs-tools*) unshare -m sh -c 'mount --bind "$0" /etc && exec mkinitramfs -o "$1" "$2"' "$etc" "$2" "$KVER" ;;
	dracut*) dracutbasedir=$WORK/dracut unshare -m sh -c 'mount --bind "$0" /etc && exec dracut "$@"' "$etc" \
		-q --no-hostonly "${dracut_args[@]}" --kver "$KVER" -f "$2" ;;
	esac
}
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
declare -A times size
echo "building each image $BUILDS times (alternating)..."
for _ in $(seq "$BUILDS"); do
	for c in "${CONFIGS[@]}"; do
		start=$(now)
		build "$c" "$WORK/$c.img" >"$WORK/build.log" 2>&1 || { echo "bench: building $c failed:" >&2; tail -20 "$WORK/build.log" >&2; exit 1; }
		times[$c]+="$(echo "$start $(now)" | awk '{ print $2 - $1 }') "
	done
done
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
echo
echo "kernel $KVER, generic images, one LUKS2 volume in crypttab; medians of $BUILDS builds"
printf '%-24s%26s%26s\n' "" "image size (MB)" "build time (s)"
for c in "${CONFIGS[@]}"; do
	size[$c]=$(stat -c %s "$WORK/$c.img")
	printf '%-24s%26.2f%26.2f\n' "$c" "$(awk -v s="${size[$c]}" 'BEGIN { print s / 1e6 }')" "$(med "${times[$c]}")"
done
echo
for gen in initramfs-tools dracut; do
	printf 'ratio %s+unlock / %s: size %s, build time %s\n' "$gen" "$gen" \
		"$(awk -v a="${size[$gen+unlock]}" -v b="${size[$gen]}" 'BEGIN { printf "%.3f", a / b }')" \
		"$(echo "$(med "${times[$gen+unlock]}") $(med "${times[$gen]}")" | awk '{ printf "%.2f", $1 / $2 }')"
done
