/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linked into the static tpm2-tss (build-libs.sh) in place of getaddrinfo, which only its swtpm
 * TCTI calls (a software TPM on loopback, for tests): numeric addresses only. glibc's getaddrinfo
 * brings its resolver, NSS and the dynamic loader's code into a static program (0.3 MB of the
 * helper); a TPM is never reached by a host name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

struct numeric_addr {
	struct addrinfo ai;
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa;
};

int tss2_numeric_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	struct numeric_addr *a;
	char *end;
	unsigned long port = service ? strtoul(service, &end, 10) : 0;

	(void)hints;
	if (!node || (service && (*end || port > 65535)))
		return EAI_NONAME;
	if (!(a = calloc(1, sizeof(*a))))
		return EAI_MEMORY;
	a->ai.ai_socktype = SOCK_STREAM;
	a->ai.ai_addr = (struct sockaddr *)&a->sa;
	if (inet_pton(AF_INET, node, &a->sa.in.sin_addr) == 1) {
		a->ai.ai_family = a->sa.in.sin_family = AF_INET;
		a->sa.in.sin_port = htons((uint16_t)port);
		a->ai.ai_addrlen = sizeof(a->sa.in);
	} else if (inet_pton(AF_INET6, node, &a->sa.in6.sin6_addr) == 1) {
		a->ai.ai_family = a->sa.in6.sin6_family = AF_INET6;
		a->sa.in6.sin6_port = htons((uint16_t)port);
		a->ai.ai_addrlen = sizeof(a->sa.in6);
	} else {
		free(a);
		return EAI_NONAME;
	}
	*res = &a->ai;
	return 0;
}

void tss2_numeric_freeaddrinfo(struct addrinfo *res)
{
	free(res);
}
