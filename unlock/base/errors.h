/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_ERRORS_H
#define UNLOCK_ERRORS_H

/* Error codes beyond -errno, used by every layer and mapped to exit codes by the commands
 * (cmd/commands.h). The names are those of the LUKS code they began in. */
enum {
	LUKS_ERR_DAMAGED = 10000, /* invalid or damaged header: exit 3 */
	LUKS_ERR_UNSUPPORTED,     /* valid but not supported here: exit 4 */
	LUKS_ERR_WRONG_SECRET,    /* no keyslot opened: exit 2 */
};

#endif
