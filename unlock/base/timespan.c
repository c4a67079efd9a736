/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Written by hand: systemd's parse_sec() is not a library, and the format is small. */
#include "base/timespan.h"

#include <stdint.h>
#include <string.h>

#include "base/util.h"

#define USEC_PER_SEC 1000000ULL
#define TIME_SPAN_MAX_USEC (366ULL * 24 * 3600 * USEC_PER_SEC)

static uint64_t unit_usec(const char *unit, size_t len)
{
	static const struct {
		const char *name;
		uint64_t usec;
	} units[] = {
		{ "", USEC_PER_SEC },	     { "s", USEC_PER_SEC },	  { "sec", USEC_PER_SEC },
		{ "second", USEC_PER_SEC },  { "seconds", USEC_PER_SEC }, { "ms", 1000 },
		{ "msec", 1000 },	     { "us", 1 },		  { "usec", 1 },
		{ "m", 60 * USEC_PER_SEC },  { "min", 60 * USEC_PER_SEC }, { "minute", 60 * USEC_PER_SEC },
		{ "minutes", 60 * USEC_PER_SEC }, { "h", 3600 * USEC_PER_SEC }, { "hr", 3600 * USEC_PER_SEC },
		{ "hour", 3600 * USEC_PER_SEC }, { "hours", 3600 * USEC_PER_SEC }, { "d", 86400 * USEC_PER_SEC },
		{ "day", 86400 * USEC_PER_SEC }, { "days", 86400 * USEC_PER_SEC },
	};
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (strlen(units[i].name) == len && strncmp(units[i].name, unit, len) == 0)
			return units[i].usec;
	return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int parse_time_span_sec(const char *text, int *sec)
{
	uint64_t total = 0;
	const char *p = text;

	if (strcmp(text, "infinity") == 0) {
		*sec = 0;
		return 0;
	}
	while (*p == ' ')
		p++;
	if (!*p)
		return -1;
	while (*p) {
		uint64_t n = 0, per;
		const char *unit;
		if (!is_digit(*p))
			return -1;
		for (; is_digit(*p); p++) {
			n = n * 10 + (uint64_t)(*p - '0');
			if (n > TIME_SPAN_MAX_USEC)
				return -1;
		}
		while (*p == ' ')
			p++;
		for (unit = p; is_letter(*p); p++)
			;
		per = unit_usec(unit, (size_t)(p - unit));
		if (per == 0 || n > TIME_SPAN_MAX_USEC / per || total + n * per > TIME_SPAN_MAX_USEC)
			return -1;
		total += n * per;
		while (*p == ' ')
			p++;
	}
	*sec = (int)((total + USEC_PER_SEC - 1) / USEC_PER_SEC);
	return 0;
}
