/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/tokens.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/errors.h"
#include "base/log.h"
#include "base/util.h"
#include "boot/ask.h"
#include "boot/modules.h"
#include "boot/pcscd.h"
#include "open/tokens.h"

/* Without tpm2-device= the TPM is not required: its drivers get this long to bring it up. */
#define TPM2_APPEAR_SEC 5

static bool tpm2_device_present(const char *device)
{
	DIR *d;
	struct dirent *e;
	bool found = false;

	if (device[0] == '/')
		return access(device, F_OK) == 0;
	if (!(d = opendir("/sys/class/tpmrm")))
		return false;
	while (!found && (e = readdir(d)))
		found = strncmp(e->d_name, "tpmrm", 5) == 0;
	closedir(d);
	return found;
}

void boot_tpm2_device_wait(const struct boot_volume *vol, struct modules *m)
{
	const char *device = vol->tpm2_device[0] ? vol->tpm2_device : "auto";
	bool explicit = vol->tpm2_device[0] != '\0';
	long long deadline;

	if (strcmp(device, "auto") != 0 && device[0] != '/')
		return; /* a TCTI string: nothing of this machine's to wait for */
	modules_load(m, "tpm_crb");
	modules_load(m, "tpm_tis");
	deadline = monotonic_ms() + 1000LL * (explicit ? vol->token_timeout_sec : MIN(vol->token_timeout_sec, TPM2_APPEAR_SEC));
	while (!tpm2_device_present(device) && (monotonic_ms() < deadline || (explicit && vol->token_timeout_sec == 0)))
		usleep(20000);
	if (!tpm2_device_present(device))
		log_info("%s: no TPM2 device (%s) appeared%s", vol->name, device, explicit ? " within token-timeout=" : "");
}

static bool header_has_token(const struct volume *v, const char *type)
{
	for (int i = 0; i < LUKS_TOKENS_MAX; i++)
		if (v->hdr.tokens[i].active && strcmp(v->hdr.tokens[i].type, type) == 0)
			return true;
	return false;
}

/* A token type the image has no helper for is named once, so the question that follows is no surprise. */
static void tokens_unsupported_say(const struct boot_volume *vol, const struct volume *v)
{
	static const struct {
		const char *type, *label, *what;
	} kinds[] = {
		{ "systemd-tpm2", "TPM2", "TPM2 support (built with --no-tpm2?)" },
		{ "systemd-pkcs11", "PKCS#11", "PKCS#11 support (built without a pkcs11-uri= volume or --pkcs11?)" },
	};

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
		if (header_has_token(v, kinds[k].type))
			log_info("%s: its header has a %s token, and this image has no %s", vol->name, kinds[k].label,
				 kinds[k].what);
}

static int pin_ask(void *ctx, const char *prompt, struct secret **pin)
{
	struct boot_volume once = *(const struct boot_volume *)ctx;

	once.verify = false;
	return ask_passphrase(&once, prompt, pin);
}

int boot_volume_unlock_by_tokens(const struct boot_volume *vol, const struct volume *v, struct modules *m,
				 struct secret **key, int *digest)
{
	struct token_step step = {
		.name = vol->name,
		.tpm2_device = vol->tpm2_device[0] ? vol->tpm2_device : NULL,
		.pkcs11_uri = vol->pkcs11_uri[0] ? vol->pkcs11_uri : NULL,
		.signature = vol->tpm2_signature[0] ? vol->tpm2_signature : NULL,
		.pcrlock = vol->tpm2_pcrlock[0] ? vol->tpm2_pcrlock : NULL,
		.timeout_sec = vol->token_timeout_sec > 0 ? vol->token_timeout_sec : 30,
		.tries = vol->tries,
		.key_slot = vol->key_slot,
		.headless = vol->headless,
		.ask_pin = pin_ask,
		.ctx = (void *)vol,
		.before_pkcs11 = pcscd_before_token,
	};
	int r;

	if (volume_usable_tokens(v, vol->key_slot) == 0) {
		tokens_unsupported_say(vol, v);
		return -ENOENT;
	}
	if (header_has_token(v, "systemd-tpm2"))
		boot_tpm2_device_wait(vol, m);
	ask_consoles_refresh();
	r = volume_unlock_by_tokens(v, &step, key, digest);
	if (r == -LUKS_ERR_WRONG_SECRET)
		log_warning("%s: no token opened it%s", vol->name, vol->headless ? " (headless=: nothing is asked)" : "; asking for the passphrase");
	return r;
}
