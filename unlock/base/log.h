/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_LOG_H
#define UNLOCK_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_QUIET = -1, LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_max_level(enum log_level level);
/* Starts every message with the time since boot, as the kernel's own lines are (rd.debug). */
void log_set_uptime(bool on);
/* Sends every message (one line, with its newline) to sink instead of standard error. */
void log_set_sink(void (*sink)(const char *line));
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Logs at error level and returns r, so callers can write "return log_error_ret(r, ...)". */
#define log_error_ret(r, ...) (log_error(__VA_ARGS__), (r))

#endif
