/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "open/prompt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "base/log.h"

static int read_line(int fd, struct secret *s)
{
	for (;;) {
		uint8_t c;
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 || c == '\n')
			return 0;
		if (secret_append(s, &c, 1) < 0)
			return log_error_ret(-EINVAL, "passphrase longer than %d bytes", PASSPHRASE_MAX);
	}
}

static int read_line_noecho(int fd, struct secret *s, const char *prompt)
{
	struct termios old, quiet;
	int r;

	if (tcgetattr(fd, &old) < 0)
		return -errno;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0)
		return -errno;
	r = read_line(fd, s);
	tcsetattr(fd, TCSAFLUSH, &old);
	return r;
}

int prompt_passphrase(const char *prompt, struct secret **out)
{
	_cleanup_secret_ struct secret *s = secret_new(PASSPHRASE_MAX);
	bool tty = isatty(STDIN_FILENO);
	int r;

	if (!s)
		return -ENOMEM;
	r = tty ? read_line_noecho(STDIN_FILENO, s, prompt) : read_line(STDIN_FILENO, s);
	if (r < 0)
		return r;
	*out = s;
	s = NULL;
	return 0;
}
