/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dm/dm.h"

#include <errno.h>
#include <stdio.h>
#include <libdevmapper.h>
#include <linux/keyctl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"

static long keyring_add_logon(const char *desc, const struct secret *key)
{
	return syscall(SYS_add_key, "logon", desc, key->data, key->len, KEY_SPEC_THREAD_KEYRING);
}

static void keyring_unlink(long id)
{
	if (id >= 0)
		syscall(SYS_keyctl, KEYCTL_UNLINK, id, KEY_SPEC_THREAD_KEYRING);
}

static int dm_create(const char *name, const char *uuid, const struct dm_table *table, bool read_only)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_CREATE);
	int ok;

	if (!dmt)
		return -ENOMEM;
	/* No udev in the initramfs: libdevmapper creates the /dev/mapper node itself. */
	dm_udev_set_sync_support(0);
	ok = dm_task_set_name(dmt, name) && dm_task_set_uuid(dmt, uuid) && dm_task_secure_data(dmt) &&
	     (!read_only || dm_task_set_ro(dmt)) &&
	     dm_task_add_target(dmt, 0, table->sectors, "crypt", (const char *)table->params->data) &&
	     dm_task_run(dmt);
	dm_task_destroy(dmt);
	if (ok)
		dm_task_update_nodes();
	return ok ? 0 : -EIO;
}

static int dm_activate_with(const char *name, const char *uuid, struct dm_table_request req, bool read_only)
{
	struct dm_table table = { 0 };
	int r = dm_table_build(&req, &table);

	if (r == 0)
		r = dm_create(name, uuid, &table, read_only);
	secret_free(table.params);
	return r;
}

int dm_plain_activate(const char *name, const char *device, uint64_t sectors, const char *cipher,
		      const struct secret *key, uint64_t offset, uint64_t skip, uint32_t flags, bool read_only)
{
	char uuid[160], desc[200];
	struct dm_table table = { .sectors = sectors };
	long key_id;
	int r;

	if (snprintf(uuid, sizeof(uuid), "CRYPT-PLAIN-%s", name) >= (int)sizeof(uuid) ||
	    snprintf(desc, sizeof(desc), "cryptsetup:%s", uuid) >= (int)sizeof(desc))
		return log_error_ret(-EINVAL, "volume name %s is too long", name);
	key_id = keyring_add_logon(desc, key);
	if (key_id < 0)
		return log_error_ret(-errno, "%s: the kernel keyring refused the key", name);
	table.params = secret_new(4096);
	r = table.params ? 0 : -ENOMEM;
	if (r == 0) {
		int n = snprintf((char *)table.params->data, table.params->capacity, "%s :%zu:logon:%s %llu %s %llu%s", cipher,
				 key->len, desc, (unsigned long long)skip, device, (unsigned long long)offset,
				 flags & LUKS_FLAG_ALLOW_DISCARDS ? " 1 allow_discards" : "");
		table.params->len = (size_t)n;
		r = dm_create(name, uuid, &table, read_only);
	}
	keyring_unlink(key_id);
	secret_free(table.params);
	return r < 0 ? log_error_ret(r, "%s: device-mapper could not create the plain crypt device", name) : 0;
}

int dm_remove(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_REMOVE);
	int ok;

	if (!dmt)
		return -ENOMEM;
	dm_udev_set_sync_support(0);
	/* retry: a prober that just closed the device may still hold it for a moment */
	ok = dm_task_set_name(dmt, name) && dm_task_retry_remove(dmt) && dm_task_run(dmt);
	dm_task_destroy(dmt);
	if (ok)
		dm_task_update_nodes();
	return ok ? 0 : log_error_ret(-EBUSY, "%s: device-mapper could not remove /dev/mapper/%s", name, name);
}

int dm_crypt_activate(const char *name, const struct dm_table_request *req, bool read_only)
{
	struct dm_table_request keyring_req = *req;
	char uuid[160], desc[128];
	long key_id = -1;
	int r;

	if ((r = dm_table_check(req->hdr, req->data_device)) < 0)
		return r;
	if (dm_uuid(req->hdr, name, uuid, sizeof(uuid)) < 0 || dm_key_description(req->hdr, req->digest, desc, sizeof(desc)) < 0)
		return log_error_ret(-EINVAL, "volume name %s is too long", name);
	keyring_req.hex_key = false;
	key_id = keyring_add_logon(desc, req->volume_key);
	if (key_id >= 0) {
		r = dm_activate_with(name, uuid, keyring_req, read_only);
		keyring_unlink(key_id);
		if (r == 0)
			return 0;
		log_info("%s: dm-crypt refused a keyring key; loading the key directly", name);
	}
	keyring_req.hex_key = true;
	r = dm_activate_with(name, uuid, keyring_req, read_only);
	if (r < 0)
		return log_error_ret(r, "%s: device-mapper could not create the crypt device (is dm-crypt loaded?)", name);
	return 0;
}
