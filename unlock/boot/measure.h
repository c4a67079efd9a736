/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_MEASURE_H
#define UNLOCK_BOOT_MEASURE_H

/*
 * tpm2-measure-pcr=: once a volume is open, its PCR (15 for yes) is extended as systemd-cryptsetup
 * extends it: in each bank, the HMAC keyed with the volume key of "cryptsetup:NAME:UUID" (NAME with
 * ':', '\' and unprintable bytes escaped as \xNN). The HMACs are made here; only they go to the TPM2
 * helper, never the key. A TPM policy that binds the PCR's value from before then no longer unseals.
 *
 * systemd-cryptsetup measures only when systemd-stub measured the kernel (a UKI boot); unlock
 * measures whenever the option is given, since a policy on PCR 15 protects nothing otherwise.
 * A failure is a warning, as with systemd: the volume stays open.
 */

#include "boot/boot.h"
#include "crypto/secret.h"
#include "open/volume.h"

struct modules;

void boot_volume_measure(const struct boot_volume *vol, const struct volume *v, const struct secret *key,
			 struct modules *m);
/* "cryptsetup:NAME:UUID" as systemd writes it; -ENAMETOOLONG when it does not fit. */
int measure_event_text(const char *name, const char *uuid, char *out, size_t size);

#endif
