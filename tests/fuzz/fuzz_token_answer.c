/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What crosses the socket between unlock and a token helper: the first byte picks the helper's
 * answer (what unlock parses) or unlock's request (what the helper parses). */
#include <stdlib.h>
#include <string.h>

#include "token/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_answer a;
	struct token_request r;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		if (token_answer_parse(data + 1, size - 1, &a) == 0 &&
		    ((a.status == TOKEN_STATUS_FAIL && strlen(a.reason) >= TOKEN_REASON_MAX) ||
		     (a.status == TOKEN_STATUS_OK && !a.passphrase && !a.measured[0])))
			abort();
		token_answer_done(&a);
	} else if (token_request_parse(data + 1, size - 1, &r) == 0 &&
		   (r.measure ? r.m.pcr > 23 || strlen(r.m.event) >= sizeof(r.m.event) : !r.json || r.pin_len > TOKEN_PIN_MAX))
		abort();
	return 0;
}
