/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_INIT_H
#define UNLOCK_INIT_H

/* unlock as /init of an initramfs: opens the boot volumes, mounts root and hands over to its init. */
int init_main(int argc, char **argv);

#endif
