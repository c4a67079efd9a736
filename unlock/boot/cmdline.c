/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/timespan.h"
#include "base/util.h"
#include "boot/boot.h"
#include "luks/luks.h"

#define CMDLINE_MAX 4096

void boot_volume_init(struct boot_volume *vol)
{
	memset(vol, 0, sizeof(*vol));
	vol->key_slot = -1;
	vol->tries = 3;
	vol->timeout_sec = -1;
	vol->keyfile_timeout_sec = -1;
	vol->token_timeout_sec = 30;
	vol->tpm2_measure_pcr = -1;
}

static void cmdline_timeout(struct boot_config *cfg, const char *key, const char *value)
{
	if (parse_time_span_sec(value, &cfg->timeout_sec) < 0)
		log_warning("%s=%s: not a time span (such as 90, 30s or 2min); waiting %d s for devices", key, value,
			    cfg->timeout_sec);
}

void boot_config_init(struct boot_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->init, sizeof(cfg->init), "/sbin/init");
	cfg->luks_enabled = true;
	cfg->crypttab_enabled = true;
	cfg->timeout_sec = 90;
}

static const char *strip_uuid_prefix(const char *uuid)
{
	if (strncasecmp(uuid, "UUID=", 5) == 0)
		return uuid + 5;
	if (strncmp(uuid, "luks-", 5) == 0)
		return uuid + 5;
	return uuid;
}

static struct cmdline_luks *cmdline_luks_find(struct boot_config *cfg, const char *uuid)
{
	for (int i = 0; i < cfg->n_luks; i++)
		if (strcasecmp(cfg->luks[i].uuid, uuid) == 0)
			return &cfg->luks[i];
	return NULL;
}

/* The command line's entry for a UUID, made on its first mention. */
static struct cmdline_luks *cmdline_luks_entry(struct boot_config *cfg, const char *uuid)
{
	const char *plain = strip_uuid_prefix(uuid);
	struct cmdline_luks *d = cmdline_luks_find(cfg, plain);

	if (d)
		return d;
	if (cfg->n_luks >= BOOT_VOLUMES_MAX || !*plain || strlen(plain) >= sizeof(d->uuid) || strchr(plain, '/')) {
		log_warning("kernel command line: ignoring volume \"%s\"", uuid);
		return NULL;
	}
	d = &cfg->luks[cfg->n_luks++];
	memset(d, 0, sizeof(*d));
	snprintf(d->uuid, sizeof(d->uuid), "%s", plain);
	return d;
}

struct cmdline_luks *cmdline_luks_for_crypttab(struct boot_config *cfg, const char *name, const char *device)
{
	const char *uuid = NULL;

	if (strncmp(device, "UUID=", 5) == 0)
		uuid = device + 5;
	else if (strncmp(device, "/dev/disk/by-uuid/", 18) == 0)
		uuid = device + 18;
	else if (strncmp(name, "luks-", 5) == 0)
		uuid = name + 5;
	return uuid && *uuid ? cmdline_luks_find(cfg, uuid) : NULL;
}

static void copy_value(char *dst, size_t size, const char *value, const char *key)
{
	if (strlen(value) >= size)
		log_warning("kernel command line: %s value too long, truncated", key);
	snprintf(dst, size, "%s", value);
}

/* "UUID=VALUE" forms of rd.luks.name/key/options: split at the first '='. */
static bool split_uuid_value(char *text, char **uuid, char **value)
{
	char *eq = strchr(text, '=');

	if (!eq)
		return false;
	*eq = '\0';
	*uuid = text;
	*value = eq + 1;
	return true;
}

/* systemd: rd.luks.key= names a UUID when letters, digits and dashes come before its first '='. */
static bool key_names_uuid(const char *value)
{
	size_t n = 0;

	while (isalnum((unsigned char)value[n]) || value[n] == '-')
		n++;
	return n > 0 && value[n] == '=';
}

/* systemd: rd.luks.options= names a UUID when hex digits and dashes come before its first '='
 * (an option's own '=', as in tries=3, is no UUID). */
static bool options_name_uuid(const char *value)
{
	size_t hex = strspn(value, "0123456789abcdefABCDEF-");

	return hex > 0 && value[hex] == '=' && value[hex + 1] != '\0';
}

