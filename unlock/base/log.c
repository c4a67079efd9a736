/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level max_level = LOG_LEVEL_INFO;
static bool with_uptime;
static void (*log_sink)(const char *line);

void log_set_max_level(enum log_level level) { max_level = level; }
void log_set_uptime(bool on) { with_uptime = on; }
void log_set_sink(void (*sink)(const char *line)) { log_sink = sink; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	va_list ap;

	char line[1024];
	int n = 0;

	if (level > max_level)
		return;
	if (with_uptime) {
		struct timespec ts;
		clock_gettime(CLOCK_BOOTTIME, &ts);
		n = snprintf(line, sizeof(line), "[%5lld.%06ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
	}
	n += snprintf(line + n, sizeof(line) - (size_t)n, "unlock: %s", prefix[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	if (log_sink)
		log_sink(line);
	else
		fputs(line, stderr);
}
