/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/timespan.h"
#include "base/util.h"
#include "boot/boot.h"
#include "crypto/secret.h"
#include "luks/luks.h"

#define CRYPTTAB_LINE_MAX 1024

/* Options that only matter to other tools, or that need nothing from us at boot (Debian's noearly,
 * loud and quiet concern its init scripts, not the initramfs; tpm2-pcrs= only narrows which of
 * the header's TPM2 tokens systemd tries, and unlock tries them all). */
static const char *const accepted_options[] = {
	"luks", "password-echo", "noearly", "loud", "quiet", "tpm2-pcrs",
};

/* Devices a key file may name that are read as files: random number sources (swap, tmp). */
static bool key_is_character_device(const char *path)
{
	static const char *const devices[] = { "/dev/urandom", "/dev/random", "/dev/hw_random", "/dev/hwrng", "/dev/null" };

	for (size_t i = 0; i < ARRAY_SIZE(devices); i++)
		if (strcmp(path, devices[i]) == 0)
			return true;
	return false;
}

static bool is_device_spec(const char *spec)
{
	static const char *const tags[] = { "UUID=", "PARTUUID=", "LABEL=", "PARTLABEL=" };

	for (size_t i = 0; i < ARRAY_SIZE(tags); i++)
		if (strncmp(spec, tags[i], strlen(tags[i])) == 0 && spec[strlen(tags[i])])
			return true;
	return spec[0] == '/' && spec[1];
}

static bool copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len == 0 || len >= size)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

static void key_location_clear(struct boot_volume *vol)
{
	vol->key_file[0] = vol->key_device[0] = vol->key_fstype[0] = '\0';
	vol->key_raw = false;
}

bool boot_volume_set_key(struct boot_volume *vol, const char *spec)
{
	/* systemd splits at the last ':' when what follows names a device; else the colon is the path's. */
	const char *colon = strrchr(spec, ':');
	bool on_device = colon && is_device_spec(colon + 1);
	size_t path_len = on_device ? (size_t)(colon - spec) : strlen(spec);

	key_location_clear(vol);
	if (spec[0] != '/' || !copy_field(vol->key_file, sizeof(vol->key_file), spec, path_len))
		return false;
	if (on_device)
		return copy_field(vol->key_device, sizeof(vol->key_device), colon + 1, strlen(colon + 1));
	vol->key_raw = strncmp(spec, "/dev/", 5) == 0 && !key_is_character_device(spec);
	return true;
}

/* header=PATH:DEVICE is split as a key's location is; a header without a path (a tag, a device) stays whole. */
static bool boot_volume_set_header(struct boot_volume *vol, const char *spec)
{
	const char *colon = strrchr(spec, ':');
	bool on_device = spec[0] == '/' && colon && is_device_spec(colon + 1);
	size_t path_len = on_device ? (size_t)(colon - spec) : strlen(spec);

	vol->header[0] = vol->header_device[0] = '\0';
	if (!copy_field(vol->header, sizeof(vol->header), spec, path_len))
		return false;
	return !on_device || copy_field(vol->header_device, sizeof(vol->header_device), colon + 1, strlen(colon + 1));
}

bool boot_volume_set_cryptkey(struct boot_volume *vol, const char *spec)
{
	const char *last = strrchr(spec, ':'), *middle;
	uint64_t offset, size;

	key_location_clear(vol);
	if (strncmp(spec, "rootfs:", 7) == 0)
		return spec[7] == '/' && copy_field(vol->key_file, sizeof(vol->key_file), spec + 7, strlen(spec + 7));
	if (!last || last == spec)
		return false;
	for (middle = last - 1; middle > spec && *middle != ':'; middle--)
		;
	if (middle == spec || !copy_field(vol->key_file, sizeof(vol->key_file), spec, (size_t)(middle - spec)))
		return false;
	if (parse_u64(last + 1, &size) == 0 && size > 0 && size <= SECRET_MAX) {
		char number[24];
		/* DEVICE:OFFSET:SIZE, the key's bytes on the raw device */
		if (!copy_field(number, sizeof(number), middle + 1, (size_t)(last - middle - 1)) || parse_u64(number, &offset) < 0)
			return false;
		vol->key_raw = true;
		vol->keyfile_offset = offset;
		vol->keyfile_size = size;
		return true;
	}
	/* DEVICE:FSTYPE:PATH */
	if (last[1] != '/' || !copy_field(vol->key_fstype, sizeof(vol->key_fstype), middle + 1, (size_t)(last - middle - 1)))
		return false;
	memcpy(vol->key_device, vol->key_file, sizeof(vol->key_device));
	return copy_field(vol->key_file, sizeof(vol->key_file), last + 1, strlen(last + 1));
}

