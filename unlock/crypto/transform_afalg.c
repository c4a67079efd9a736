/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel crypto API backend of crypto/transform.h (AF_ALG skcipher sockets), for what Nettle
 * lacks: lrw, des3_ede, blowfish, other key sizes. */
#include "crypto/transform.h"

#include <errno.h>
#include <linux/if_alg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/afalg.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

int transform_afalg_open(struct transform *t, const char *cipher, const char *chain, const uint8_t *key,
			 size_t key_len)
{
	char name[64];

	snprintf(name, sizeof(name), "%s(%s)", chain, cipher);
	t->alg_fd = afalg_open("skcipher", name, key, key_len);
	return t->alg_fd < 0 ? t->alg_fd : 0;
}

int transform_afalg_run(struct transform *t, uint8_t *buf, size_t len, const uint8_t *iv,
			       size_t iv_len)
{
	uint8_t control[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 32)] = { 0 };
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_control = control, .msg_controllen = sizeof(control), .msg_iov = &iov,
			      .msg_iovlen = 1 };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	struct af_alg_iv *alg_iv;
	ssize_t n;

	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	*(uint32_t *)(void *)CMSG_DATA(c) = t->encrypt ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(sizeof(struct af_alg_iv) + 32);
	alg_iv = (struct af_alg_iv *)(void *)CMSG_DATA(c);
	alg_iv->ivlen = (uint32_t)iv_len;
	memcpy(alg_iv->iv, iv, iv_len);
	if (sendmsg(t->alg_fd, &msg, 0) != (ssize_t)len)
		return -EIO;
	n = read(t->alg_fd, buf, len);
	return n == (ssize_t)len ? 0 : -EIO;
}

void transform_afalg_close(struct transform *t)
{
	if (t->alg_fd >= 0)
		close(t->alg_fd);
	t->alg_fd = -1;
}
