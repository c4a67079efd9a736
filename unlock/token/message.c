/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hand-written: a few length-prefixed records between two of our own programs need no library. */
#include "token/message.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

static bool name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* One record at buf[*pos]: its name, then its length up to the newline, then the bytes and a newline. */
static int record_parse(const uint8_t *buf, size_t len, size_t *pos, struct token_field *f)
{
	size_t p = *pos, n = 0, value_len = 0, digits = 0;

	while (p < len && name_char(buf[p]) && n + 1 < sizeof(f->name))
		f->name[n++] = (char)buf[p++];
	f->name[n] = '\0';
	if (n == 0 || p >= len || buf[p++] != ' ')
		return -EBADMSG;
	for (; p < len && buf[p] >= '0' && buf[p] <= '9'; p++, digits++) {
		if (digits >= 7)
			return -EBADMSG;
		value_len = value_len * 10 + (size_t)(buf[p] - '0');
	}
	if (digits == 0 || p >= len || buf[p++] != '\n' || value_len > len - p || len - p - value_len < 1 ||
	    buf[p + value_len] != '\n')
		return -EBADMSG;
	f->value = buf + p;
	f->len = value_len;
	*pos = p + value_len + 1;
	return 0;
}

int token_message_parse(const uint8_t *buf, size_t len, struct token_message *m)
{
	size_t pos = 0;

	m->n = 0;
	if (len > TOKEN_MESSAGE_MAX)
		return -EBADMSG;
	while (pos < len) {
		struct token_field f;
		if (m->n == TOKEN_FIELDS_MAX || record_parse(buf, len, &pos, &f) < 0 || token_message_get(m, f.name))
			return -EBADMSG;
		m->fields[m->n++] = f;
	}
	return 0;
}

const struct token_field *token_message_get(const struct token_message *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->fields[i].name, name) == 0)
			return &m->fields[i];
	return NULL;
}

int token_message_add(struct secret *out, const char *name, const void *value, size_t len)
{
	char head[TOKEN_FIELD_NAME_MAX + 16];
	int n = snprintf(head, sizeof(head), "%s %zu\n", name, len);
	int r;

	if (n < 0 || (size_t)n >= sizeof(head) || len > TOKEN_MESSAGE_MAX)
		return -EINVAL;
	if ((r = secret_append(out, head, (size_t)n)) < 0 || (r = secret_append(out, value, len)) < 0)
		return r;
	return secret_append(out, "\n", 1);
}

int token_message_add_text(struct secret *out, const char *name, const char *text)
{
	return token_message_add(out, name, text, strlen(text));
}
