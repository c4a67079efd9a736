/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "crypto/afalg.h"

#include <errno.h>
#include <linux/if_alg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

int afalg_open(const char *type, const char *name, const uint8_t *key, size_t key_len)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	int tfm, op;

	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "%s", type);
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tfm < 0)
		return -EAFNOSUPPORT;
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (key && setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, (socklen_t)key_len) < 0)) {
		close(tfm);
		return -ENOENT;
	}
	op = accept4(tfm, NULL, 0, SOCK_CLOEXEC);
	close(tfm);
	return op < 0 ? -errno : op;
}
