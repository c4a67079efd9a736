/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dm/dm.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <libdevmapper.h>
#include <linux/keyctl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/fileio.h"
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
	/* libdevmapper opens its control node without O_CLOEXEC: closed here, before any helper or
	 * the real init could inherit it. */
	dm_lib_release();
	return ok ? 0 : -EIO;
}

/* dm-crypt takes a key from the kernel keyring since target version 1.15 (Linux 4.10), as
 * cryptsetup checks: 1 when it does, 0 when it does not, -ENOENT when the target is not loaded. */
static int crypt_target_takes_keyring(void)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_LIST_VERSIONS);
	struct dm_versions *v, *last;
	int r = -ENOENT;

	if (!dmt)
		return -ENOMEM;
	if (dm_task_run(dmt) && (v = dm_task_get_versions(dmt))) {
		do {
			last = v;
			if (strcmp(v->name, "crypt") == 0)
				r = v->version[0] > 1 || (v->version[0] == 1 && v->version[1] >= 15);
			v = (struct dm_versions *)((char *)v + v->next);
		} while (last != v);
	}
	dm_task_destroy(dmt);
	dm_lib_release();
	return r;
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

static int dm_holder_of(const char *dev, char *name, size_t size)
{
	char holders[96];
	struct stat st;
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (stat(dev, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return 0; /* an image file: the loop device made for it is new */
	snprintf(holders, sizeof(holders), "/sys/dev/block/%u:%u/holders", major(st.st_rdev), minor(st.st_rdev));
	if (!(d = opendir(holders)))
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && (e = readdir(d))) {
		char path[sizeof(e->d_name) + 32];
		if (strncmp(e->d_name, "dm-", 3) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/name", e->d_name);
		if (read_text_file(path, name, size) < 0)
			snprintf(name, size, "%s", e->d_name);
		name[strcspn(name, "\n")] = '\0';
		r = 1;
	}
	closedir(d);
	return r;
}

int dm_refuse_held(const char *name, const char *dev)
{
	char holder[256]; /* a dm name, or the dm-N of a sysfs entry */

	if (dm_holder_of(dev, holder, sizeof(holder)) != 1)
		return 0;
	return log_error_ret(-EBUSY, "%s: %s is already mapped as /dev/mapper/%s; it is not mapped a second time "
			     "(is it named twice, in crypttab and on the kernel command line?)", name, dev, holder);
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
	if ((r = dm_refuse_held(name, device)) < 0)
		return r;
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
	dm_lib_release();
	return ok ? 0 : log_error_ret(-EBUSY, "%s: device-mapper could not remove /dev/mapper/%s", name, name);
}

int dm_crypt_activate(const char *name, const struct dm_table_request *req, bool read_only)
{
	struct dm_table_request keyring_req = *req;
	char uuid[160], desc[128];
	long key_id = -1;
	int takes_keyring, r;

	if ((r = dm_table_check(req->hdr, req->data_device)) < 0 || (r = dm_refuse_held(name, req->data_device)) < 0)
		return r;
	if (dm_uuid(req->hdr, name, uuid, sizeof(uuid)) < 0 || dm_key_description(req->hdr, req->digest, desc, sizeof(desc)) < 0)
		return log_error_ret(-EINVAL, "volume name %s is too long", name);
	/* The key goes in by the keyring where dm-crypt can take it, so that no table shows it; the
	 * key itself only to a dm-crypt too old for that, or a kernel without a keyring. */
	takes_keyring = crypt_target_takes_keyring();
	key_id = takes_keyring != 0 ? keyring_add_logon(desc, req->volume_key) : -1;
	if (key_id >= 0) {
		keyring_req.hex_key = false;
		r = dm_activate_with(name, uuid, keyring_req, read_only);
		keyring_unlink(key_id);
		if (r == 0 || takes_keyring == 1)
			return r < 0 ? log_error_ret(r, "%s: device-mapper could not create the crypt device", name) : 0;
		log_info("%s: dm-crypt refused a keyring key; loading the key directly", name);
	} else if (takes_keyring == 0) {
		log_info("%s: this kernel's dm-crypt cannot take a key from the keyring; loading the key directly", name);
	}
	keyring_req.hex_key = true;
	r = dm_activate_with(name, uuid, keyring_req, read_only);
	if (r < 0)
		return log_error_ret(r, "%s: device-mapper could not create the crypt device (is dm-crypt loaded?)", name);
	return 0;
}
