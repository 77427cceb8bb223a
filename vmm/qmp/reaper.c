/* The control socket's reaper. conduit's main-thread seccomp list has no
 * unlink (a filter cannot check a path), and a conduit killed by SIGKILL or
 * a crash runs no clean-up at all; yet the socket file must not outlive
 * it. So before the sandbox and before any device is opened, conduit forks
 * a helper that holds nothing but two pipes: it waits for the end of the
 * first (EOF comes when conduit closes it, or when conduit's process is
 * gone, whatever the way), then removes the socket file if it still is the
 * same socket (device and inode: a newer conduit may have replaced a stale
 * one), writes one byte on the second pipe and exits. It leaves the
 * terminal's process group (setsid) so a Ctrl-C aimed at conduit does not
 * kill it first. On a normal exit conduit closes the first pipe and reads
 * the second, so the file is gone when conduit's exit status is. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "reaper.h"

static void run_helper(int done_rd, int ack_wr, const char *path, dev_t dev, ino_t ino)
{
	struct stat st;
	char b;
	int fd;

	setsid();
	prctl(PR_SET_NAME, "conduit-reaper");
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* nothing of conduit's but the two pipes */
	for (fd = 0; fd < 1024; fd++)
		if (fd != done_rd && fd != ack_wr)
			close(fd);
	while (read(done_rd, &b, 1) < 0 && errno == EINTR)
		;
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode) && st.st_dev == dev && st.st_ino == ino)
		unlink(path);
	b = 1;
	if (write(ack_wr, &b, 1) < 0)
		_exit(1);
	_exit(0);
}

int socket_reaper_start(struct socket_reaper *r, const char *path)
{
	int done[2], ack[2];
	struct stat st;
	pid_t pid;

	r->done_fd = r->ack_fd = -1;
	r->pid = -1;
	if (lstat(path, &st))
		return -errno;
	if (pipe2(done, O_CLOEXEC))
		return -errno;
	if (pipe2(ack, O_CLOEXEC)) {
		close(done[0]);
		close(done[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(done[0]);
		close(done[1]);
		close(ack[0]);
		close(ack[1]);
		return -e;
	}
	if (pid == 0)
		run_helper(done[0], ack[1], path, st.st_dev, st.st_ino);
	close(done[0]);
	close(ack[1]);
	r->done_fd = done[1];
	r->ack_fd = ack[0];
	r->pid = pid;
	return 0;
}

void socket_reaper_finish(struct socket_reaper *r)
{
	char b;

	if (r->done_fd < 0)
		return;
	close(r->done_fd);
	while (read(r->ack_fd, &b, 1) < 0 && errno == EINTR)
		;
	close(r->ack_fd);
	r->done_fd = r->ack_fd = -1;
}