static void cmdline_luks_option(struct boot_config *cfg, const char *key, char *value)
{
	struct cmdline_luks *d;
	char *uuid, *rest;

	if (strcmp(key, "luks") == 0) {
		cfg->luks_enabled = strcmp(value, "0") != 0 && strcasecmp(value, "no") != 0;
	} else if (strcmp(key, "luks.crypttab") == 0) {
		cfg->crypttab_enabled = strcmp(value, "0") != 0 && strcasecmp(value, "no") != 0;
	} else if (strcmp(key, "luks.uuid") == 0) {
		if ((d = cmdline_luks_entry(cfg, value)))
			d->create = cfg->uuids_only = true;
	} else if (strcmp(key, "luks.name") == 0 && split_uuid_value(value, &uuid, &rest)) {
		if (!*rest || strlen(rest) >= sizeof(d->name) || strchr(rest, '/'))
			log_warning("kernel command line: rd.luks.name=%s=%s is not a volume name; ignored", uuid, rest);
		else if ((d = cmdline_luks_entry(cfg, uuid))) {
			d->create = cfg->uuids_only = true;
			snprintf(d->name, sizeof(d->name), "%s", rest);
		}
	} else if (strcmp(key, "luks.key") == 0) {
		/* rd.luks.key=PATH[:DEVICE] for the volumes the command line makes, whatever its place;
		 * UUID=PATH[:DEVICE] for one, which does not make it. */
		if (key_names_uuid(value) && split_uuid_value(value, &uuid, &rest)) {
			if ((d = cmdline_luks_entry(cfg, uuid)))
				copy_value(d->key, sizeof(d->key), rest, "rd.luks.key");
		} else {
			copy_value(cfg->default_key, sizeof(cfg->default_key), value, "rd.luks.key");
		}
	} else if (strcmp(key, "luks.options") == 0) {
		if (options_name_uuid(value) && split_uuid_value(value, &uuid, &rest)) {
			if ((d = cmdline_luks_entry(cfg, uuid))) {
				copy_value(d->options, sizeof(d->options), rest, "rd.luks.options");
				d->has_options = true;
			}
		} else {
			copy_value(cfg->default_options, sizeof(cfg->default_options), value, "rd.luks.options");
			cfg->has_default_options = true;
		}
	} else if (strcmp(key, "luks.timeout") == 0) {
		cmdline_timeout(cfg, "rd.luks.timeout", value);
	}
}

static void cmdline_volume_key(struct boot_volume *vol, const char *value)
{
	if (!boot_volume_set_key(vol, value))
		log_warning("kernel command line: rd.luks.key=%s is not PATH or PATH:DEVICE; ignored", value);
}

/* The volumes only the command line names (rd.luks.uuid=, rd.luks.name=), after crypttab's: their
 * own key and options, else rd.luks.key= and rd.luks.options= without a UUID. */
void boot_config_finish(struct boot_config *cfg)
{
	for (int i = 0; i < cfg->n_luks; i++) {
		const struct cmdline_luks *d = &cfg->luks[i];
		struct boot_volume vol;
		if (!d->create || d->in_crypttab)
			continue;
		if (cfg->n_volumes >= BOOT_VOLUMES_MAX) {
			log_warning("kernel command line: more than %d volumes; ignoring %s", BOOT_VOLUMES_MAX, d->uuid);
			continue;
		}
		boot_volume_init(&vol);
		vol.from_cmdline = true;
		snprintf(vol.device, sizeof(vol.device), "UUID=%s", d->uuid);
		if (d->name[0])
			snprintf(vol.name, sizeof(vol.name), "%s", d->name);
		else
			snprintf(vol.name, sizeof(vol.name), "luks-%s", d->uuid);
		if (d->has_options)
			crypttab_parse_options(&vol, d->options, "rd.luks.options");
		else if (cfg->has_default_options)
			crypttab_parse_options(&vol, cfg->default_options, "rd.luks.options");
		if (d->key[0] || cfg->default_key[0])
			cmdline_volume_key(&vol, d->key[0] ? d->key : cfg->default_key);
		cfg->volumes[cfg->n_volumes++] = vol;
	}
}

