#!/bin/sh
# encrypt-into.sh HEADER DISK PLAINTEXT KEYFILE: writes PLAINTEXT into DISK at the data offset of
# the LUKS header HEADER (the disk itself, or a detached header), encrypted with the volume key in
# KEYFILE (AES-XTS, the header's sector size). The host has no dm-crypt to do it through.
set -eu
header=$1 disk=$2 plain=$3 key=$4
top=$(cd "$(dirname "$0")/.." && pwd)
json=$("$top/build/unlock" inspect --json "$header")
offset=$(echo "$json" | awk -F'[:,]' '/"data_offset"/ { print $2 + 0 }')
sector=$(echo "$json" | awk -F'[:,]' '/"sector_size"/ { print $2 + 0 }')
"$top/build/sector-crypt" encrypt aes-xts-plain64 "$key" "$sector" <"$plain" |
	dd of="$disk" bs=1M seek="$offset" oflag=seek_bytes conv=notrunc status=none
