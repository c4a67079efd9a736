/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "pkcs11/pkcs11.h"

/* What the token says of its PIN before one is asked for, so the question can say it too. */
static const char *pin_warning(CK_FLAGS flags)
{
	if (flags & CKF_USER_PIN_FINAL_TRY)
		return "one more wrong PIN locks the token";
	if (flags & CKF_USER_PIN_COUNT_LOW)
		return "the PIN was entered wrong before, and few tries are left";
	return "";
}

static int pin_locked(const struct pkcs11_slot *slot, struct token_answer *a)
{
	token_answer_fail(a, TOKEN_FAIL_LOCKOUT,
			  "the PIN of token '%s' is locked: unlock it with its security officer PIN or PUK", slot->label);
	a->tries_left = 0;
	return -EPERM;
}

static void need_pin(const struct pkcs11_slot *slot, struct token_answer *a)
{
	token_answer_done(a);
	a->status = TOKEN_STATUS_NEED_PIN;
	a->failure = TOKEN_FAIL_NONE;
	snprintf(a->label, sizeof(a->label), "%s", slot->label);
	snprintf(a->reason, sizeof(a->reason), "%s", pin_warning(slot->info.flags));
}

/* A wrong PIN: the token's flags, read again, say how many tries are left as far as it tells. */
static int pin_refused(struct pkcs11_slot *slot, struct token_answer *a)
{
	if (slot->module->C_GetTokenInfo(slot->id, &slot->info) == CKR_OK && (slot->info.flags & CKF_USER_PIN_LOCKED))
		return pin_locked(slot, a);
	token_answer_fail(a, TOKEN_FAIL_BAD_PIN, "wrong PIN for token '%s'", slot->label);
	if (slot->info.flags & CKF_USER_PIN_FINAL_TRY)
		a->tries_left = 1;
	return -EACCES;
}

int pkcs11_login(struct pkcs11_slot *slot, const uint8_t *pin, size_t pin_len, struct token_answer *a)
{
	CK_FLAGS flags = slot->info.flags;
	CK_RV rv;

	if (flags & CKF_USER_PIN_LOCKED)
		return pin_locked(slot, a);
	if (flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		log_info("enter the PIN of token '%s' on its reader's PIN pad", slot->label);
		rv = slot->module->C_Login(slot->session, CKU_USER, NULL, 0);
	} else if (!(flags & CKF_LOGIN_REQUIRED)) {
		return 0;
	} else if (!pin) {
		need_pin(slot, a);
		return -ENOKEY;
	} else {
		rv = slot->module->C_Login(slot->session, CKU_USER, (CK_UTF8CHAR *)pin, pin_len);
	}
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		return 0;
	if (rv == CKR_PIN_LOCKED)
		return pin_locked(slot, a);
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE)
		return pin_refused(slot, a);
	token_answer_fail(a, TOKEN_FAIL_DEVICE, "logging into token '%s' failed: %s", slot->label, p11_kit_strerror(rv));
	return -EIO;
}
