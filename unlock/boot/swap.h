/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_SWAP_H
#define UNLOCK_SWAP_H

/* Writes a fresh swap signature (version 1, no label) over the first page of device. */
int swap_format(const char *device);
/* Points the kernel at a hibernation image on device (writes /sys/power/resume). */
int swap_resume_from(const char *device);

#endif
