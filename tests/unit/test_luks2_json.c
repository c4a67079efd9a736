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

static void deep_nesting_refused(void **state)
{
	char deep[4200];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 2000; i++)
		deep[n++] = '[';
	for (int i = 0; i < 2000; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	assert_int_equal(parse_tokens(deep), -LUKS_ERR_DAMAGED);
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
	assert_int_equal(parse_config("{\"json_size\":\"12288\",\"keyslots_size\":\"16744448\",\"requirements\":{\"mandatory\":[\"online-reencrypt\",\"req1\"]}}"), 0);
	assert_int_equal(luks2_json_parse(&hdr, area, sizeof(area)), 0);
	assert_string_equal(hdr.requirements, "online-reencrypt,req1");
	luks_header_done(&hdr);
	assert_int_equal(parse_config("{\"json_size\":\"12288\",\"keyslots_size\":\"16744448\",\"requirements\":{\"mandatory\":[1]}}"), -LUKS_ERR_DAMAGED);
}

static void reencryption_states_unsupported(void **state)
{
	(void)state;
	assert_int_equal(parse_segments("{\"0\":" SEGMENT ",\"1\":" SEGMENT "}"), -LUKS_ERR_UNSUPPORTED);
	assert_int_equal(parse_segments("{\"0\":{\"type\":\"crypt\",\"offset\":\"16777216\",\"size\":\"dynamic\",\"iv_tweak\":\"8\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":512}}"),
			 -LUKS_ERR_UNSUPPORTED);
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
	};
	log_set_max_level(LOG_LEVEL_QUIET);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
