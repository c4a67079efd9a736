/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_FLOW_H
#define UNLOCK_BOOT_FLOW_H

/* The per-volume flow at boot: each volume's device waited for, then opened as its crypttab
 * options say (LUKS, plain or swap), its secret from boot/secrets.h, its content checked. */

#include <errno.h>

#include "boot/boot.h"
#include "boot/passcache.h"

struct modules;

/* What volumes_open returns when a device a volume needs (its own, or its detached header's) never
 * appeared: a missing disk or driver, not a wrong secret. */
#define VOLUMES_DEVICE_MISSING (-ENXIO)

/* Every volume of cfg in turn; a passphrase typed that opens one is kept in typed for the next. */
int volumes_open(const struct boot_config *cfg, struct modules *m, struct passcache *typed);
/* crypttab check=: the opened volume holds what it says, or it is closed again (-EBADMSG). */
int volume_content_check(const struct boot_volume *vol);

#endif
