/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_STACK_H
#define UNLOCK_STACK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Storage stacked over or under the encrypted volumes: LVM logical volumes and MD RAID arrays,
 * activated with lvm2's and mdadm's own tools, as Debian's initramfs hooks do. The image carries
 * a tool only when its volumes may need it.
 */

struct modules;

/* The volume group and logical volume a device name means: /dev/mapper/VG-LV (with dm's "--" for
 * a "-" inside a name) or /dev/VG/LV. False for any other name. */
bool lvm_name_split(const char *spec, char *vg, size_t vg_size, char *lv, size_t lv_size);

/* True when the image has lvm2's or mdadm's tool. */
bool stack_tools_present(void);
/* For a libblkid type: what it is ("LVM physical volume", "MD RAID member"), or NULL if neither;
 * the tool that activates it ("lvm", "mdadm"); and whether the image has that tool. */
const char *stack_member_type(const char *blkid_type);
const char *stack_tool_name(const char *blkid_type);
bool stack_can_assemble(const char *blkid_type);

/*
 * spec is not there (yet): assembles what may bring it, each tool once per new set of its member
 * devices: MD arrays (mdadm --assemble --scan with the image's mdadm.conf, their RAID levels'
 * drivers loaded first; an array still missing a member MD_LAST_RESORT_SEC after the first one
 * appeared is started degraded), then the logical volume spec names (lvchange -aay VG/LV) or,
 * where the name does not say, every volume group (vgchange -aay). What a tool says of a failure
 * goes to the console, naming spec.
 */
void stack_assemble_for(const char *spec, struct modules *m);

/* After spec never appeared: what the storage tools know of it (volume group or logical volume missing). */
void stack_explain_missing(const char *spec);

#endif
