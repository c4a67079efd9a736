/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "token/serve.h"

#include <errno.h>
#include <unistd.h>

#include "token/message.h"

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

int token_serve(const char *helper_name, token_answer_fn answer)
{
	_cleanup_secret_ struct secret *request = secret_new(TOKEN_MESSAGE_MAX);
	_cleanup_secret_ struct secret *pass = NULL, *reply = NULL;
	struct token_request req;
	struct token_answer a = { .status = TOKEN_STATUS_FAIL, .tries_left = -1 };
	int r;

	if (!request)
		return -ENOMEM;
	if (request_read(request) < 0 || token_request_parse(request->data, request->len, &req) < 0)
		token_answer_fail(&a, TOKEN_FAIL_HELPER, "%s got no valid request", helper_name);
	else
		answer(&req, &a, &pass);
	if (a.status == TOKEN_STATUS_OK && !pass && !a.measured[0])
		token_answer_fail(&a, TOKEN_FAIL_HELPER, "%s gave no secret", helper_name);
	if (a.status == TOKEN_STATUS_FAIL && a.failure == TOKEN_FAIL_NONE)
		token_answer_fail(&a, TOKEN_FAIL_HELPER, "%s failed without a reason", helper_name);
	r = token_answer_build(&a, pass ? pass->data : NULL, pass ? pass->len : 0, &reply);
	if (r == 0)
		r = answer_write(reply);
	return r;
}