/* mkinitcpio's encrypt hook: cryptdevice=DEVICE:NAME[:allow-discards] */
static void cmdline_cryptdevice(struct boot_config *cfg, char *value)
{
	char *name = strchr(value, ':'), *options;
	struct boot_volume *vol;

	if (!name || cfg->n_volumes >= BOOT_VOLUMES_MAX) {
		log_warning("kernel command line: cryptdevice=%s is not DEVICE:NAME[:OPTIONS]; ignored", value);
		return;
	}
	*name++ = '\0';
	options = strchr(name, ':');
	if (options)
		*options++ = '\0';
	if (!*value || !*name || strlen(name) >= sizeof(vol->name) || strchr(name, '/')) {
		log_warning("kernel command line: invalid cryptdevice=; ignored");
		return;
	}
	vol = &cfg->volumes[cfg->n_volumes++];
	boot_volume_init(vol);
	vol->from_cmdline = true;
	copy_value(vol->device, sizeof(vol->device), value, "cryptdevice");
	copy_value(vol->name, sizeof(vol->name), name, "cryptdevice");
	if (options && strstr(options, "allow-discards"))
		vol->flags |= LUKS_FLAG_ALLOW_DISCARDS;
	cfg->uuids_only = true;
	if (cfg->crypt_key[0])
		boot_volume_set_cryptkey(vol, cfg->crypt_key);
}

/* cryptkey= for the cryptdevice= volumes, whichever comes first on the command line. */
static void cmdline_cryptkey(struct boot_config *cfg, const char *value)
{
	struct boot_volume probe;

	boot_volume_init(&probe);
	if (strlen(value) >= sizeof(cfg->crypt_key) || !boot_volume_set_cryptkey(&probe, value)) {
		log_warning("kernel command line: cryptkey=%s is not rootfs:PATH, DEVICE:FSTYPE:PATH or DEVICE:OFFSET:SIZE; ignored",
			    value);
		return;
	}
	copy_value(cfg->crypt_key, sizeof(cfg->crypt_key), value, "cryptkey");
	for (int i = 0; i < cfg->n_volumes; i++)
		if (!cfg->volumes[i].key_file[0])
			boot_volume_set_cryptkey(&cfg->volumes[i], cfg->crypt_key);
}

static void cmdline_word(struct boot_config *cfg, char *word)
{
	char *value = strchr(word, '=');
	const char *key = word;

	if (value)
		*value++ = '\0';
	else
		value = word + strlen(word);
	if (strcmp(key, "root") == 0)
		copy_value(cfg->root, sizeof(cfg->root), value, key);
	else if (strcmp(key, "rootfstype") == 0)
		copy_value(cfg->rootfstype, sizeof(cfg->rootfstype), value, key);
	else if (strcmp(key, "rootflags") == 0)
		copy_value(cfg->rootflags, sizeof(cfg->rootflags), value, key);
	else if (strcmp(key, "init") == 0)
		copy_value(cfg->init, sizeof(cfg->init), value, key);
	else if (strcmp(key, "resume") == 0)
		copy_value(cfg->resume, sizeof(cfg->resume), value, key);
	else if (strcmp(key, "rw") == 0)
		cfg->root_read_write = true;
	else if (strcmp(key, "ro") == 0)
		cfg->root_read_write = false;
	else if (strcmp(key, "cryptdevice") == 0)
		cmdline_cryptdevice(cfg, value);
	else if (strcmp(key, "cryptkey") == 0)
		cmdline_cryptkey(cfg, value);
	else if (strcmp(key, "rd.timeout") == 0)
		cmdline_timeout(cfg, key, value);
	else if (strcmp(key, "rd.break") == 0 || strcmp(key, "rd.shell") == 0)
		cfg->debug_shell = true;
	else if (strcmp(key, "rd.debug") == 0)
		cfg->debug = true;
	else if (strncmp(key, "rd.luks", 7) == 0)
		cmdline_luks_option(cfg, key + 3, value);
	else if (strncmp(key, "luks", 4) == 0)
		cmdline_luks_option(cfg, key, value);
}

/* Splits at blanks; double quotes group words, as the kernel does. */
int cmdline_parse(struct boot_config *cfg, const char *text)
{
	char word[CMDLINE_MAX];
	size_t n = 0;
	bool quoted = false;

	if (strlen(text) >= CMDLINE_MAX)
		return log_error_ret(-E2BIG, "kernel command line too long");
	for (const char *p = text;; p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (*p && (quoted || !isspace((unsigned char)*p))) {
			word[n++] = *p;
			continue;
		}
		word[n] = '\0';
		if (n > 0)
			cmdline_word(cfg, word);
		n = 0;
		if (!*p)
			break;
	}
	return 0;
}
