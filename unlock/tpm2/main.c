/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unlock-tpm2: the TPM2 token helper. unlock starts it with a socket as standard input and output,
 * writes one request (token/protocol.h) and closes its side; the helper unseals the systemd-tpm2
 * token's secret and answers with the keyslot's passphrase, that a PIN is needed, or why it failed;
 * or it extends a PCR for an opened volume (tpm2-measure-pcr=).
 * It is a program of its own because tpm2-tss is only a shared library: PID 1 stays static, and a
 * crash in the TPM stack is this process's, not PID 1's.
 */
#include <errno.h>
#include <string.h>

#include "token/serve.h"
#include "tpm2/measure.h"
#include "tpm2/token.h"
#include "tpm2/tpm2.h"

static void tpm2_answer(const struct token_request *req, struct token_answer *a, struct secret **pass)
{
	static struct tpm2_token token;
	char why[TOKEN_REASON_MAX];
	int r;

	if (req->measure) {
		tpm2_measure(req->device, &req->m, a);
		return;
	}
	r = tpm2_token_parse(req->json, req->json_len, &token, why, sizeof(why));
	if (r < 0)
		token_answer_fail(a, r == -EOPNOTSUPP ? TOKEN_FAIL_UNSUPPORTED : TOKEN_FAIL_BAD_TOKEN, "%s", why);
	else if ((r = tpm2_unseal(&token, req->device, &(const struct tpm2_unseal_files){ req->signature, req->pcrlock },
				  req->pin, req->pin_len, pass, a)) == 0)
		a->status = TOKEN_STATUS_OK;
	else if (r == -ENOMEM)
		token_answer_fail(a, TOKEN_FAIL_HELPER, "out of memory");
	explicit_bzero(&token, sizeof(token));
}

int main(void)
{
	return token_serve("unlock-tpm2", tpm2_answer) == 0 ? 0 : 1;
}
