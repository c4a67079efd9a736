/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LUKS2 metadata validation: one valid document, then one hostile change at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "base/log.h"
#include "luks/luks2.h"

#define SALT "\"c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ=\""
#define KEYSLOT(offset, size)                                                                                  \
	"{\"type\":\"luks2\",\"key_size\":64,\"af\":{\"type\":\"luks1\",\"stripes\":4000,\"hash\":\"sha256\"},"   \
	"\"area\":{\"type\":\"raw\",\"offset\":\"" offset "\",\"size\":\"" size "\",\"encryption\":\"aes-xts-plain64\"," \
	"\"key_size\":64},\"kdf\":{\"type\":\"pbkdf2\",\"hash\":\"sha256\",\"iterations\":1000,\"salt\":" SALT "}}"
#define SEGMENT                                                                                                \
	"{\"type\":\"crypt\",\"offset\":\"16777216\",\"size\":\"dynamic\",\"iv_tweak\":\"0\","                  \
	"\"encryption\":\"aes-xts-plain64\",\"sector_size\":4096}"
#define DIGEST                                                                                                 \
	"{\"type\":\"pbkdf2\",\"keyslots\":[\"0\"],\"segments\":[\"0\"],\"hash\":\"sha256\",\"iterations\":1000," \
	"\"salt\":" SALT ",\"digest\":" SALT "}"
#define CONFIG "{\"json_size\":\"12288\",\"keyslots_size\":\"16744448\"}"

static char area[12288];

static int parse(const char *keyslots, const char *segments, const char *digests, const char *config,
		 const char *tokens)
{
	struct luks_header hdr = { .version = 2, .hdr_size = 16384 };
	int r;

	memset(area, 0, sizeof(area));
	snprintf(area, sizeof(area), "{\"keyslots\":%s,\"tokens\":%s,\"segments\":%s,\"digests\":%s,\"config\":%s}",
		 keyslots, tokens, segments, digests, config);
	r = luks2_json_parse(&hdr, area, sizeof(area));
	luks_header_done(&hdr);
	return r;
}

static int parse_keyslots(const char *k) { return parse(k, "{\"0\":" SEGMENT "}", "{\"0\":" DIGEST "}", CONFIG, "{}"); }
static int parse_segments(const char *s) { return parse("{\"0\":" KEYSLOT("32768", "258048") "}", s, "{\"0\":" DIGEST "}", CONFIG, "{}"); }
static int parse_config(const char *c) { return parse("{\"0\":" KEYSLOT("32768", "258048") "}", "{\"0\":" SEGMENT "}", "{\"0\":" DIGEST "}", c, "{}"); }
static int parse_tokens(const char *t) { return parse("{\"0\":" KEYSLOT("32768", "258048") "}", "{\"0\":" SEGMENT "}", "{\"0\":" DIGEST "}", CONFIG, t); }

static void valid_document(void **state)
{
	(void)state;
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("32768", "258048") "}"), 0);
	assert_int_equal(parse_tokens("{\"0\":{\"type\":\"systemd-tpm2\",\"keyslots\":[\"0\"]}}"), 0);
}

static void keyslot_area_outside(void **state)
{
	(void)state;
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("16777216", "258048") "}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("4096", "258048") "}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("18446744073709551615", "258048") "}"), -LUKS_ERR_DAMAGED);
}

static void keyslot_areas_overlap(void **state)
{
	(void)state;
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("32768", "258048") ",\"1\":" KEYSLOT("36864", "258048") "}"),
			 -LUKS_ERR_DAMAGED);
}

static void keyslot_area_too_small_for_stripes(void **state)
{
	(void)state;
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("32768", "4096") "}"), -LUKS_ERR_DAMAGED);
}

static void numbers_wrong_type_or_range(void **state)
{
	(void)state;
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("-32768", "258048") "}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("99999999999999999999999", "258048") "}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("0x8000", "258048") "}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_config("{\"json_size\":12288,\"keyslots_size\":\"16744448\"}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_config("{\"json_size\":\"4096\",\"keyslots_size\":\"16744448\"}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_config("{\"json_size\":\"12288\",\"keyslots_size\":\"16744449\"}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_segments("{\"0\":{\"type\":\"crypt\",\"offset\":\"16777216\",\"size\":\"dynamic\",\"iv_tweak\":\"0\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":-1}}"),
			 -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_segments("{\"0\":{\"type\":\"crypt\",\"offset\":\"16777216\",\"size\":\"dynamic\",\"iv_tweak\":\"0\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":\"4096\"}}"),
			 -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_segments("{\"0\":{\"type\":\"crypt\",\"offset\":\"16777216\",\"size\":\"dynamic\",\"iv_tweak\":\"0\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":1000}}"),
			 -LUKS_ERR_DAMAGED);
}

