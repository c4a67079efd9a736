#!/bin/sh
# kver.sh: the newest kernel installed here with both an image in /boot and modules (the test kernel).
set -eu
for v in $(find /lib/modules -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -rV); do
	if [ -f "/boot/vmlinuz-$v" ]; then
		echo "$v"
		exit 0
	fi
done
echo "kver.sh: no kernel with modules installed (apt-get install linux-image-amd64)" >&2
exit 1
