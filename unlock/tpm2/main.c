/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unlock-tpm2: the TPM2 token helper. unlock starts it with a socket as standard input and output,
 * writes one request (token/protocol.h) and closes its side; the helper unseals the systemd-tpm2
 * token's secret and answers with the keyslot's passphrase, that a PIN is needed, or why it failed.
 * It is a program of its own because tpm2-tss is only a shared library: PID 1 stays static, and a
 * crash in the TPM stack is this process's, not PID 1's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/secret.h"
#include "token/message.h"
#include "token/protocol.h"
#include "tpm2/token.h"
#include "tpm2/tpm2.h"

static int request_read(struct secret *buf)
{
	for (;;) {
		ssize_t n;
		if (buf->len == buf->capacity)
			return -EMSGSIZE;
		n = read(STDIN_FILENO, buf->data + buf->len, buf->capacity - buf->len);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			buf->len += (size_t)n;
	}
}

static int answer_write(const struct secret *answer)
{
	for (size_t done = 0; done < answer->len;) {
		ssize_t n = write(STDOUT_FILENO, answer->data + done, answer->len - done);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			done += (size_t)n;
	}
	return 0;
}

static void token_answer_set(struct token_answer *a, const struct tpm2_token *t, const struct token_request *req,
			     struct secret **pass)
{
	int r = tpm2_unseal(t, req->device, req->signature, req->pin, req->pin_len, pass, a);

	if (r == 0)
		a->status = TOKEN_STATUS_OK;
	else if (r == -ENOMEM)
		token_answer_fail(a, TOKEN_FAIL_HELPER, "out of memory");
}

int main(void)
{
	_cleanup_secret_ struct secret *request = secret_new(TOKEN_MESSAGE_MAX);
	_cleanup_secret_ struct secret *pass = NULL, *answer = NULL;
	static struct tpm2_token token;
	struct token_request req;
	struct token_answer a = { .status = TOKEN_STATUS_FAIL, .tries_left = -1 };
	char why[TOKEN_REASON_MAX];
	int r;

	if (!request)
		return 1;
	if (request_read(request) < 0 || token_request_parse(request->data, request->len, &req) < 0)
		token_answer_fail(&a, TOKEN_FAIL_HELPER, "unlock-tpm2 got no valid request");
	else if ((r = tpm2_token_parse(req.json, req.json_len, &token, why, sizeof(why))) < 0)
		token_answer_fail(&a, r == -EOPNOTSUPP ? TOKEN_FAIL_UNSUPPORTED : TOKEN_FAIL_BAD_TOKEN, "%s", why);
	else
		token_answer_set(&a, &token, &req, &pass);
	explicit_bzero(&token, sizeof(token));
	if (a.status == TOKEN_STATUS_FAIL && a.failure == TOKEN_FAIL_NONE)
		token_answer_fail(&a, TOKEN_FAIL_HELPER, "unlock-tpm2 failed without a reason");
	r = token_answer_build(&a, pass ? pass->data : NULL, pass ? pass->len : 0, &answer);
	if (r == 0)
		r = answer_write(answer);
	return r == 0 ? 0 : 1;
}
