/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_UDEVDB_H
#define UNLOCK_UDEVDB_H

/*
 * No udev runs in the image, so the real system's udev first meets the device-mapper devices the
 * boot made in its coldplug "add" event. lvm2's dm rules then look in udev's database for what
 * udev's own processing of the device's activation would have recorded, and without it they
 * disable the device (SYSTEMD_READY=0): systemd waits for it for ever. This leaves, for every dm
 * device that has none, the database entry /run/udev/data/b<MAJOR>:<MINOR> with those records:
 * the flags libdevmapper's udev rules import on coldplug (55-dm.rules, 56-lvm.rules), and for an
 * MD array holding an LVM physical volume the mark 69-lvm.rules imports. Called before the switch.
 */
void udevdb_hand_over(void);

#endif
