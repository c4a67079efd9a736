/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_DM_H
#define UNLOCK_DM_H

#include <stdbool.h>

#include "dm_table.h"

/*
 * Creates /dev/mapper/<name> from the request: the volume key goes into the kernel keyring as a
 * logon key for the load and is unlinked right after, so `dmsetup table` never shows it.
 */
int dm_crypt_activate(const char *name, const struct dm_table_request *req, bool read_only);

#endif
