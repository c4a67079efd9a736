#!/bin/sh
# dracut initqueue/settled hook (no systemd in the image): unlock opens the boot's volumes once
# udev has settled, before the root device is waited for. Sourced by dracut's main loop.
if [ ! -e /run/unlock.done ]; then
    : >/run/unlock.done
    /usr/sbin/unlock boot --crypttab /etc/unlock/crypttab ||
        warn "unlock: not every encrypted volume could be opened; dracut goes on waiting for root"
fi