static void ids_must_be_small_decimals(void **state)
{
	(void)state;
	assert_int_equal(parse_keyslots("{\"32\":" KEYSLOT("32768", "258048") "}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_keyslots("{\"a\":" KEYSLOT("32768", "258048") "}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_keyslots("{\"00\":" KEYSLOT("32768", "258048") "}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_tokens("{\"0\":{\"type\":\"x\",\"keyslots\":[\"5\"]}}"), -LUKS_ERR_DAMAGED);
}

static void missing_sections(void **state)
{
	(void)state;
	assert_int_equal(parse("[]", "{\"0\":" SEGMENT "}", "{}", CONFIG, "{}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_segments("{}"), -LUKS_ERR_DAMAGED);
	assert_int_equal(parse_tokens("null"), -LUKS_ERR_DAMAGED);
}

/* Objects nested inside a token, a valid place for any JSON: refused for their depth alone. */
static int parse_token_nested(int levels)
{
	char tokens[8192];
	size_t n = 0;

	n += (size_t)snprintf(tokens + n, sizeof(tokens) - n, "{\"0\":{\"type\":\"x\",\"keyslots\":[],\"deep\":");
	for (int i = 0; i < levels; i++)
		n += (size_t)snprintf(tokens + n, sizeof(tokens) - n, "{\"a\":");
	n += (size_t)snprintf(tokens + n, sizeof(tokens) - n, "1");
	for (int i = 0; i < levels; i++)
		tokens[n++] = '}';
	snprintf(tokens + n, sizeof(tokens) - n, "}}");
	return parse_tokens(tokens);
}

static void deep_nesting_refused(void **state)
{
	(void)state;
	assert_int_equal(parse_token_nested(4), 0);
	assert_int_equal(parse_token_nested(20), -LUKS_ERR_DAMAGED); /* json-c alone takes 32 levels */
	assert_int_equal(parse_token_nested(1000), -LUKS_ERR_DAMAGED); /* 7 kB of it */
}

static void trailing_garbage_refused(void **state)
{
	struct luks_header hdr = { .version = 2, .hdr_size = 16384 };

	(void)state;
	assert_int_equal(parse_tokens("{}"), 0);
	area[strlen(area) + 5] = 'x';
	assert_int_equal(luks2_json_parse(&hdr, area, sizeof(area)), -LUKS_ERR_DAMAGED);
	memset(area, 'x', sizeof(area));
	assert_int_equal(luks2_json_parse(&hdr, area, sizeof(area)), -LUKS_ERR_DAMAGED);
}

static void requirements_recorded(void **state)
{
	struct luks_header hdr = { .version = 2, .hdr_size = 16384 };

	(void)state;
	assert_int_equal(parse_config("{\"json_size\":\"12288\",\"keyslots_size\":\"16744448\",\"requirements\":{\"mandatory\":[\"req0\",\"req1\"]}}"), 0);
	assert_int_equal(luks2_json_parse(&hdr, area, sizeof(area)), 0);
	assert_string_equal(hdr.requirements, "req0,req1");
	luks_header_done(&hdr);
	assert_int_equal(parse_config("{\"json_size\":\"12288\",\"keyslots_size\":\"16744448\",\"requirements\":{\"mandatory\":[1]}}"), -LUKS_ERR_DAMAGED);
}

#define REENCRYPT_KEYSLOT                                                                                      \
	"{\"type\":\"reencrypt\",\"key_size\":1,\"mode\":\"reencrypt\",\"direction\":\"forward\","             \
	"\"area\":{\"type\":\"checksum\",\"offset\":\"290816\",\"size\":\"4096\",\"hash\":\"sha256\",\"sector_size\":4096}}"

static void reencryption_states_unsupported(void **state)
{
	(void)state;
	assert_int_equal(parse_segments("{\"0\":" SEGMENT ",\"1\":" SEGMENT "}"), -LUKS_ERR_UNSUPPORTED);
	assert_int_equal(parse_segments("{\"0\":{\"type\":\"crypt\",\"offset\":\"16777216\",\"size\":\"dynamic\",\"iv_tweak\":\"8\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":512}}"),
			 -LUKS_ERR_UNSUPPORTED);
	/* cryptsetup's reencryption keyslot, with its requirement: refused as reencryption in progress,
	 * not as damage, and not for its area's type. */
	assert_int_equal(parse("{\"0\":" KEYSLOT("32768", "258048") ",\"2\":" REENCRYPT_KEYSLOT "}", "{\"0\":" SEGMENT "}",
			       "{\"0\":" DIGEST "}",
			       "{\"json_size\":\"12288\",\"keyslots_size\":\"16744448\",\"requirements\":{\"mandatory\":[\"online-reencrypt-v2\"]}}",
			       "{}"),
			 -LUKS_ERR_UNSUPPORTED);
	/* Without it the slot is only a place in the keyslots area. */
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("32768", "258048") ",\"2\":" REENCRYPT_KEYSLOT "}"), 0);
}

/* cryptsetup's rules where this program was stricter or looser. */
static void af_stripes_always_4000(void **state)
{
	struct luks_header hdr = { .version = 2, .hdr_size = 16384 };
	char keyslot[1024];

	(void)state;
	snprintf(keyslot, sizeof(keyslot), "{\"0\":%s}", KEYSLOT("32768", "258048"));
	*strstr(keyslot, "4000") = '2';
	assert_int_equal(parse_keyslots(keyslot), 0);
	assert_int_equal(luks2_json_parse(&hdr, area, sizeof(area)), 0);
	assert_int_equal(hdr.keyslots[0].stripes, 4000);
	luks_header_done(&hdr);
	*strstr(keyslot, "2000") = '"';
	assert_int_equal(parse_keyslots(keyslot), -LUKS_ERR_DAMAGED); /* the field must still be a number */
}

static void keyslot_areas_need_no_4k_alignment(void **state)
{
	(void)state;
	assert_int_equal(parse_keyslots("{\"0\":" KEYSLOT("33280", "256512") "}"), 0);
}

static void token_types_any_string(void **state)
{
	struct luks_header hdr = { .version = 2, .hdr_size = 16384 };
	char tokens[512];

	(void)state;
	assert_int_equal(parse_tokens("{\"0\":{\"type\":\"\",\"keyslots\":[\"0\"]},\"1\":{\"type\":\"\\u0001\",\"keyslots\":[]}}"), 0);
	snprintf(tokens, sizeof(tokens), "{\"0\":{\"type\":\"%0300d\",\"keyslots\":[\"0\"]}}", 7);
	assert_int_equal(parse_tokens(tokens), 0);
	assert_int_equal(luks2_json_parse(&hdr, area, sizeof(area)), 0);
	assert_true(hdr.tokens[0].active);
	assert_string_equal(hdr.tokens[0].type, "");
	luks_header_done(&hdr);
	assert_int_equal(parse_tokens("{\"0\":{\"type\":7,\"keyslots\":[]}}"), -LUKS_ERR_DAMAGED);
}

static int parse_digest(const char *salt, const char *digest)
{
	char digests[512];

	snprintf(digests, sizeof(digests),
		 "{\"0\":{\"type\":\"pbkdf2\",\"keyslots\":[\"0\"],\"segments\":[\"0\"],\"hash\":\"sha256\","
		 "\"iterations\":1000,\"salt\":\"%s\",\"digest\":\"%s\"}}", salt, digest);
	return parse("{\"0\":" KEYSLOT("32768", "258048") "}", "{\"0\":" SEGMENT "}", digests, CONFIG, "{}");
}

static void digest_and_salt_lengths(void **state)
{
	const char *salt32 = "c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ=";

	(void)state;
	assert_int_equal(parse_digest(salt32, salt32), 0);                                  /* sha256's 32 */
	assert_int_equal(parse_digest(salt32, "MDEyMzQ1Njc4OTAxMjM0NTY3ODk="), 0);        /* LUKS1's 20 */
	assert_int_equal(parse_digest(salt32, "AA=="), -LUKS_ERR_DAMAGED);                 /* 1 byte */
	assert_int_equal(parse_digest(salt32, "MDEyMzQ1Njc4OTAxMjM0NTY3ODkw"), -LUKS_ERR_DAMAGED); /* 21 */
	assert_int_equal(parse_digest("c2FsdHNhbHRzYWx0c2FsdA==", salt32), -LUKS_ERR_DAMAGED); /* a 16-byte salt */
}

static void bad_base64(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"0\":" KEYSLOT("32768", "258048") "}", "{\"0\":" SEGMENT "}",
			       "{\"0\":{\"type\":\"pbkdf2\",\"keyslots\":[\"0\"],\"segments\":[\"0\"],\"hash\":\"sha256\",\"iterations\":1000,\"salt\":\"!!!!\",\"digest\":" SALT "}}",
			       CONFIG, "{}"),
			 -LUKS_ERR_DAMAGED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_document),
		cmocka_unit_test(keyslot_area_outside),
		cmocka_unit_test(keyslot_areas_overlap),
		cmocka_unit_test(keyslot_area_too_small_for_stripes),
		cmocka_unit_test(numbers_wrong_type_or_range),
		cmocka_unit_test(ids_must_be_small_decimals),
		cmocka_unit_test(missing_sections),
		cmocka_unit_test(deep_nesting_refused),
		cmocka_unit_test(trailing_garbage_refused),
		cmocka_unit_test(requirements_recorded),
		cmocka_unit_test(reencryption_states_unsupported),
		cmocka_unit_test(bad_base64),
		cmocka_unit_test(af_stripes_always_4000),
		cmocka_unit_test(keyslot_areas_need_no_4k_alignment),
		cmocka_unit_test(token_types_any_string),
		cmocka_unit_test(digest_and_salt_lengths),
	};
	log_set_max_level(LOG_LEVEL_QUIET);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
