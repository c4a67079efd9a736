/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_CONTENT_CHECK_H
#define UNLOCK_CONTENT_CHECK_H

/*
 * Debian's crypttab check= and checkargs=: what an opened volume must hold, or it is closed again;
 * precheck=: what its encrypted device must hold before it is opened.
 * On a plain volume this is the only sign of a mistyped passphrase (the mapping then reads as
 * noise). unlock runs no programs: Debian's own check scripts are done here with libblkid.
 */

#include <stdbool.h>
#include <stddef.h>

#define CONTENT_CHECK_NAME_MAX 16

/* The check named by check=VALUE (NULL: Debian's default, blkid), as a script name or its path in
 * /lib/cryptsetup/checks; false for a check unlock does not know. */
bool content_check_name(const char *value, char *name, size_t size);

/* Whether a device whose libblkid type is `type` ("": none recognised) passes the check `name`
 * with checkargs= `args` ("": none). */
bool content_check_passes(const char *name, const char *args, const char *type);

/* Probes /dev/mapper/VOL_NAME: 0 when it passes the check, else -EBADMSG with the reason logged. */
int content_check_volume(const char *vol_name, const char *name, const char *args);

/* Debian's precheck=: the same checks on the encrypted device DEV before it is opened. */
int content_precheck(const char *vol_name, const char *dev, const char *name);

#endif
