/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/preload.h"

#include <stdio.h>
#include <string.h>

#include "base/fileio.h"
#include "base/log.h"
#include "boot/modules.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"

/* Written by unlock-mkinitrd: see fs_expected_preload. */
#define EXPECTED_ROOTFSTYPE_PATH "/lib/unlock/rootfstype"

/* Filesystem drivers loading in the background for volumes already open; root_mount waits for them. */
static struct modules_job *fs_jobs[BOOT_VOLUMES_MAX];
static int n_fs_jobs;
static char fs_expected[32];

/* A hash Nettle lacks (whirlpool) is computed through AF_ALG: its modules load first. */
static void modules_load_for_hash(struct modules *m, const char *hash)
{
	const char *kernel_name = hash_kernel_only(hash);
	char alias[80];

	if (!kernel_name)
		return;
	modules_load(m, "algif_hash");
	snprintf(alias, sizeof(alias), "crypto-%s", kernel_name);
	modules_load(m, alias);
}

/* Keyslots in ciphers or hashes Nettle lacks are decrypted through AF_ALG: their modules load first. */
void modules_load_for_keyslots(struct modules *m, const struct luks_header *hdr)
{
	for (int i = 0; i < LUKS_KEYSLOTS_MAX; i++) {
		const struct luks_keyslot *ks = &hdr->keyslots[i];
		if (!ks->active)
			continue;
		if (ks->kdf.type == KDF_PBKDF2)
			modules_load_for_hash(m, ks->kdf.hash);
		modules_load_for_hash(m, ks->af_hash);
		if (sector_cipher_in_userspace(ks->area_cipher, ks->area_key_size))
			continue;
		modules_load(m, "algif_skcipher");
		modules_load(m, "algif_hash");
		modules_load_for_cipher(m, ks->area_cipher);
	}
	for (int i = 0; i < LUKS_DIGESTS_MAX; i++)
		if (hdr->digests[i].active)
			modules_load_for_hash(m, hdr->digests[i].hash);
}

/* The data cipher's modules are needed only by dm-crypt: they load while the key is derived. */
struct modules_job *modules_start_for_data(const struct luks_header *hdr)
{
	struct modules_job *job = modules_job_new();

	modules_job_add_cipher(job, hdr->segment.cipher);
	modules_job_start(job);
	return job;
}

static void fs_driver_start(const char *type)
{
	char alias[80];
	struct modules_job *job;

	if (n_fs_jobs >= BOOT_VOLUMES_MAX)
		return;
	snprintf(alias, sizeof(alias), "fs-%s", type);
	job = modules_job_new();
	modules_job_add(job, alias);
	modules_job_start(job);
	fs_jobs[n_fs_jobs++] = job;
}

void fs_driver_preload(const struct boot_volume *vol, const struct volume *v, const struct secret *key)
{
	char type[64];

	if (volume_peek_fstype(v, key, type, sizeof(type)) < 0 || strcmp(type, "swap") == 0)
		return;
	if (strcmp(type, fs_expected) == 0) {
		log_debug("%s: holds %s, as the image expected; its driver is loading", vol->name, type);
		return;
	}
	log_debug("%s: holds %s; loading its driver meanwhile", vol->name, type);
	fs_driver_start(type);
}

/*
 * The root filesystem type the image was built for (unlock-mkinitrd writes the host's, or ext4 for
 * a generic image): its driver is the longest module load on the way to root, and without
 * rootfstype= the type is known only once the volume is open. Started at once, it loads while the
 * disk is awaited and the key derived; a wrong guess costs one driver loaded in the background.
 */
static void fs_expected_preload(void)
{
	char text[sizeof(fs_expected) + 1];
	size_t len;

	if (read_one_line_file(EXPECTED_ROOTFSTYPE_PATH, text, sizeof(text)) < 0)
		return;
	len = strlen(text);
	if (len == 0 || len >= sizeof(fs_expected) || strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_") != len)
		return;
	memcpy(fs_expected, text, len + 1);
	log_debug("the image expects the root filesystem to be %s; loading its driver meanwhile", fs_expected);
	fs_driver_start(fs_expected);
}

void fs_drivers_wait(void)
{
	for (int i = 0; i < n_fs_jobs; i++)
		modules_job_finish(fs_jobs[i]);
	n_fs_jobs = 0;
}

/* While the background loader finds the disks, load what the boot is known to need. */
void boot_modules_preload(const struct boot_config *cfg, struct modules *m)
{
	char alias[80];

	if (cfg->luks_enabled && cfg->n_volumes > 0)
		modules_load(m, "dm-crypt");
	if (cfg->rootfstype[0]) {
		snprintf(alias, sizeof(alias), "fs-%s", cfg->rootfstype);
		modules_load(m, alias);
	} else if (cfg->root[0]) {
		fs_expected_preload();
	}
}
