/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/tool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"

/* Not PID 1's own environment, which holds whatever words of the kernel command line the kernel
 * did not know (LD_PRELOAD=... among them, were it given). */
static char *const tool_environment[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LVM_SUPPRESS_FD_WARNINGS=1", NULL };

static int spawn_with_output(char *const argv[], int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t actions;
	int r;

	if ((r = posix_spawn_file_actions_init(&actions)) != 0)
		return -r;
	r = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
	if (r == 0)
		r = posix_spawn(pid, argv[0], &actions, NULL, argv, tool_environment);
	posix_spawn_file_actions_destroy(&actions);
	return -r;
}

/* Reads what the child prints until it closes its end or the deadline passes; false on the latter. */
static int output_collect(int fd, long long deadline_ms, char *out, size_t size)
{
	size_t used = 0;
	char discard[512];

	for (;;) {
		long long left = deadline_ms - monotonic_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)MIN(left, 1000)) <= 0)
			continue;
		if (used + 1 < size)
			n = read(fd, out + used, size - 1 - used);
		else
			n = read(fd, discard, sizeof(discard));
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return 0;
		if (n > 0 && used + 1 < size) {
			used += (size_t)n;
			out[used] = '\0';
		}
	}
}

int tool_run(char *const argv[], int timeout_sec, char *out, size_t size)
{
	long long deadline = monotonic_ms() + (long long)timeout_sec * 1000;
	int pipefd[2], status, r;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	r = spawn_with_output(argv, pipefd[1], &pid);
	close(pipefd[1]);
	if (r < 0) {
		close(pipefd[0]);
		return r;
	}
	r = output_collect(pipefd[0], deadline, out, size);
	close(pipefd[0]);
	if (r == -ETIMEDOUT)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (r == -ETIMEDOUT)
		return r;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const char *tool_find(const char *const paths[])
{
	for (size_t i = 0; paths[i]; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}
