/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/measure.h"

#include <errno.h>
#include <limits.h>
#include <nettle/hmac.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "boot/tokens.h"
#include "token/helper.h"

int measure_event_text(const char *name, const char *uuid, char *out, size_t size)
{
	size_t used = (size_t)snprintf(out, size, "cryptsetup:");

	for (const unsigned char *c = (const unsigned char *)name; *c && used < size; c++) {
		if (*c < ' ' || *c >= 127 || *c == '\\' || *c == ':')
			used += (size_t)snprintf(out + used, size - used, "\\x%02x", *c);
		else
			out[used++] = (char)*c;
	}
	if (used < size)
		used += (size_t)snprintf(out + used, size - used, ":%s", uuid);
	return used < size ? 0 : -ENAMETOOLONG;
}

/* The HMAC of the event text in each of the four banks' hashes, keyed with the volume key. */
static void measure_digests(const struct secret *key, struct token_measure *m)
{
	static const struct nettle_hash *const hashes[TOKEN_MEASURE_BANKS] = {
		&nettle_sha1, &nettle_sha256, &nettle_sha384, &nettle_sha512,
	};
	/* HMAC's outer, inner and running states, each the largest hash's (they hold the key's pads) */
	struct sha512_ctx outer, inner, state;

	for (size_t i = 0; i < TOKEN_MEASURE_BANKS; i++) {
		hmac_set_key(&outer, &inner, &state, hashes[i], key->len, key->data);
		hmac_update(&state, hashes[i], strlen(m->event), (const uint8_t *)m->event);
		hmac_digest(&outer, &inner, &state, hashes[i], hashes[i]->digest_size, m->digests[i]);
	}
	explicit_bzero(&outer, sizeof(outer));
	explicit_bzero(&inner, sizeof(inner));
	explicit_bzero(&state, sizeof(state));
}

void boot_volume_measure(const struct boot_volume *vol, const struct volume *v, const struct secret *key,
			 struct modules *m)
{
	const char *device = vol->tpm2_device[0] ? vol->tpm2_device : "auto";
	_cleanup_secret_ struct secret *request = NULL;
	struct token_measure measure = { .pcr = (unsigned)vol->tpm2_measure_pcr };
	struct token_answer a;
	char helper[PATH_MAX];

	if (vol->tpm2_measure_pcr < 0)
		return;
	if (!token_helper_find("systemd-tpm2", helper, sizeof(helper))) {
		log_warning("%s: tpm2-measure-pcr=: this image has no TPM2 support; PCR %d is not extended", vol->name,
			    vol->tpm2_measure_pcr);
		return;
	}
	if (measure_event_text(vol->name, v->hdr.uuid, measure.event, sizeof(measure.event)) < 0) {
		log_warning("%s: tpm2-measure-pcr=: the volume's name is too long to measure", vol->name);
		return;
	}
	snprintf(measure.banks, sizeof(measure.banks), "%s", vol->tpm2_measure_banks);
	measure_digests(key, &measure);
	boot_tpm2_device_wait(vol, m);
	if (token_measure_request_build(device, &measure, &request) < 0 ||
	    token_helper_run(helper, request, vol->token_timeout_sec > 0 ? vol->token_timeout_sec : 30, &a) < 0) {
		log_warning("%s: tpm2-measure-pcr=: out of memory; PCR %d is not extended", vol->name, vol->tpm2_measure_pcr);
		explicit_bzero(&measure, sizeof(measure));
		return;
	}
	if (a.status == TOKEN_STATUS_OK && a.measured[0])
		log_info("%s: extended PCR %d with '%s' and the volume key (banks %s)", vol->name, vol->tpm2_measure_pcr,
			 measure.event, a.measured);
	else
		log_warning("%s: tpm2-measure-pcr=: PCR %d is not extended: %s", vol->name, vol->tpm2_measure_pcr,
			    a.status == TOKEN_STATUS_FAIL ? a.reason : "the TPM2 helper answered something else");
	token_answer_done(&a);
	explicit_bzero(&measure, sizeof(measure));
}
