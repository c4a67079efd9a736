/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_CONFIG_H
#define UNLOCK_BOOT_CONFIG_H

#include "boot/boot.h"

/*
 * The boot's configuration: the kernel command line (cmdline, or /proc/cmdline when NULL) and the
 * crypttab at crypttab_path unless rd.luks.crypttab=0 says otherwise (a missing file is an empty
 * one). rd.luks.uuid= narrows the volumes to those named. 0, or -errno when the command line
 * cannot be read.
 */
int boot_config_load(struct boot_config *cfg, const char *cmdline, const char *crypttab_path);

#endif
