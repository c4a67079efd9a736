/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blockdev.h"
#include "cipher.h"
#include "boot.h"
#include "console.h"
#include "devices.h"
#include "dm.h"
#include "hash.h"
#include "hotplug.h"
#include "keydev.h"
#include "keyfile.h"
#include "keymap.h"
#include "log.h"
#include "luks.h"
#include "modules.h"
#include "passcache.h"
#include "plain.h"
#include "prompt.h"
#include "stack.h"
#include "swap.h"
#include "sysroot.h"
#include "udevdb.h"
#include "util.h"
#include "volume.h"

#define SYSROOT "/sysroot"
#define HOTPLUG_SETTLE_SEC 10
/* systemd-cryptsetup's plain-mode defaults */
#define PLAIN_DEFAULT_CIPHER "aes-cbc-essiv:sha256"
#define PLAIN_DEFAULT_KEY_BITS 256
#define PLAIN_DEFAULT_HASH "ripemd160"

static struct consoles consoles;
static struct hotplug *hotplug;
/* The hotplug thread may log while the main thread reopens the consoles. */
static pthread_mutex_t consoles_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_to_consoles(const char *line)
{
	pthread_mutex_lock(&consoles_lock);
	consoles_write(&consoles, line);
	pthread_mutex_unlock(&consoles_lock);
}
#define CONFIG_TEXT_MAX (64 * 1024)

