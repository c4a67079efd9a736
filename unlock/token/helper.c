/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "token/helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "token/message.h"

/* tpm2-tss logs to standard error unless told not to; its messages mean nothing at the console. */
static const char *const helper_environment[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TSS2_LOG=all+none" };
/* Beside those, only what chooses a PKCS#11 module's configuration (tests, appliances). */
static const char *const helper_environment_passed[] = { "SOFTHSM2_CONF=", "OPENSC_CONF=", "P11_KIT_" };
#define HELPER_ENV_MAX 16

static const struct {
	const char *type;
	const char *program;
} helpers[] = {
	{ "systemd-tpm2", "unlock-tpm2" },
	{ "systemd-pkcs11", "unlock-pkcs11" },
};

const char *helper_program_find(const char *program, char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			snprintf(path, size, "%s/%s", self, program);
			if (access(path, X_OK) == 0)
				return path;
			/* Installed under another prefix: PREFIX/sbin/unlock, PREFIX/lib/unlock/PROGRAM. */
			snprintf(path, size, "%s/../lib/unlock/%s", self, program);
			if (access(path, X_OK) == 0)
				return path;
		}
	}
	snprintf(path, size, "/usr/lib/unlock/%s", program);
	return access(path, X_OK) == 0 ? path : NULL;
}

const char *token_helper_find(const char *type, char *path, size_t size)
{
	for (size_t i = 0; i < ARRAY_SIZE(helpers); i++)
		if (strcmp(type, helpers[i].type) == 0)
			return helper_program_find(helpers[i].program, path, size);
	return NULL;
}

static void helper_environment_make(char **env)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(helper_environment); i++)
		env[n++] = (char *)helper_environment[i];
	for (char **e = environ; *e && n < HELPER_ENV_MAX - 1; e++)
		for (size_t i = 0; i < ARRAY_SIZE(helper_environment_passed); i++)
			if (strncmp(*e, helper_environment_passed[i], strlen(helper_environment_passed[i])) == 0) {
				env[n++] = *e;
				break;
			}
	env[n] = NULL;
}

static int helper_spawn(const char *path, int fd, pid_t *pid)
{
	char *const argv[] = { (char *)path, NULL };
	char *env[HELPER_ENV_MAX];
	posix_spawn_file_actions_t actions;
	int r;

	helper_environment_make(env);
	if ((r = posix_spawn_file_actions_init(&actions)) != 0)
		return -r;
	r = posix_spawn_file_actions_adddup2(&actions, fd, STDIN_FILENO);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&actions, fd, STDOUT_FILENO);
	if (r == 0)
		r = posix_spawn(pid, path, &actions, NULL, argv, env);
	posix_spawn_file_actions_destroy(&actions);
	return -r;
}

static int wait_ready(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int n;

	while ((left = deadline - monotonic_ms()) > 0) {
		n = poll(&p, 1, (int)MIN(left, 1000));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
	return -ETIMEDOUT;
}

static int request_send(int fd, const struct secret *request, long long deadline)
{
	for (size_t done = 0; done < request->len;) {
		ssize_t n;
		int r = wait_ready(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
		n = send(fd, request->data + done, request->len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0)
			done += (size_t)n;
	}
	return shutdown(fd, SHUT_WR) < 0 ? -errno : 0;
}

/* Until the helper closes its end; an answer longer than the buffer is garbage, not truncated. */
static int answer_receive(int fd, struct secret *buf, long long deadline)
{
	for (;;) {
		ssize_t n;
		int r = wait_ready(fd, POLLIN, deadline);
		if (r < 0)
			return r;
		if (buf->len == buf->capacity)
			return -EMSGSIZE;
		n = recv(fd, buf->data + buf->len, buf->capacity - buf->len, MSG_DONTWAIT);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0)
			buf->len += (size_t)n;
	}
}

/* A helper that closed its socket gets until the deadline to exit, then it is killed too. */
static int helper_reap(pid_t pid, bool kill_now, long long deadline, int *status)
{
	pid_t r;

	if (!kill_now)
		while ((r = waitpid(pid, status, WNOHANG)) == 0 && monotonic_ms() < deadline)
			usleep(10000);
	else
		r = 0;
	if (r > 0)
		return 0;
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return kill_now ? 0 : -ETIMEDOUT;
}

static void helper_verdict(const char *path, int io, int status, const struct secret *buf, int timeout_sec,
			   struct token_answer *answer)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (io == -ETIMEDOUT)
		token_answer_fail(answer, TOKEN_FAIL_HELPER, "%s did not answer within %d s (token-timeout=); stopped it",
				  name, timeout_sec);
	else if (WIFSIGNALED(status))
		token_answer_fail(answer, TOKEN_FAIL_HELPER, "%s died of signal %d (%s)", name, WTERMSIG(status),
				  strsignal(WTERMSIG(status)));
	else if (io < 0)
		token_answer_fail(answer, TOKEN_FAIL_HELPER, "talking to %s failed: %s", name, strerror(-io));
	else if (token_answer_parse(buf->data, buf->len, answer) < 0)
		token_answer_fail(answer, TOKEN_FAIL_HELPER, "%s gave no valid answer (exit status %d)", name,
				  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int token_helper_run(const char *path, const struct secret *request, int timeout_sec, struct token_answer *answer)
{
	long long deadline = monotonic_ms() + (long long)timeout_sec * 1000;
	_cleanup_secret_ struct secret *buf = secret_new(TOKEN_PASSPHRASE_MAX + TOKEN_REASON_MAX + 256);
	int sv[2], status = 0, io, r;
	pid_t pid;

	memset(answer, 0, sizeof(*answer));
	if (!buf)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		token_answer_fail(answer, TOKEN_FAIL_HELPER, "no socket for the helper: %s", strerror(errno));
		return 0;
	}
	r = helper_spawn(path, sv[1], &pid);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		token_answer_fail(answer, TOKEN_FAIL_HELPER, "cannot start %s: %s", path, strerror(-r));
		return 0;
	}
	io = request_send(sv[0], request, deadline);
	if (io == 0 || io == -EPIPE)
		io = answer_receive(sv[0], buf, deadline);
	close(sv[0]);
	r = helper_reap(pid, io < 0, deadline, &status);
	if (io == 0 && r < 0)
		io = r;
	helper_verdict(path, io, status, buf, timeout_sec, answer);
	return 0;
}
