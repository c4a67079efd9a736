/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tpm2/measure.h"

#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <tss2/tss2_rc.h>
#include <unistd.h>

#include "tpm2/pcr.h"
#include "tpm2/token.h"

#define MEASURE_LOG_DEFAULT "/run/log/systemd/tpm2-measure.log"

static int bank_index(uint16_t bank)
{
	for (int i = 0; i < TOKEN_MEASURE_BANKS; i++) {
		uint16_t alg;
		if (tpm2_bank_from_name(token_measure_bank_names[i], &alg) == 0 && alg == bank)
			return i;
	}
	return -1;
}

/* tpm2-measure-bank='s list ("sha256:sha1"), or the banks systemd picks for the PCR. */
static int banks_pick(struct tpm2 *tpm, const struct token_measure *m, uint16_t banks[TPM2_BANKS_MAX], size_t *n,
		      struct token_answer *fail)
{
	char list[sizeof(m->banks)], *save = NULL;

	*n = 0;
	if (!m->banks[0]) {
		if (tpm2_good_banks(tpm, 1u << m->pcr, banks, n) < 0 || *n == 0) {
			token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM has no PCR bank with 24 PCRs to measure into");
			return -EIO;
		}
		return 0;
	}
	snprintf(list, sizeof(list), "%s", m->banks);
	for (char *name = strtok_r(list, ":", &save); name; name = strtok_r(NULL, ":", &save)) {
		if (*n == TPM2_BANKS_MAX || tpm2_bank_from_name(name, &banks[*n]) < 0) {
			token_answer_fail(fail, TOKEN_FAIL_UNSUPPORTED, "tpm2-measure-bank=%.32s is not sha1, sha256, sha384 or sha512", name);
			return -EINVAL;
		}
		(*n)++;
	}
	return 0;
}

static void hex(const uint8_t *p, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* The boot's ID as systemd writes it: 32 hex digits, no dashes. */
static void boot_id(char out[33])
{
	char text[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	size_t n = 0;

	if (f && fgets(text, sizeof(text), f))
		for (char *c = text; *c && n < 32; c++)
			if (strchr("0123456789abcdef", *c))
				out[n++] = *c;
	if (f)
		fclose(f);
	out[n] = '\0';
}

static json_object *log_record(const struct token_measure *m, const TPML_DIGEST_VALUES *values)
{
	json_object *rec = json_object_new_object(), *digests = json_object_new_array(), *content = json_object_new_object();
	struct timespec now;
	char id[33], text[129];

	for (uint32_t i = 0; i < values->count; i++) {
		json_object *d = json_object_new_object();
		hex((const uint8_t *)&values->digests[i].digest, tpm2_bank_digest_size(values->digests[i].hashAlg), text);
		json_object_object_add(d, "hashAlg", json_object_new_string(tpm2_bank_name(values->digests[i].hashAlg)));
		json_object_object_add(d, "digest", json_object_new_string(text));
		json_object_array_add(digests, d);
	}
	boot_id(id);
	clock_gettime(CLOCK_BOOTTIME, &now);
	json_object_object_add(content, "string", json_object_new_string(m->event));
	json_object_object_add(content, "bootId", json_object_new_string(id));
	json_object_object_add(content, "timestamp", json_object_new_uint64((uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000));
	json_object_object_add(content, "eventType", json_object_new_string("volume-key"));
	json_object_object_add(rec, "pcr", json_object_new_int((int)m->pcr));
	json_object_object_add(rec, "digests", digests);
	json_object_object_add(rec, "content_type", json_object_new_string("systemd"));
	json_object_object_add(rec, "content", content);
	return rec;
}

/*
 * systemd's userspace event log, which systemd-pcrlock and systemd-analyze read after the switch to
 * the system (/run is carried over): one RFC 7464 record per measurement, appended under a lock,
 * the file marked with the sticky bit while it is written so a half-written record is recognised.
 * Opened before the PCR is extended, as systemd does, so nothing comes between the two. -1: no log.
 */
static int log_open(void)
{
	const char *path = getenv("SYSTEMD_MEASURE_LOG_USERSPACE");
	struct stat st;
	int fd;

	path = path && *path ? path : MEASURE_LOG_DEFAULT;
	if (strcmp(path, MEASURE_LOG_DEFAULT) == 0) {
		mkdir("/run/log", 0755);
		mkdir("/run/log/systemd", 0755);
	}
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_ISVTX) ||
	    fchmod(fd, 0600 | S_ISVTX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void log_append(int fd, const struct token_measure *m, const TPML_DIGEST_VALUES *values)
{
	json_object *rec;
	const char *text;
	bool written;

	if (fd < 0)
		return;
	rec = log_record(m, values);
	text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
	written = lseek(fd, 0, SEEK_END) >= 0 && write(fd, "\x1e", 1) == 1 &&
		  write(fd, text, strlen(text)) == (ssize_t)strlen(text) && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	if (written)
		fchmod(fd, 0600);
	json_object_put(rec);
	close(fd);
}

int tpm2_measure(const char *device, const struct token_measure *m, struct token_answer *a)
{
	struct tpm2 tpm;
	uint16_t banks[TPM2_BANKS_MAX];
	TPML_DIGEST_VALUES values = { 0 };
	size_t n, used = 0;
	TSS2_RC rc;
	int r, log_fd;

	if ((r = tpm2_connect(&tpm, device, a)) < 0)
		return r;
	r = banks_pick(&tpm, m, banks, &n, a);
	for (size_t i = 0; r == 0 && i < n && values.count < TPM2_NUM_PCR_BANKS; i++) {
		int k = bank_index(banks[i]);
		if (k < 0)
			continue; /* a bank whose hash unlock does not make (SM3): left out, as systemd does */
		values.digests[values.count].hashAlg = banks[i];
		memcpy(&values.digests[values.count].digest, m->digests[k], token_measure_digest_sizes[k]);
		values.count++;
		used += (size_t)snprintf(a->measured + used, sizeof(a->measured) - used, "%s%s", used ? ", " : "",
					 token_measure_bank_names[k]);
	}
	if (r == 0 && values.count == 0) {
		token_answer_fail(a, TOKEN_FAIL_DEVICE, "none of the TPM's PCR banks is sha1, sha256, sha384 or sha512");
		r = -EOPNOTSUPP;
	}
	if (r == 0) {
		log_fd = log_open();
		rc = Esys_PCR_Extend(tpm.esys, ESYS_TR_PCR0 + m->pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &values);
		if (rc == TSS2_RC_SUCCESS) {
			log_append(log_fd, m, &values);
			a->status = TOKEN_STATUS_OK;
		} else {
			if (log_fd >= 0) {
				fchmod(log_fd, 0600); /* nothing was measured: the log still matches the PCRs */
				close(log_fd);
			}
			token_answer_fail(a, TOKEN_FAIL_DEVICE, "the TPM did not extend PCR %u: %s", m->pcr, Tss2_RC_Decode(rc));
			r = -EIO;
		}
	}
	tpm2_disconnect(&tpm);
	return r;
}