static void mount_api_filesystems(void)
{
	static const struct {
		const char *type, *target;
		unsigned long flags;
	} mounts[] = {
		{ "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "devtmpfs", "/dev", MS_NOSUID },
		{ "tmpfs", "/run", MS_NOSUID | MS_NODEV },
	};
	for (size_t i = 0; i < ARRAY_SIZE(mounts); i++) {
		mkdir(mounts[i].target, 0755);
		if (mount(mounts[i].type, mounts[i].target, mounts[i].type, mounts[i].flags, NULL) < 0 && errno != EBUSY)
			log_error("cannot mount %s: %s", mounts[i].target, strerror(errno));
	}
}

static void console_attach(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

static int read_text(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* rd.luks.uuid= narrows the set to those volumes; crypttab still gives their names, keys and options. */
static void boot_config_merge(struct boot_config *cfg, const struct boot_config *tab)
{
	if (!cfg->uuids_only) {
		for (int i = 0; i < tab->n_volumes && cfg->n_volumes < BOOT_VOLUMES_MAX; i++)
			cfg->volumes[cfg->n_volumes++] = tab->volumes[i];
		return;
	}
	for (int i = 0; i < cfg->n_volumes; i++) {
		struct boot_volume *from_tab = boot_volume_find((struct boot_config *)tab, cfg->volumes[i].device);
		char name[sizeof(cfg->volumes[i].name)];
		if (!from_tab)
			continue;
		memcpy(name, cfg->volumes[i].name, sizeof(name));
		cfg->volumes[i] = *from_tab;
		if (strncmp(name, "luks-", 5) != 0)
			memcpy(cfg->volumes[i].name, name, sizeof(name));
	}
}

static int boot_config_load(struct boot_config *cfg)
{
	static char text[CONFIG_TEXT_MAX];
	static struct boot_config tab;
	int r;

	boot_config_init(cfg);
	boot_config_init(&tab);
	r = read_text("/proc/cmdline", text, sizeof(text));
	if (r < 0)
		return log_error_ret(r, "cannot read /proc/cmdline: %s", strerror(-r));
	cmdline_parse(cfg, text);
	if (cfg->crypttab_enabled && read_text("/etc/crypttab", text, sizeof(text)) == 0)
		crypttab_parse(&tab, text, "/etc/crypttab");
	boot_config_merge(cfg, &tab);
	return 0;
}

/* Before talking to a person: the keyboards' drivers load from now on, and the prompt waits only
 * for a console= whose driver is a module (virtio hvc, USB serial), which exists once the
 * background loader has seen every device present at boot. The keyboard gets the machine's
 * layout (when the image carries one). */
static void consoles_refresh(void)
{
	static bool refreshed;
	char cmdline[4096];

	if (refreshed)
		return;
	if (read_text("/proc/cmdline", cmdline, sizeof(cmdline)) == 0 && consoles_named_registered(cmdline))
		hotplug_release(hotplug);
	else if (!hotplug_settle(hotplug, HOTPLUG_SETTLE_SEC))
		log_warning("device drivers are still loading after %d s; asking on the consoles found so far", HOTPLUG_SETTLE_SEC);
	pthread_mutex_lock(&consoles_lock);
	consoles_close(&consoles);
	consoles_open(&consoles);
	pthread_mutex_unlock(&consoles_lock);
	keymap_load(KEYMAP_PATH);
	refreshed = true;
}

/* verify: the same passphrase again, or -EAGAIN (an attempt used up, as in systemd-cryptsetup). */
static int passphrase_confirm(const struct boot_volume *vol, const struct secret *pass)
{
	_cleanup_secret_ struct secret *again = NULL;
	char prompt[160];
	int r;

	snprintf(prompt, sizeof(prompt), "Repeat the passphrase for %s: ", vol->name);
	r = consoles_read_secret(&consoles, prompt, PASSPHRASE_MAX, vol->prompt_timeout_sec, &again);
	if (r == 0 && !secret_equal(pass, again)) {
		snprintf(prompt, sizeof(prompt), "The two passphrases for %s differ.\n", vol->name);
		consoles_write(&consoles, prompt);
		r = -EAGAIN;
	}
	return r;
}

/* crypttab's timeout= bounds the wait for an answer, as in systemd-cryptsetup; -EAGAIN: verify
 * found the two answers differ. */
static int passphrase_ask(const struct boot_volume *vol, const char *prompt, struct secret **pass)
{
	int r;

	if (vol->headless)
		return log_error_ret(-EACCES, "%s: no key opened it, and headless= forbids asking for a passphrase", vol->name);
	consoles_refresh();
	r = consoles_read_secret(&consoles, prompt, PASSPHRASE_MAX, vol->prompt_timeout_sec, pass);
	if (r == 0 && vol->verify && (r = passphrase_confirm(vol, *pass)) < 0) {
		secret_free(*pass);
		*pass = NULL;
	}
	if (r == -ETIMEDOUT) {
		consoles_write(&consoles, "\n");
		log_error("%s: no passphrase was entered within %d s (crypttab timeout=)", vol->name, vol->prompt_timeout_sec);
	}
	return r;
}

/* rd.timeout= (or its default), for volumes that do not set their own. */
static int boot_timeout_sec;

static int volume_wait_timeout(const struct boot_volume *vol)
{
	return vol->timeout_sec >= 0 ? vol->timeout_sec : boot_timeout_sec;
}

static bool key_in_image(const struct boot_volume *vol)
{
	return !vol->key_device[0] && !vol->key_raw;
}

/* The key file, size bytes of it (KEYFILE_SIZE_ALL: all); one on another device is waited for. */
static int volume_key_read(const struct boot_volume *vol, uint64_t size, struct modules *m, struct secret **out)
{
	int timeout = vol->keyfile_timeout_sec >= 0 ? vol->keyfile_timeout_sec : volume_wait_timeout(vol);

	if (key_in_image(vol))
		return keyfile_read(vol->key_file, vol->keyfile_offset, size, out);
	return keydev_read(vol, timeout, m, out);
}

/* keyfile-erase=, after the volume opened or failed, as systemd does: a key file in the image is
 * overwritten and removed, so its bytes are not left in the freed pages of the initramfs. */
static void key_file_erase(const struct boot_volume *vol)
{
	static const uint8_t zeros[4096];
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (!vol->keyfile_erase || !vol->key_file[0] || vol->key_is_name)
		return;
	if (!key_in_image(vol)) {
		log_warning("%s: keyfile-erase: %s stays on %s, which unlock only mounts read-only", vol->name,
			    vol->key_file, vol->key_device[0] ? vol->key_device : "its device");
		return;
	}
	/* Only a regular file: opening a device for writing may do something of its own. */
	if (lstat(vol->key_file, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	fd = open(vol->key_file, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	for (off_t done = 0; done < st.st_size;) {
		ssize_t n = pwrite(fd, zeros, (size_t)MIN((off_t)sizeof(zeros), st.st_size - done), done);
		if (n <= 0)
			break;
		done += n;
	}
	if (unlink(vol->key_file) < 0)
		log_warning("%s: keyfile-erase: cannot remove %s: %s", vol->name, vol->key_file, strerror(errno));
	else
		log_info("%s: key file %s erased (keyfile-erase)", vol->name, vol->key_file);
}

/*
 * systemd-cryptsetup asks for the passphrase when the key file is missing or opens nothing (unless
 * headless=). A key on another device is required unless keyfile-timeout= is given: then its
 * absence means asking too.
 */
static bool key_falls_back_to_passphrase(const struct boot_volume *vol, int r)
{
	if (r == -ENOMEM || vol->headless ||
	    (r != -LUKS_ERR_WRONG_SECRET && !key_in_image(vol) && vol->keyfile_timeout_sec < 0))
		return false;
	if (!key_in_image(vol) && r != -LUKS_ERR_WRONG_SECRET)
		log_warning("%s: no key from %s; asking for the passphrase instead (keyfile-timeout=)", vol->name,
			    vol->key_raw ? vol->key_file : vol->key_device);
	else
		log_warning("%s: asking for the passphrase instead of the key file", vol->name);
	return true;
}

static int volume_passphrase(const struct boot_volume *vol, const char *dev, struct secret **pass)
{
	char prompt[512];

	snprintf(prompt, sizeof(prompt), "Passphrase for %s (%s): ", vol->name, vol->device[0] == '/' ? dev : vol->device);
	return passphrase_ask(vol, prompt, pass);
}

/* After a wrong passphrase, on every console: which attempt it was, and of how many (tries=0: no limit). */
static void wrong_passphrase_say(const struct boot_volume *vol, int attempt)
{
	char msg[160], of[24] = "";

	if (vol->tries > 0)
		snprintf(of, sizeof(of), " of %d", vol->tries);
	snprintf(msg, sizeof(msg), "Wrong passphrase for %s (attempt %d%s).\n", vol->name, attempt, of);
	consoles_write(&consoles, msg);
}

/*
 * Before asking: the passphrases typed for the volumes opened before this one (systemd-cryptsetup
 * tries the passwords it cached; not with headless=, which keeps a volume to what it names), then,
 * with try-empty-password=, an empty one. Neither counts against tries=, which counts questions.
 */
static int volume_unlock_unasked(const struct boot_volume *vol, const struct volume *v, const struct passcache *typed,
				 struct secret **key, int *digest)
{
	_cleanup_secret_ struct secret *empty = NULL;
	bool use_typed = !vol->headless && vol->password_cache != PASSWORD_CACHE_NO;
	int slot, r = -LUKS_ERR_WRONG_SECRET;

	for (size_t i = 0; use_typed && i < typed->n && r == -LUKS_ERR_WRONG_SECRET; i++)
		if ((r = volume_unlock(v, vol->key_slot, typed->entries[i], key, digest, &slot)) == 0)
			log_info("%s: opened with a passphrase typed for a volume before it", vol->name);
	if (r != -LUKS_ERR_WRONG_SECRET || !vol->try_empty_password)
		return r;
	if (!(empty = secret_new(1)))
		return -ENOMEM;
	if ((r = volume_unlock(v, vol->key_slot, empty, key, digest, &slot)) == 0)
		log_info("%s: opened with an empty passphrase (try-empty-password=)", vol->name);
	return r;
}

/*
 * A key file is tried once; then (or without one) what needs no question; then the passphrase up
 * to `tries` times, kept in typed once it opens the volume. Returns the verified volume key.
 */
static int boot_volume_unlock(const struct boot_volume *vol, const struct volume *v, const char *dev, struct modules *m,
			      struct passcache *typed, struct secret **key, int *digest)
{
	int slot, r = -LUKS_ERR_WRONG_SECRET;

	if (vol->key_file[0]) {
		_cleanup_secret_ struct secret *pass = NULL;
		r = volume_key_read(vol, vol->keyfile_size, m, &pass);
		if (r == 0) {
			r = volume_unlock(v, vol->key_slot, pass, key, digest, &slot);
			if (r != -LUKS_ERR_WRONG_SECRET)
				return r;
			log_error("%s: the key file %s opens no keyslot", vol->name, vol->key_file);
		}
		if (!key_falls_back_to_passphrase(vol, r))
			return r;
	}
	r = volume_unlock_unasked(vol, v, typed, key, digest);
	if (r != -LUKS_ERR_WRONG_SECRET)
		return r;
	for (int i = 0; vol->tries == 0 || i < vol->tries; i++) {
		_cleanup_secret_ struct secret *pass = NULL;
		r = volume_passphrase(vol, dev, &pass);
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			return r;
		r = volume_unlock(v, vol->key_slot, pass, key, digest, &slot);
		if (r == 0 && vol->password_cache == PASSWORD_CACHE_YES && passcache_remember(typed, pass) < 0)
			log_warning("%s: no memory to keep the passphrase for the next volumes; they ask again", vol->name);
		if (r != -LUKS_ERR_WRONG_SECRET)
			return r;
		wrong_passphrase_say(vol, i + 1);
	}
	return r;
}

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
static void modules_load_for_keyslots(struct modules *m, const struct luks_header *hdr)
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
static struct modules_job *modules_start_for_data(const struct luks_header *hdr)
{
	struct modules_job *job = modules_job_new();

	modules_job_add_cipher(job, hdr->segment.cipher);
	modules_job_start(job);
	return job;
}

/* Filesystem drivers loading in the background for volumes already open; root_mount waits for them. */
static struct modules_job *fs_jobs[BOOT_VOLUMES_MAX];
static int n_fs_jobs;

/* Written by unlock-mkinitrd: see fs_expected_preload. */
#define EXPECTED_ROOTFSTYPE_PATH "/lib/unlock/rootfstype"
static char fs_expected[32];

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

static void fs_driver_preload(const struct boot_volume *vol, const struct volume *v, const struct secret *key)
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

	if (read_text(EXPECTED_ROOTFSTYPE_PATH, text, sizeof(text)) < 0)
		return;
	len = strcspn(text, "\n");
	text[len] = '\0';
	if (len == 0 || len >= sizeof(fs_expected) || strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_") != len)
		return;
	memcpy(fs_expected, text, len + 1);
	log_debug("the image expects the root filesystem to be %s; loading its driver meanwhile", fs_expected);
	fs_driver_start(fs_expected);
}

static void fs_drivers_wait(void)
{
	for (int i = 0; i < n_fs_jobs; i++)
		modules_job_finish(fs_jobs[i]);
	n_fs_jobs = 0;
}

static bool header_on_device(const char *h)
{
	return strncmp(h, "/dev/", 5) == 0 || (h[0] != '/' && strchr(h, '='));
}

/* The device a detached header is on, or is; NULL for a header file in the image. */
static const char *header_device_spec(const struct boot_volume *vol)
{
	if (vol->header_device[0])
		return vol->header_device;
	return vol->header[0] && header_on_device(vol->header) ? vol->header : NULL;
}

/* header= is a file in the image, a device (a tag or a /dev path, such as a USB stick's
 * partition) waited for like the volume's own, or a file on such a device's filesystem
 * (PATH:DEVICE), opened there into *fd and read through /proc/self/fd. */
static int header_locate(const struct boot_volume *vol, struct modules *m, char *path, size_t size, int *fd)
{
	const char *h = header_device_spec(vol);
	char dev[BOOT_PATH_MAX];
	int r;

	if (!h) {
		snprintf(path, size, "%s", vol->header);
		return 0;
	}
	r = device_wait(h, volume_wait_timeout(vol), dev, sizeof(dev));
	if (r == -ETIMEDOUT)
		log_error("%s: the header device %s did not appear within %d s", vol->name, h, volume_wait_timeout(vol));
	if (r < 0 || !vol->header_device[0]) {
		snprintf(path, size, "%s", dev);
		return r;
	}
	*fd = keydev_open_file(vol->name, "header", h, dev, NULL, vol->header, m);
	if (*fd < 0)
		return *fd;
	log_debug("%s: header %s on %s", vol->name, vol->header, dev);
	snprintf(path, size, "/proc/self/fd/%d", *fd);
	return 0;
}

static int boot_volume_open(const struct boot_volume *vol, const char *dev, struct modules *m, struct passcache *typed)
{
	struct volume v;
	struct modules_job *data_modules = NULL;
	_cleanup_secret_ struct secret *key = NULL;
	char header[BOOT_PATH_MAX];
	int digest = -1, header_fd = -1, r;

	if (vol->header[0] && (r = header_locate(vol, m, header, sizeof(header), &header_fd)) < 0)
		return r;
	r = volume_load(&v, dev, vol->header[0] ? header : NULL);
	if (header_fd >= 0)
		close(header_fd);
	if (r == -LUKS_ERR_DAMAGED)
		log_error("%s: %s has no valid LUKS header; if it is a plain dm-crypt volume, add \"plain\" to its crypttab options",
			  vol->name, dev);
	if (r == 0)
		r = dm_table_check(&v.hdr, dev);
	if (r == 0) {
		modules_load_for_keyslots(m, &v.hdr);
		data_modules = modules_start_for_data(&v.hdr);
		r = boot_volume_unlock(vol, &v, dev, m, typed, &key, &digest);
	}
	if (r == 0) {
		log_debug("%s: volume key verified", vol->name);
		fs_driver_preload(vol, &v, key);
	}
	modules_job_finish(data_modules);
	if (r == 0) {
		/* Quick when the job loaded them; needed when it could not run. */
		modules_load_for_cipher(m, v.hdr.segment.cipher);
		r = volume_activate(&v, vol->name, key, digest, vol->flags, vol->read_only);
	}
	volume_done(&v);
	return r;
}

/* The mapping's cipher: crypttab's cipher= as systemd reads it (no mode means "-plain"), or its default. */
static void plain_cipher(const struct boot_volume *vol, char *buf, size_t size)
{
	if (!vol->cipher[0])
		snprintf(buf, size, "%s", PLAIN_DEFAULT_CIPHER);
	else
		snprintf(buf, size, "%s%s", vol->cipher, strchr(vol->cipher, '-') ? "" : "-plain");
}

/* A plain mapping over the device from offset= on, with the key given. */
static int plain_activate(const struct boot_volume *vol, const char *dev, const struct secret *key, struct modules *m)
{
	struct blockdev bd = { .fd = -1 };
	char cipher[sizeof(vol->cipher) + 8];
	uint64_t sectors;
	int r = blockdev_open(&bd, dev);

	if (r < 0)
		return r;
	sectors = bd.size / 512;
	blockdev_close(&bd);
	if (sectors <= vol->offset)
		return log_error_ret(-ENOSPC, "%s: %s is not larger than offset=%llu sectors", vol->name, dev,
				     (unsigned long long)vol->offset);
	plain_cipher(vol, cipher, sizeof(cipher));
	modules_load_for_cipher(m, cipher);
	return dm_plain_activate(vol->name, dev, sectors - vol->offset, cipher, key, vol->offset, vol->skip, vol->flags,
				 vol->read_only);
}

/* crypttab "swap": a plain mapping with a key nobody knows, then a fresh swap signature. */
static int swap_volume_open(const struct boot_volume *vol, const char *dev, struct modules *m)
{
	_cleanup_secret_ struct secret *key = secret_new((vol->key_bits ? vol->key_bits : PLAIN_DEFAULT_KEY_BITS) / 8);
	char mapped[BOOT_PATH_MAX], type[64];
	int r;

	/* A random key destroys what is on the device: never over a filesystem or a LUKS volume. */
	if (device_fstype(dev, type, sizeof(type)) == 0 && strcmp(type, "swap") != 0)
		return log_error_ret(-EEXIST, "%s: %s holds %s data; refusing to turn it into swap with a random key. Check the device in crypttab.",
				     vol->name, dev, type);
	if (!key || getrandom(key->data, key->capacity, 0) != (ssize_t)key->capacity)
		return log_error_ret(-EIO, "%s: no random key for swap", vol->name);
	key->len = key->capacity;
	r = plain_activate(vol, dev, key, m);
	snprintf(mapped, sizeof(mapped), "/dev/mapper/%s", vol->name);
	return r < 0 ? r : swap_format(mapped);
}

/* systemd's choice: hash= ("plain" for none); without it, ripemd160 for a passphrase and none for a
 * key file, which is what cryptsetup does. */
static const char *plain_hash(const struct boot_volume *vol, bool typed)
{
	if (strcmp(vol->hash, "plain") == 0)
		return NULL;
	if (vol->hash[0])
		return vol->hash;
	return typed ? PLAIN_DEFAULT_HASH : NULL;
}

/* crypttab check=: the opened volume holds what it says, or it is closed again (-EBADMSG). */
static int volume_content_check(const struct boot_volume *vol)
{
	int r;

	if (!vol->check[0] || (r = content_check_volume(vol->name, vol->check, vol->check_args)) == 0)
		return 0;
	dm_remove(vol->name);
	return r;
}

static int plain_open_with(const struct boot_volume *vol, const char *dev, const struct secret *pass, bool typed,
			   struct modules *m)
{
	size_t key_len = (vol->key_bits ? vol->key_bits : PLAIN_DEFAULT_KEY_BITS) / 8;
	_cleanup_secret_ struct secret *key = NULL;
	int r = plain_key_derive(plain_hash(vol, typed), pass, key_len, &key);

	if (r == 0)
		r = plain_activate(vol, dev, key, m);
	return r == 0 ? volume_content_check(vol) : r;
}

/* crypttab "plain": no header can tell a wrong passphrase; the mapping then reads as noise, as
 * with cryptsetup. Only a check= can tell: a passphrase that fails it is asked again, up to tries=. */
static int plain_volume_open(const struct boot_volume *vol, const char *dev, struct modules *m)
{
	size_t key_len = (vol->key_bits ? vol->key_bits : PLAIN_DEFAULT_KEY_BITS) / 8;
	_cleanup_secret_ struct secret *pass = NULL;
	char prompt[512];
	int r = -ENOENT;

	if (vol->key_file[0]) {
		r = volume_key_read(vol, key_len, m, &pass);
		if (r == 0)
			return plain_open_with(vol, dev, pass, false, m);
		if (!key_falls_back_to_passphrase(vol, r))
			return r;
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for %s (%s, plain dm-crypt): ", vol->name, vol->device);
	for (int i = 0; vol->tries == 0 || i < vol->tries; i++) {
		secret_free(pass);
		pass = NULL;
		r = passphrase_ask(vol, prompt, &pass);
		if (r == 0)
			r = plain_open_with(vol, dev, pass, true, m);
		if (r == -EBADMSG)
			wrong_passphrase_say(vol, i + 1);
		if (r != -EAGAIN && r != -EBADMSG)
			return r;
	}
	return r;
}

/* While the background loader finds the disks, load what the boot is known to need. */
static void boot_modules_preload(const struct boot_config *cfg, struct modules *m)
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

/* systemd: a volume without a key file takes NAME.key from /run/cryptsetup-keys.d/ or
 * /etc/cryptsetup-keys.d/ when the image has one there. */
static const struct boot_volume *volume_with_default_key(const struct boot_volume *vol, struct boot_volume *copy)
{
	static const char *const dirs[] = { "/run/cryptsetup-keys.d", "/etc/cryptsetup-keys.d" };

	if (vol->key_file[0] || vol->swap)
		return vol;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char path[BOOT_PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s.key", dirs[i], vol->name) >= (int)sizeof(path) || access(path, R_OK) < 0)
			continue;
		*copy = *vol;
		snprintf(copy->key_file, sizeof(copy->key_file), "%s", path);
		log_debug("%s: using the key file %s", vol->name, path);
		return copy;
	}
	return vol;
}

/* What the background loader's hold function looks at (see hotplug_hold_fn). */
static const struct boot_config *boot_cfg;
static atomic_int other_device_waits;

static bool device_present(const char *spec)
{
	char path[BOOT_PATH_MAX];

	return device_find(spec, path, sizeof(path)) == 0;
}

/* The volume's device, and the devices its header and key are on. */
static bool volume_devices_present(const struct boot_volume *vol)
{
	const char *header_device = header_device_spec(vol);

	if (vol->noauto || vol->tmp)
		return true;
	return device_present(vol->device) && (!header_device || device_present(header_device)) &&
	       (key_in_image(vol) || device_present(vol->key_raw ? vol->key_file : vol->key_device));
}

static int block_devices_count(void)
{
	DIR *d = opendir("/sys/class/block");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Called from the loader's thread only: the answer is kept until the set of block devices changes. */
static bool boot_waits_for_no_device(void)
{
	static int counted = -2;
	static bool all_present;
	int n;

	if (!boot_cfg || !boot_cfg->luks_enabled || boot_cfg->n_volumes == 0 || atomic_load(&other_device_waits) > 0)
		return false;
	n = block_devices_count();
	if (n != counted) {
		all_present = n >= 0;
		for (int i = 0; all_present && i < boot_cfg->n_volumes; i++)
			all_present = volume_devices_present(&boot_cfg->volumes[i]);
		counted = n;
	}
	return all_present;
}

#define STACK_RETRY_SEC 2

/* A device that may be an LVM logical volume or lie on an MD array: assembling is tried again
 * while waiting, whenever new members have appeared (a disk found late, an encrypted volume just
 * opened). */
static int device_wait_stacked(const char *spec, int timeout_sec, struct modules *m, char *path, size_t size)
{
	long long deadline = monotonic_ms() + (long long)timeout_sec * 1000;

	if (!stack_tools_present() || device_find(spec, path, size) == 0)
		return device_wait(spec, timeout_sec, path, size);
	for (;;) {
		int step = STACK_RETRY_SEC, r;
		stack_assemble_for(spec, m);
		if (timeout_sec > 0) {
			long long left = (deadline - monotonic_ms() + 999) / 1000;
			if (left <= 0)
				return -ETIMEDOUT;
			step = (int)MIN((long long)step, left);
		}
		r = device_wait(spec, step, path, size);
		if (r != -ETIMEDOUT)
			return r;
	}
}

/* A wait for a device that is not one of the volumes' (root, resume): the loader must not hold. */
static int other_device_wait(const char *spec, int timeout_sec, struct modules *m, char *path, size_t size)
{
	int r;

	if (device_find(spec, path, size) == 0)
		return 0;
	atomic_fetch_add(&other_device_waits, 1);
	hotplug_wake(hotplug);
	r = device_wait_stacked(spec, timeout_sec, m, path, size);
	atomic_fetch_sub(&other_device_waits, 1);
	return r;
}

/* One volume: its device waited for, then opened as its options say. */
static int volume_open_as_configured(const struct boot_volume *vol, struct modules *m, struct passcache *typed, char *dev,
				     size_t size)
{
	int r;

	if (vol->unsupported[0])
		return log_error_ret(-EOPNOTSUPP, "%s: %s", vol->name, vol->unsupported);
	r = device_wait_stacked(vol->device, volume_wait_timeout(vol), m, dev, size);
	if (r == -ETIMEDOUT) {
		log_error("%s: device %s did not appear within %d s", vol->name, vol->device, volume_wait_timeout(vol));
		stack_explain_missing(vol->device);
	}
	if (r < 0)
		return r;
	if (vol->precheck[0] && (r = content_precheck(vol->name, dev, vol->precheck)) < 0)
		return r;
	if (vol->swap)
		return swap_volume_open(vol, dev, m);
	if (vol->plain)
		return plain_volume_open(vol, dev, m);
	r = boot_volume_open(vol, dev, m, typed);
	return r == 0 ? volume_content_check(vol) : r;
}

/* The passphrases typed this boot: tried on the next volumes, then handed to the real system. */
static struct passcache typed;

static int volumes_open(const struct boot_config *cfg, struct modules *m)
{
	for (int i = 0; i < cfg->n_volumes; i++) {
		struct boot_volume with_key;
		const struct boot_volume *vol = volume_with_default_key(&cfg->volumes[i], &with_key);
		char dev[BOOT_PATH_MAX];
		int r;
		if (vol->noauto)
			continue;
		if (vol->tmp) {
			log_info("%s: a tmp volume; the system sets it up after boot", vol->name);
			continue;
		}
		r = volume_open_as_configured(vol, m, &typed, dev, sizeof(dev));
		key_file_erase(vol);
		if (r == 0) {
			log_info("%s: opened as /dev/mapper/%s", dev, vol->name);
			continue;
		}
		if (vol->nofail) {
			log_warning("%s: could not be opened; continuing because it is marked nofail", vol->name);
			continue;
		}
		return log_error_ret(r, "%s: could not be opened", vol->name);
	}
	return 0;
}

/* A root= that never appears: say what the opened volumes hold. A volume group or RAID array
 * inside one (Debian's "encrypted LVM") needs a tool the image may lack; a mistyped UUID is
 * corrected by the one shown. */
static void root_missing_explain(const struct boot_config *cfg)
{
	for (int i = 0; cfg->luks_enabled && i < cfg->n_volumes; i++) {
		char path[sizeof(cfg->volumes[i].name) + 16], type[64], uuid[64];
		snprintf(path, sizeof(path), "/dev/mapper/%s", cfg->volumes[i].name);
		if (access(path, F_OK) < 0 || device_fstype(path, type, sizeof(type)) < 0 || strcmp(type, "swap") == 0)
			continue;
		if (stack_member_type(type) && stack_can_assemble(type))
			continue; /* stack_explain_missing said what the tool knows */
		if (stack_member_type(type))
			log_error("%s holds an %s, but this image has no %s to activate it: build the image with "
				  "unlock-mkinitrd --tool %s", path, stack_member_type(type), stack_tool_name(type),
				  stack_tool_name(type));
		else if (device_uuid(path, uuid, sizeof(uuid)) == 0)
			log_error("%s holds %s with UUID=%s; if that is the root filesystem, boot with root=UUID=%s",
				  path, type, uuid, uuid);
	}
}

static int root_mount(const struct boot_config *cfg, struct modules *m)
{
	char dev[BOOT_PATH_MAX], type[64];
	unsigned long flags = cfg->root_read_write ? 0 : MS_RDONLY;
	int r;

	if (!cfg->root[0])
		return log_error_ret(-EINVAL, "no root= on the kernel command line");
	r = other_device_wait(cfg->root, cfg->timeout_sec, m, dev, sizeof(dev));
	if (r == -ENODEV)
		return r;
	if (r < 0) {
		log_error("root device %s did not appear within %d s", cfg->root, cfg->timeout_sec);
		stack_explain_missing(cfg->root);
		root_missing_explain(cfg);
		return r;
	}
	if (cfg->rootfstype[0])
		snprintf(type, sizeof(type), "%s", cfg->rootfstype);
	else if (device_fstype(dev, type, sizeof(type)) < 0)
		return log_error_ret(-ENOENT, "%s: no filesystem found on the root device", dev);
	fs_drivers_wait();
	modules_load_for_fs(m, type);
	mkdir(SYSROOT, 0755);
	if (mount(dev, SYSROOT, type, flags, cfg->rootflags[0] ? cfg->rootflags : NULL) < 0)
		return log_error_ret(-errno, "cannot mount root %s (%s) on %s: %s", dev, type, SYSROOT, strerror(errno));
	log_debug("root %s (%s) mounted on %s", dev, type, SYSROOT);
	return 0;
}

/* Deletes the initramfs contents (rootfs on the same device), freeing its memory before handing over. */
static void remove_tree(int dirfd, dev_t root_dev)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != root_dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				remove_tree(sub, root_dev);
			unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, e->d_name, 0);
		}
	}
	closedir(d);
}

static int switch_root(const struct boot_config *cfg, char **argv)
{
	static const char *const moves[] = { "/dev", "/proc", "/sys", "/run" };
	static char init[BOOT_PATH_MAX];
	char target[BOOT_PATH_MAX + 16];
	struct stat st;
	int fd;

	/* The default is looked for as the kernel would; an init= given must be there. */
	if (sysroot_find_init(SYSROOT, strcmp(cfg->init, "/sbin/init") == 0 ? NULL : cfg->init, init, sizeof(init)) < 0)
		return -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(moves); i++) {
		snprintf(target, sizeof(target), SYSROOT "%s", moves[i]);
		if (mount(moves[i], target, NULL, MS_MOVE, NULL) < 0)
			umount2(moves[i], MNT_DETACH);
	}
	if (chdir(SYSROOT) < 0 || stat("/", &st) < 0)
		return log_error_ret(-errno, "cannot enter %s: %s", SYSROOT, strerror(errno));
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		remove_tree(fd, st.st_dev);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return log_error_ret(-errno, "cannot switch to the root filesystem: %s", strerror(errno));
	argv[0] = init;
	execv(init, argv);
	return log_error_ret(-errno, "cannot start %s: %s", init, strerror(errno));
}

/* What the real system's udev, systemd-cryptsetup and GDM take over from the boot. */
static void system_hand_over(void)
{
	int r;

	udevdb_hand_over();
	if ((r = passcache_hand_over(&typed)) < 0)
		log_warning("cannot leave the typed passphrases in the kernel keyring for the system: %s; "
			    "volumes it opens later ask again", strerror(-r));
	passcache_clear(&typed);
}

static void emergency(const char *what)
{
	char msg[512];

	passcache_clear(&typed);
	consoles_refresh();
	snprintf(msg, sizeof(msg),
		 "\nunlock: boot failed: %s.\n"
		 "unlock: check the passphrase, key file, crypttab and root= on the kernel command line.\n",
		 what);
	consoles_write(&consoles, msg);
	if (access("/bin/sh", X_OK) == 0) {
		consoles_write(&consoles, "unlock: starting an emergency shell on /dev/console; reboot with Ctrl-Alt-Del.\n");
		execl("/bin/sh", "sh", (char *)NULL);
	}
	consoles_write(&consoles, "unlock: no shell in this image; press Ctrl-Alt-Del to reboot.\n");
	reboot(RB_ENABLE_CAD);
	for (;;)
		pause();
}

int init_main(int argc, char **argv)
{
	static struct boot_config cfg;
	struct modules *m = NULL;
	int r;

	(void)argc;
	mount_api_filesystems();
	console_attach();
	consoles_open(&consoles);
	if (boot_config_load(&cfg) < 0)
		emergency("the boot configuration could not be read");
	boot_timeout_sec = cfg.timeout_sec;
	if (cfg.debug) {
		log_set_max_level(LOG_LEVEL_DEBUG);
		log_set_uptime(true);
	}
	boot_cfg = &cfg;
	if (hotplug_start(&hotplug, boot_waits_for_no_device) < 0)
		log_error("cannot load device drivers in the background; only built-in drivers are available");
	log_set_sink(log_to_consoles);
	log_debug("started: %d volume(s) to open, root=%s", cfg.luks_enabled ? cfg.n_volumes : 0, cfg.root);
	modules_open_nowait(&m);
	boot_modules_preload(&cfg, m);
	if (cfg.debug_shell)
		emergency("rd.break/rd.shell was given");
	r = cfg.luks_enabled ? volumes_open(&cfg, m) : 0;
	if (r < 0)
		emergency("an encrypted volume could not be opened");
	/* Resume only after its (encrypted) device is open, and before root is touched. */
	if (cfg.resume[0]) {
		char dev[BOOT_PATH_MAX];
		if (other_device_wait(cfg.resume, 5, m, dev, sizeof(dev)) == 0) {
			swap_resume_from(dev);
		} else {
			log_warning("resume device %s not found; booting normally", cfg.resume);
			stack_explain_missing(cfg.resume);
		}
	}
	if (root_mount(&cfg, m) < 0)
		emergency("the root filesystem could not be mounted");
	modules_close(m);
	hotplug_stop(hotplug);
	system_hand_over();
	log_debug("handing over to %s", cfg.init);
	log_set_sink(NULL);
	consoles_close(&consoles);
	switch_root(&cfg, argv);
	emergency("could not hand over to the real init");
	return 1;
}
