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

/* The TPM's drivers (they load with async probing) and then its device, waited for a bounded time. */
static void tpm2_device_wait(const struct boot_volume *vol, struct modules *m)
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
		.signature = vol->tpm2_signature[0] ? vol->tpm2_signature : NULL,
		.timeout_sec = vol->token_timeout_sec > 0 ? vol->token_timeout_sec : 30,
		.tries = vol->tries,
		.key_slot = vol->key_slot,
		.headless = vol->headless,
		.ask_pin = pin_ask,
		.ctx = (void *)vol,
	};
	int r;

	if (volume_usable_tokens(v, vol->key_slot) == 0) {
		for (int i = 0; i < LUKS_TOKENS_MAX; i++)
			if (v->hdr.tokens[i].active && strcmp(v->hdr.tokens[i].type, "systemd-tpm2") == 0) {
				log_info("%s: its header has a TPM2 token, and this image has no TPM2 support (built with --no-tpm2?)",
					 vol->name);
				break;
			}
		return -ENOENT;
	}
	tpm2_device_wait(vol, m);
	ask_consoles_refresh();
	r = volume_unlock_by_tokens(v, &step, key, digest);
	if (r == -LUKS_ERR_WRONG_SECRET)
		log_warning("%s: no token opened it%s", vol->name, vol->headless ? " (headless=: nothing is asked)" : "; asking for the passphrase");
	return r;
}
