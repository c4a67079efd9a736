/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The binary keymap `loadkeys -b` writes: taken only when it is exactly that format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "boot/keymap.h"

static struct keymap km;
static uint8_t file[KEYMAP_FILE_MAX + 2];

/* A file with the given tables flagged; entry k of table t holds t * 128 + k. */
static size_t keymap_file(const int *tables, int n)
{
	size_t len = 7 + KEYMAP_TABLES;

	memset(file, 0, sizeof(file));
	memcpy(file, "bkeymap", 7);
	for (int i = 0; i < n; i++)
		file[7 + tables[i]] = 1;
	for (int t = 0; t < KEYMAP_TABLES; t++) {
		if (!file[7 + t])
			continue;
		for (int k = 0; k < KEYMAP_KEYS; k++) {
			uint16_t v = (uint16_t)(t * KEYMAP_KEYS + k);
			memcpy(file + len, &v, 2);
			len += 2;
		}
	}
	return len;
}

static void keymap_tables_in_order(void **state)
{
	static const int tables[] = { 0, 1, 4, 255 };
	size_t len = keymap_file(tables, 4);

	(void)state;
	assert_int_equal(keymap_parse(file, len, &km), 0);
	assert_int_equal(km.tables, 4);
	assert_int_equal(km.present[4], 1);
	assert_int_equal(km.present[2], 0);
	assert_int_equal(km.value[4][17], 4 * 128 + 17);
	assert_int_equal(km.value[255][127], 255 * 128 + 127);
}

static void keymap_every_table(void **state)
{
	int tables[KEYMAP_TABLES];
	size_t len;

	(void)state;
	for (int i = 0; i < KEYMAP_TABLES; i++)
		tables[i] = i;
	len = keymap_file(tables, KEYMAP_TABLES);
	assert_int_equal(len, KEYMAP_FILE_MAX);
	assert_int_equal(keymap_parse(file, len, &km), 0);
	assert_int_equal(km.tables, KEYMAP_TABLES);
}

static void keymap_wrong_length(void **state)
{
	static const int tables[] = { 0, 1 };
	size_t len = keymap_file(tables, 2);

	(void)state;
	assert_int_equal(keymap_parse(file, len - 1, &km), -EINVAL);
	assert_int_equal(keymap_parse(file, len + 1, &km), -EINVAL);
	assert_int_equal(keymap_parse(file, 7 + KEYMAP_TABLES - 1, &km), -EINVAL);
	assert_int_equal(keymap_parse(file, 3, &km), -EINVAL);
	assert_int_equal(keymap_parse(file, 0, &km), -EINVAL);
}

static void keymap_bad_magic_or_flag(void **state)
{
	static const int tables[] = { 0 };
	size_t len = keymap_file(tables, 1);

	(void)state;
	file[7 + 3] = 2;
	assert_int_equal(keymap_parse(file, len, &km), -EINVAL);
	len = keymap_file(tables, 1);
	file[0] = 'B';
	assert_int_equal(keymap_parse(file, len, &km), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keymap_tables_in_order),
		cmocka_unit_test(keymap_every_table),
		cmocka_unit_test(keymap_wrong_length),
		cmocka_unit_test(keymap_bad_magic_or_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
