/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/measure.h"

#include <errno.h>
#include <limits.h>
#include <nettle/hmac.h>
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
	const uint8_t *text = (const uint8_t *)m->event;
	size_t len = strlen(m->event);
	struct hmac_sha1_ctx sha1;
	struct hmac_sha256_ctx sha256;
	struct hmac_sha512_ctx sha512; /* sha384's context is sha512's */

	hmac_sha1_set_key(&sha1, key->len, key->data);
	hmac_sha1_update(&sha1, len, text);
	hmac_sha1_digest(&sha1, SHA1_DIGEST_SIZE, m->digests[0]);
	hmac_sha256_set_key(&sha256, key->len, key->data);
	hmac_sha256_update(&sha256, len, text);
	hmac_sha256_digest(&sha256, SHA256_DIGEST_SIZE, m->digests[1]);
	hmac_sha384_set_key(&sha512, key->len, key->data);
	hmac_sha384_update(&sha512, len, text);
	hmac_sha384_digest(&sha512, SHA384_DIGEST_SIZE, m->digests[2]);
	hmac_sha512_set_key(&sha512, key->len, key->data);
	hmac_sha512_update(&sha512, len, text);
	hmac_sha512_digest(&sha512, SHA512_DIGEST_SIZE, m->digests[3]);
	/* the contexts hold the key's pads */
	explicit_bzero(&sha1, sizeof(sha1));
	explicit_bzero(&sha256, sizeof(sha256));
	explicit_bzero(&sha512, sizeof(sha512));
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
