/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_LUKS_JSON_FIELDS_H
#define UNLOCK_LUKS_JSON_FIELDS_H

/* The LUKS2 metadata's fields read from json-c objects, each typed and bounded: a field that is
 * missing, of another type or out of range is damage, reported with where it is. */

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "base/log.h"
#include "luks/luks.h"

#define json_error(...) log_error_ret(-LUKS_ERR_DAMAGED, "LUKS2 metadata: " __VA_ARGS__)

json_object *json_member(json_object *obj, const char *key, json_type type);
int json_u64_string(json_object *obj, const char *key, const char *where, uint64_t *out);
int json_uint(json_object *obj, const char *key, const char *where, uint32_t min, uint32_t max, uint32_t *out);
int json_text(json_object *obj, const char *key, const char *where, char *out, size_t out_size);
int json_base64(json_object *obj, const char *key, const char *where, uint8_t *out, size_t out_size, size_t *out_len);
int json_expect_type(json_object *obj, const char *where, const char *what, const char *expected);
int json_object_index(const char *key, int max, const char *section);
int json_id_mask(json_object *obj, const char *key, const char *where, int max, uint32_t *mask);

#endif