/* systemd's parse_boolean */
static int parse_boolean(const char *value)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" }, *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; value && i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(value, yes[i]) == 0)
			return 1;
		if (strcasecmp(value, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

static bool option_number(const char *value, uint64_t max, uint64_t *out)
{
	return value && parse_u64(value, out) == 0 && *out <= max;
}

/* A boolean option: alone it means yes; with a value, one of systemd's booleans. */
static bool option_boolean(const char *value, bool *out)
{
	int b = value ? parse_boolean(value) : 1;

	if (b < 0)
		return false;
	*out = b == 1;
	return true;
}

/* systemd's tpm2-measure-pcr=: a PCR number, or a boolean (yes: PCR 15, the system identity's). */
static bool option_measure_pcr(const char *value, int *pcr)
{
	uint64_t n;
	bool on;

	if (option_number(value, 23, &n))
		return *pcr = (int)n, true;
	if (!option_boolean(value, &on))
		return false;
	*pcr = on ? 15 : -1;
	return true;
}

/* tpm2-measure-bank=sha256:sha1; given again, its banks are added (systemd's strv_extend). */
static bool option_measure_banks(const char *value, char *banks, size_t size)
{
	static const char *const known[] = { "sha1", "sha256", "sha384", "sha512" };
	char list[64], *save = NULL;
	size_t used = strlen(banks);

	if (!value || !*value || strlen(value) >= sizeof(list))
		return false;
	snprintf(list, sizeof(list), "%s", value);
	for (char *b = strtok_r(list, ":", &save); b; b = strtok_r(NULL, ":", &save)) {
		size_t i = 0;
		while (i < ARRAY_SIZE(known) && strcasecmp(b, known[i]) != 0)
			i++;
		if (i == ARRAY_SIZE(known) || used + strlen(known[i]) + 2 > size)
			return false;
		used += (size_t)snprintf(banks + used, size - used, "%s%s", used ? ":" : "", known[i]);
	}
	return true;
}

static bool crypttab_flag_option(struct boot_volume *vol, const char *name)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} flags[] = {
		{ "discard", LUKS_FLAG_ALLOW_DISCARDS },
		{ "same-cpu-crypt", LUKS_FLAG_SAME_CPU_CRYPT },
		{ "submit-from-crypt-cpus", LUKS_FLAG_SUBMIT_FROM_CRYPT_CPUS },
		{ "no-read-workqueue", LUKS_FLAG_NO_READ_WORKQUEUE },
		{ "no-write-workqueue", LUKS_FLAG_NO_WRITE_WORKQUEUE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (strcmp(name, flags[i].name) == 0) {
			vol->flags |= flags[i].flag;
			return true;
		}
	return false;
}

static bool option_password_cache(const char *value, enum password_cache *out)
{
	bool on;

	if (value && strcmp(value, "read-only") == 0)
		return *out = PASSWORD_CACHE_READ_ONLY, true;
	if (!value || !option_boolean(value, &on))
		return false;
	*out = on ? PASSWORD_CACHE_YES : PASSWORD_CACHE_NO;
	return true;
}

static bool crypttab_value_option(struct boot_volume *vol, const char *name, const char *value)
{
	uint64_t n;

	if (strcmp(name, "header") == 0 && value)
		return boot_volume_set_header(vol, value);
	if (strcmp(name, "keyfile-offset") == 0 && option_number(value, INT64_MAX, &n))
		return vol->keyfile_offset = n, true;
	if (strcmp(name, "keyfile-size") == 0 && option_number(value, 8u << 20, &n))
		return vol->keyfile_size = n, true;
	if ((strcmp(name, "key-slot") == 0 || strcmp(name, "keyslot") == 0) && option_number(value, LUKS_KEYSLOTS_MAX - 1, &n))
		return vol->key_slot = (int)n, true;
	if (strcmp(name, "tries") == 0 && option_number(value, 1000, &n))
		return vol->tries = (int)n, true;
	if (strcmp(name, "timeout") == 0 && value && parse_time_span_sec(value, &vol->prompt_timeout_sec) == 0)
		return true;
	if (strcmp(name, "headless") == 0)
		return option_boolean(value, &vol->headless);
	if (strcmp(name, "try-empty-password") == 0)
		return option_boolean(value, &vol->try_empty_password);
	if (strcmp(name, "keyfile-erase") == 0)
		return option_boolean(value, &vol->keyfile_erase);
	if (strcmp(name, "password-cache") == 0)
		return option_password_cache(value, &vol->password_cache);
	if (strcmp(name, "keyfile-timeout") == 0 && value && parse_time_span_sec(value, &vol->keyfile_timeout_sec) == 0)
		return true;
	if (strcmp(name, "x-systemd.device-timeout") == 0 && value && parse_time_span_sec(value, &vol->timeout_sec) == 0)
		return true;
	if (strcmp(name, "cipher") == 0 && value && strlen(value) < sizeof(vol->cipher)) {
		snprintf(vol->cipher, sizeof(vol->cipher), "%s", value);
		return true;
	}
	if (strcmp(name, "hash") == 0 && value && *value && strlen(value) < sizeof(vol->hash)) {
		snprintf(vol->hash, sizeof(vol->hash), "%s", value);
		return true;
	}
	if (strcmp(name, "size") == 0 && option_number(value, LUKS_KEY_MAX * 8, &n) && n % 8 == 0 && n > 0)
		return vol->key_bits = (uint32_t)n, true;
	if (strcmp(name, "offset") == 0 && option_number(value, UINT64_MAX / 512, &n))
		return vol->offset = n, true;
	if (strcmp(name, "skip") == 0 && option_number(value, UINT64_MAX / 512, &n))
		return vol->skip = n, true;
	if (strcmp(name, "tpm2-device") == 0 && value && *value && strlen(value) < sizeof(vol->tpm2_device))
		return snprintf(vol->tpm2_device, sizeof(vol->tpm2_device), "%s", value), true;
	if (strcmp(name, "pkcs11-uri") == 0 && value && (strcmp(value, "auto") == 0 || strncmp(value, "pkcs11:", 7) == 0) &&
	    strlen(value) < sizeof(vol->pkcs11_uri))
		return snprintf(vol->pkcs11_uri, sizeof(vol->pkcs11_uri), "%s", value), true;
	if (strcmp(name, "tpm2-signature") == 0 && value && value[0] == '/' && strlen(value) < sizeof(vol->tpm2_signature))
		return snprintf(vol->tpm2_signature, sizeof(vol->tpm2_signature), "%s", value), true;
	if (strcmp(name, "tpm2-pcrlock") == 0 && value && value[0] == '/' && strlen(value) < sizeof(vol->tpm2_pcrlock))
		return snprintf(vol->tpm2_pcrlock, sizeof(vol->tpm2_pcrlock), "%s", value), true;
	if (strcmp(name, "token-timeout") == 0 && value && parse_time_span_sec(value, &vol->token_timeout_sec) == 0)
		return true;
	if (strcmp(name, "tpm2-measure-pcr") == 0)
		return option_measure_pcr(value, &vol->tpm2_measure_pcr);
	if (strcmp(name, "tpm2-measure-bank") == 0)
		return option_measure_banks(value, vol->tpm2_measure_banks, sizeof(vol->tpm2_measure_banks));
	if (strcmp(name, "tpm2-pin") == 0)
		return option_boolean(value, &(bool){ false }); /* a LUKS2 token says itself whether it has a PIN */
	if (strcmp(name, "sector-size") == 0 && option_number(value, 4096, &n))
		return true; /* LUKS headers carry their own sector size */
	return false;
}

/*
 * Debian's keyscript= runs a program for the key, with the key field as its argument. unlock runs
 * none. decrypt_keyctl only shares one typed passphrase among volumes, which unlock does for every
 * volume (see passcache.h), so its key field is a name, not a file. passdev reads a key file from a
 * device, which unlock does itself (crypttab_passdev_key). Any other makes the volume one unlock
 * cannot open, said at boot rather than mistaking the argument for a key file.
 */
static void crypttab_keyscript(struct boot_volume *vol, const char *script)
{
	const char *base = strrchr(script, '/');

	base = base ? base + 1 : script;
	if (strcmp(base, "decrypt_keyctl") == 0) {
		vol->key_is_name = true;
		return;
	}
	if (strcmp(base, "passdev") == 0) {
		vol->key_passdev = true;
		return;
	}
	snprintf(vol->unsupported, sizeof(vol->unsupported),
		 "keyscript=%.60s: unlock runs no key scripts; give a key file, PATH:DEVICE or none instead", script);
}

/* Debian's check= and precheck= (see content_check.h); a check program unlock cannot do makes the
 * volume one it does not open, since the check guards against mapping the wrong thing. */
static void crypttab_check(struct boot_volume *vol, const char *option, const char *value, char *name, size_t size)
{
	if (!content_check_name(value, name, size))
		snprintf(vol->unsupported, sizeof(vol->unsupported),
			 "%s=%.60s: unlock runs no check programs; use blkid, un_blkid, ext2 or xfs%s", option, value,
			 strcmp(option, "check") == 0 ? " (with checkargs=)" : "");
}

/* Volume types of cryptsetup's that unlock does not open. */
static bool crypttab_unsupported_type(struct boot_volume *vol, const char *name)
{
	static const struct {
		const char *option;
		const char *what;
	} types[] = {
		{ "bitlk", "BitLocker" },
		{ "tcrypt", "TrueCrypt" },
		{ "tcrypt-hidden", "TrueCrypt" },
		{ "tcrypt-system", "TrueCrypt" },
		{ "tcrypt-veracrypt", "VeraCrypt" },
		{ "veracrypt", "VeraCrypt" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (strcmp(name, types[i].option) == 0) {
			snprintf(vol->unsupported, sizeof(vol->unsupported),
				 "%s volumes (%s) are not opened by unlock; open it after boot with cryptsetup",
				 types[i].what, types[i].option);
			return true;
		}
	return false;
}

static bool crypttab_bool_option(struct boot_volume *vol, const char *name)
{
	if (strcmp(name, "readonly") == 0 || strcmp(name, "read-only") == 0)
		return vol->read_only = true;
	if (strcmp(name, "nofail") == 0)
		return vol->nofail = true;
	if (strcmp(name, "noauto") == 0)
		return vol->noauto = true;
	if (strcmp(name, "swap") == 0)
		return vol->swap = true;
	if (strcmp(name, "plain") == 0)
		return vol->plain = true;
	if (strcmp(name, "tmp") == 0)
		return vol->tmp = true;
	if (strcmp(name, "verify") == 0)
		return vol->verify = true;
	if (strcmp(name, "initramfs") == 0 || strcmp(name, "x-initrd.attach") == 0)
		return vol->initramfs = true;
	if (strcmp(name, "_netdev") == 0)
		return vol->netdev = true;
	return false;
}


void crypttab_parse_options(struct boot_volume *vol, const char *options, const char *where)
{
	char buf[CRYPTTAB_LINE_MAX];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", options);
	for (char *opt = strtok_r(buf, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		char *value = strchr(opt, '=');
		bool known = false;
		if (value)
			*value++ = '\0';
		if (crypttab_flag_option(vol, opt) || crypttab_bool_option(vol, opt) ||
		    crypttab_value_option(vol, opt, value) || crypttab_unsupported_type(vol, opt))
			continue;
		if (strcmp(opt, "keyscript") == 0 && value && *value) {
			crypttab_keyscript(vol, value);
			continue;
		}
		if (strcmp(opt, "check") == 0 && (!value || *value)) {
			crypttab_check(vol, opt, value, vol->check, sizeof(vol->check));
			continue;
		}
		if (strcmp(opt, "precheck") == 0 && value && *value) {
			crypttab_check(vol, opt, value, vol->precheck, sizeof(vol->precheck));
			continue;
		}
		if (strcmp(opt, "checkargs") == 0 && value && strlen(value) < sizeof(vol->check_args)) {
			snprintf(vol->check_args, sizeof(vol->check_args), "%s", value);
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(accepted_options); i++)
			known = known || strcmp(opt, accepted_options[i]) == 0;
		if (!known)
			log_warning("%s: %s: ignoring unknown or invalid option \"%s%s%s\"", where, vol->name, opt,
				    value ? "=" : "", value ? value : "");
	}
}

/*
 * passdev's DEVICE:PATH[:TIMEOUT]: PATH on the filesystem of DEVICE (a path), waited for TIMEOUT
 * seconds. That is PATH:DEVICE with keyfile-timeout=TIMEOUT, which asks for the passphrase once the
 * time is up; without TIMEOUT the device is required, as a PATH:DEVICE key is.
 */
static bool crypttab_passdev_key(struct boot_volume *vol, const char *field)
{
	const char *path = strstr(field, ":/"), *last;
	uint64_t timeout;

	key_location_clear(vol);
	if (field[0] != '/' || !path || !copy_field(vol->key_device, sizeof(vol->key_device), field, (size_t)(path - field)))
		return false;
	path++;
	last = strrchr(path, ':');
	if (last && parse_u64(last + 1, &timeout) == 0 && timeout <= 86400) {
		if (timeout > 0)
			vol->keyfile_timeout_sec = (int)timeout;
		return copy_field(vol->key_file, sizeof(vol->key_file), path, (size_t)(last - path));
	}
	return copy_field(vol->key_file, sizeof(vol->key_file), path, strlen(path));
}

static int crypttab_parse_line(struct boot_config *cfg, char *line, const char *where)
{
	char *fields[5] = { 0 };
	char *save = NULL;
	int n = 0;
	bool has_key;
	struct boot_volume vol;
	struct cmdline_luks *d;

	for (char *f = strtok_r(line, " \t", &save); f && n < 5; f = strtok_r(NULL, " \t", &save))
		fields[n++] = f;
	if (n == 0 || fields[0][0] == '#')
		return 0;
	if (n < 2 || n > 4 || strlen(fields[0]) >= sizeof(vol.name) || strchr(fields[0], '/') ||
	    strlen(fields[1]) >= sizeof(vol.device))
		return log_error_ret(-EINVAL, "%s: malformed line (want: NAME DEVICE [KEYFILE [OPTIONS]]), skipped", where);
	/* systemd: with rd.luks.uuid= or rd.luks.name=, only the lines they name; rd.luks.options=UUID=
	 * replaces the line's options; rd.luks.key=UUID= gives a key to a line that has none. */
	d = cmdline_luks_for_crypttab(cfg, fields[0], fields[1]);
	if (cfg->uuids_only && !d) {
		log_info("%s: %s is not opened: the kernel command line names the volumes to open", where, fields[0]);
		return 0;
	}
	boot_volume_init(&vol);
	snprintf(vol.name, sizeof(vol.name), "%s", fields[0]);
	snprintf(vol.device, sizeof(vol.device), "%s", fields[1]);
	if (d && d->has_options)
		crypttab_parse_options(&vol, d->options, "rd.luks.options");
	else if (n == 4)
		crypttab_parse_options(&vol, fields[3], where);
	if ((n < 3 || strcmp(fields[2], "none") == 0 || strcmp(fields[2], "-") == 0) && d && d->key[0]) {
		fields[2] = d->key;
		n = n < 3 ? 3 : n;
	}
	/* With a key script the key field is the script's argument: passdev's names a key on a device. */
	has_key = n >= 3 && strcmp(fields[2], "none") != 0 && strcmp(fields[2], "-") != 0 && !vol.key_is_name &&
		  !vol.unsupported[0];
	if (has_key && vol.key_passdev && !crypttab_passdev_key(&vol, fields[2]))
		return log_error_ret(-EINVAL, "%s: %s: the passdev key \"%s\" is not DEVICE:PATH[:TIMEOUT], skipped", where,
				     fields[0], fields[2]);
	if (has_key && !vol.key_passdev && !boot_volume_set_key(&vol, fields[2]))
		return log_error_ret(-EINVAL, "%s: %s: the key file \"%s\" is neither an absolute path nor PATH:DEVICE, skipped",
				     where, fields[0], fields[2]);
	if (cfg->n_volumes >= BOOT_VOLUMES_MAX)
		return log_error_ret(-ENOSPC, "%s: more than %d volumes, skipped", where, BOOT_VOLUMES_MAX);
	cfg->volumes[cfg->n_volumes++] = vol;
	if (d)
		d->in_crypttab = true;
	return 0;
}

int crypttab_parse(struct boot_config *cfg, const char *text, const char *source)
{
	int line_no = 0;

	for (const char *p = text; *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[CRYPTTAB_LINE_MAX], where[BOOT_PATH_MAX + 16];
		line_no++;
		snprintf(where, sizeof(where), "%s:%d", source, line_no);
		if (len >= sizeof(line))
			log_error("%s: line too long, skipped", where);
		else {
			memcpy(line, p, len);
			line[len] = '\0';
			crypttab_parse_line(cfg, line, where);
		}
		p += len + (end ? 1 : 0);
	}
	return 0;
}
