/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hand-written PBKDF2: Nettle's pbkdf2() computes the output blocks one after another, yet they are
 * independent, and a 512-bit LUKS key derived with SHA-256 is two of them. Here each block runs on
 * its own core, and HMAC starts every iteration from precomputed pad states (a copy of a few
 * hundred bytes). The test suite checks it against OpenSSL's PKCS5_PBKDF2_HMAC.
 */
#include "crypto/pbkdf2.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define PBKDF2_THREADS_MAX 16

struct pbkdf2_job {
	const struct hash_alg *md;
	const uint8_t *pass;
	size_t pass_len;
	const uint8_t *salt;
	size_t salt_len;
	uint32_t iterations;
	uint8_t *out;
	size_t out_len;
	uint32_t first_block; /* 1-based */
	uint32_t block_step;
	int result;
};

struct hmac_pads {
	struct hash_ctx inner;
	struct hash_ctx outer;
	struct hash_ctx work;
};

static void hmac_pads_free(struct hmac_pads *p)
{
	hash_done(&p->inner);
	hash_done(&p->outer);
	hash_done(&p->work);
}

static int hmac_pads_init(struct hmac_pads *p, const struct hash_alg *md, const uint8_t *key, size_t key_len)
{
	uint8_t k[HASH_MAX_BLOCK] = { 0 }, pad[HASH_MAX_BLOCK];
	size_t block = hash_block_size(md);
	int r;

	p->inner.fd = p->outer.fd = p->work.fd = -1;
	if (block > sizeof(k))
		return -EINVAL;
	r = hash_init(&p->inner, md);
	if (r == 0)
		r = hash_init(&p->outer, md);
	if (r == 0)
		r = hash_init(&p->work, md);
	if (r == 0 && key_len > block)
		r = hash_digest(md, key, key_len, k);
	else if (r == 0)
		memcpy(k, key, key_len);
	for (size_t i = 0; i < block; i++)
		pad[i] = k[i] ^ 0x36;
	if (r == 0)
		r = hash_update(&p->inner, pad, block);
	for (size_t i = 0; i < block; i++)
		pad[i] = k[i] ^ 0x5c;
	if (r == 0)
		r = hash_update(&p->outer, pad, block);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
	return r;
}

/* mac = HMAC(key, a || b) from the precomputed pad states. */
static int hmac_two(struct hmac_pads *p, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		    uint8_t *mac)
{
	uint8_t inner[HASH_MAX_SIZE];
	int r = hash_copy(&p->work, &p->inner);

	if (r == 0)
		r = hash_update(&p->work, a, a_len);
	if (r == 0 && b_len > 0)
		r = hash_update(&p->work, b, b_len);
	if (r == 0)
		r = hash_final(&p->work, inner);
	if (r == 0)
		r = hash_copy(&p->work, &p->outer);
	if (r == 0)
		r = hash_update(&p->work, inner, hash_size(p->work.alg));
	if (r == 0)
		r = hash_final(&p->work, mac);
	explicit_bzero(inner, sizeof(inner));
	return r;
}

static int pbkdf2_block(struct hmac_pads *p, const struct pbkdf2_job *job, uint32_t index, uint8_t *t)
{
	size_t h = hash_size(job->md);
	uint8_t u[HASH_MAX_SIZE], be[4] = { (uint8_t)(index >> 24), (uint8_t)(index >> 16), (uint8_t)(index >> 8),
					      (uint8_t)index };
	int r = hmac_two(p, job->salt, job->salt_len, be, sizeof(be), u);

	memcpy(t, u, h);
	for (uint32_t j = 1; j < job->iterations && r == 0; j++) {
		r = hmac_two(p, u, h, NULL, 0, u);
		for (size_t i = 0; i < h; i++)
			t[i] ^= u[i];
	}
	explicit_bzero(u, sizeof(u));
	return r;
}

static void *pbkdf2_worker(void *arg)
{
	struct pbkdf2_job *job = arg;
	size_t h = hash_size(job->md);
	size_t blocks = (job->out_len + h - 1) / h;
	struct hmac_pads pads;
	uint8_t t[HASH_MAX_SIZE];

	job->result = hmac_pads_init(&pads, job->md, job->pass, job->pass_len);
	for (size_t b = job->first_block; b <= blocks && job->result == 0; b += job->block_step) {
		size_t offset = (b - 1) * h;
		job->result = pbkdf2_block(&pads, job, (uint32_t)b, t);
		memcpy(job->out + offset, t, job->out_len - offset < h ? job->out_len - offset : h);
	}
	explicit_bzero(t, sizeof(t));
	hmac_pads_free(&pads);
	return NULL;
}

int pbkdf2_hmac(const struct hash_alg *md, const uint8_t *pass, size_t pass_len, const uint8_t *salt, size_t salt_len,
		uint32_t iterations, uint8_t *out, size_t out_len)
{
	struct pbkdf2_job jobs[PBKDF2_THREADS_MAX];
	pthread_t threads[PBKDF2_THREADS_MAX];
	bool started[PBKDF2_THREADS_MAX] = { false };
	size_t h = hash_size(md), n;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int r = 0;

	if (iterations == 0 || out_len == 0 || h == 0 || h > HASH_MAX_SIZE)
		return -EINVAL;
	n = (out_len + h - 1) / h;
	if (cpus >= 1 && (size_t)cpus < n)
		n = (size_t)cpus;
	if (n > PBKDF2_THREADS_MAX)
		n = PBKDF2_THREADS_MAX;
	for (size_t i = 0; i < n; i++)
		jobs[i] = (struct pbkdf2_job){ md, pass, pass_len, salt, salt_len, iterations, out, out_len,
					       (uint32_t)(i + 1), (uint32_t)n, 0 };
	for (size_t i = 1; i < n; i++)
		started[i] = pthread_create(&threads[i], NULL, pbkdf2_worker, &jobs[i]) == 0;
	/* Job 0, and any job whose thread could not start, runs in this thread. */
	for (size_t i = 0; i < n; i++)
		if (!started[i])
			pbkdf2_worker(&jobs[i]);
	for (size_t i = 1; i < n; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].result < 0)
			r = jobs[i].result;
	return r;
}
