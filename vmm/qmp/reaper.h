/* Removing the control socket's file at exit on every path, also under
 * the seccomp sandbox (which has no unlink) and after a crash or SIGKILL:
 * a small helper process does it once conduit is gone. */
#ifndef CONDUIT_QMP_REAPER_H
#define CONDUIT_QMP_REAPER_H

#include <sys/types.h>

struct socket_reaper {
	int done_fd;            /* closed: conduit is ending (-1: no reaper) */
	int ack_fd;             /* readable once the socket file is gone */
	pid_t pid;
};

/* Fork the helper for the socket file at path (which must be this
 * conduit's socket now: its device and inode are what is removed). Call
 * while the process has one thread and before any device is opened: the
 * helper keeps no fd of conduit's but the two pipes. Returns 0 or -errno. */
int socket_reaper_start(struct socket_reaper *r, const char *path);
/* Normal exit: let the helper remove the file now and wait until it has
 * (read: allowed under the sandbox). Safe on a reaper never started. */
void socket_reaper_finish(struct socket_reaper *r);

#endif
