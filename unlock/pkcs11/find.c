/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/pkcs11.h"

#define SLOTS_MAX 64
#define TEMPLATE_MAX 32

static void label_copy(const CK_TOKEN_INFO *info, char *out, size_t size)
{
	size_t n = sizeof(info->label);

	while (n > 0 && (info->label[n - 1] == ' ' || info->label[n - 1] == '\0'))
		n--;
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = info->label[i] >= 0x20 && info->label[i] < 0x7f ? (char)info->label[i] : '?';
	out[n] = '\0';
}

/* One slot: its token present and matching the URI, then a session on it. -ENOENT otherwise. */
static int slot_try(CK_FUNCTION_LIST *m, CK_SLOT_ID id, P11KitUri *uri, struct pkcs11_slot *slot, struct token_answer *a)
{
	CK_RV rv;

	if (m->C_GetTokenInfo(id, &slot->info) != CKR_OK || !p11_kit_uri_match_token_info(uri, &slot->info))
		return -ENOENT;
	slot->module = m;
	slot->id = id;
	label_copy(&slot->info, slot->label, sizeof(slot->label));
	rv = m->C_OpenSession(id, CKF_SERIAL_SESSION, NULL, NULL, &slot->session);
	if (rv != CKR_OK) {
		token_answer_fail(a, TOKEN_FAIL_DEVICE, "no session on token '%s': %s", slot->label, p11_kit_strerror(rv));
		return -EIO;
	}
	return 0;
}

/* The module's slots with a token in them; a module that fails is passed over, as systemd does. */
static int module_try(CK_FUNCTION_LIST *m, P11KitUri *uri, struct pkcs11_slot *slot, struct token_answer *a)
{
	CK_SLOT_ID ids[SLOTS_MAX];
	CK_ULONG n = SLOTS_MAX;
	int r;

	if (m->C_GetSlotList(CK_TRUE, ids, &n) != CKR_OK)
		return -ENOENT;
	for (CK_ULONG i = 0; i < n; i++)
		if ((r = slot_try(m, ids[i], uri, slot, a)) != -ENOENT)
			return r;
	return -ENOENT;
}

int pkcs11_slot_find(CK_FUNCTION_LIST **modules, P11KitUri *uri, struct pkcs11_slot *slot, struct token_answer *a)
{
	int r;

	memset(slot, 0, sizeof(*slot));
	if (!modules || !modules[0]) {
		token_answer_fail(a, TOKEN_FAIL_NO_DEVICE,
				  "no PKCS#11 module of p11-kit's registry started (none is registered, or each failed to initialize)");
		return -ENOENT;
	}
	for (size_t i = 0; modules[i]; i++)
		if ((r = module_try(modules[i], uri, slot, a)) != -ENOENT)
			return r;
	token_answer_fail(a, TOKEN_FAIL_NO_DEVICE, "no token matching its URI is present");
	return -ENOENT;
}

void pkcs11_slot_close(struct pkcs11_slot *slot)
{
	if (slot->module && slot->session != CK_INVALID_HANDLE)
		slot->module->C_CloseSession(slot->session);
	slot->module = NULL;
}

int pkcs11_object_find(struct pkcs11_slot *slot, P11KitUri *uri, CK_OBJECT_CLASS class, const CK_ATTRIBUTE *extra,
		       CK_OBJECT_HANDLE *object, CK_ULONG *found)
{
	CK_ATTRIBUTE template[TEMPLATE_MAX];
	CK_OBJECT_HANDLE objects[2];
	CK_ULONG n_uri, n = 0;
	CK_ATTRIBUTE *attrs = p11_kit_uri_get_attributes(uri, &n_uri);
	CK_FUNCTION_LIST *m = slot->module;
	CK_RV rv;

	for (CK_ULONG i = 0; i < n_uri && n < TEMPLATE_MAX - 2; i++)
		if (attrs[i].type != CKA_CLASS)
			template[n++] = attrs[i];
	template[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &class, sizeof(class) };
	if (extra)
		template[n++] = *extra;
	*found = 0;
	if (m->C_FindObjectsInit(slot->session, template, n) != CKR_OK)
		return -EIO;
	rv = m->C_FindObjects(slot->session, objects, 2, found);
	m->C_FindObjectsFinal(slot->session);
	if (rv != CKR_OK)
		return -EIO;
	*object = objects[0];
	return 0;
}
