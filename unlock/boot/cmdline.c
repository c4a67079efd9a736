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

struct boot_volume *boot_volume_find(struct boot_config *cfg, const char *uuid)
{
	const char *want = strip_uuid_prefix(uuid);

	for (int i = 0; i < cfg->n_volumes; i++) {
		const char *dev = cfg->volumes[i].device;
		if (strncasecmp(dev, "UUID=", 5) == 0 && strcasecmp(dev + 5, want) == 0)
			return &cfg->volumes[i];
	}
	return NULL;
}

/* The volume for rd.luks.uuid=/name=/key=/options=, created on first mention. */
static struct boot_volume *volume_for_uuid(struct boot_config *cfg, const char *uuid)
{
	struct boot_volume *vol = boot_volume_find(cfg, uuid);
	const char *plain = strip_uuid_prefix(uuid);

	if (vol)
		return vol;
	if (cfg->n_volumes >= BOOT_VOLUMES_MAX || !*plain || strlen(plain) > 40) {
		log_warning("kernel command line: ignoring volume \"%s\"", uuid);
		return NULL;
	}
	vol = &cfg->volumes[cfg->n_volumes++];
	boot_volume_init(vol);
	snprintf(vol->device, sizeof(vol->device), "UUID=%s", plain);
	snprintf(vol->name, sizeof(vol->name), "luks-%s", plain);
	return vol;
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

static void cmdline_volume_key(struct boot_volume *vol, const char *value)
{
	if (!boot_volume_set_key(vol, value))
		log_warning("kernel command line: rd.luks.key=%s is not PATH or PATH:DEVICE; ignored", value);
}

static void cmdline_luks_option(struct boot_config *cfg, const char *key, char *value)
{
	struct boot_volume *vol;
	char *uuid, *rest;

	if (strcmp(key, "luks") == 0) {
		cfg->luks_enabled = strcmp(value, "0") != 0 && strcasecmp(value, "no") != 0;
	} else if (strcmp(key, "luks.crypttab") == 0) {
		cfg->crypttab_enabled = strcmp(value, "0") != 0 && strcasecmp(value, "no") != 0;
	} else if (strcmp(key, "luks.uuid") == 0) {
		cfg->uuids_only = true;
		volume_for_uuid(cfg, value);
	} else if (strcmp(key, "luks.name") == 0 && split_uuid_value(value, &uuid, &rest)) {
		cfg->uuids_only = true;
		if ((vol = volume_for_uuid(cfg, uuid)))
			copy_value(vol->name, sizeof(vol->name), rest, key);
	} else if (strcmp(key, "luks.key") == 0) {
		/* rd.luks.key=PATH[:DEVICE] for all volumes, or UUID=PATH[:DEVICE] for one. */
		if (value[0] != '/' && strchr(value, '=')) {
			if (split_uuid_value(value, &uuid, &rest) && (vol = volume_for_uuid(cfg, uuid)))
				cmdline_volume_key(vol, rest);
		} else {
			for (int i = 0; i < cfg->n_volumes; i++)
				if (!cfg->volumes[i].key_file[0])
					cmdline_volume_key(&cfg->volumes[i], value);
		}
	} else if (strcmp(key, "luks.options") == 0) {
		/* systemd's generator: a UUID only when the part before '=' is hex digits and dashes */
		size_t hex = strspn(value, "0123456789abcdefABCDEF-");
		if (hex > 0 && value[hex] == '=' && split_uuid_value(value, &uuid, &rest)) {
			if ((vol = volume_for_uuid(cfg, uuid)))
				crypttab_parse_options(vol, rest, "rd.luks.options");
		} else {
			for (int i = 0; i < cfg->n_volumes; i++)
				crypttab_parse_options(&cfg->volumes[i], value, "rd.luks.options");
		}
	} else if (strcmp(key, "luks.timeout") == 0) {
		cmdline_timeout(cfg, "rd.luks.timeout", value);
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
