/* Device fd handoff over a Unix socket. The message is one datagram-like
 * write on a stream socket: the payload FDPASS_MAGIC + the device's name,
 * with the device cdev fd and the iommufd attached as SCM_RIGHTS. The server
 * serves one client, checks its credentials (SO_PEERCRED) and removes the
 * socket; the client refuses anything but exactly two fds and the magic. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "fd_passing.h"

#define NFDS 2

static int sock_addr(const char *path, struct sockaddr_un *sa, char *err, size_t errlen)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		snprintf(err, errlen, "socket path %s is too long (at most %zu bytes)", path,
			 sizeof(sa->sun_path) - 1);
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

/* A stream socket for path, its address in sa; -1 with err set. */
static int unix_socket(const char *path, struct sockaddr_un *sa, char *err, size_t errlen)
{
	int s;

	if (sock_addr(path, sa, err, errlen))
		return -1;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		snprintf(err, errlen, "socket: %s", strerror(errno));
	return s;
}

static int send_handoff(int c, const struct fdpass_handoff *h)
{
	char payload[sizeof(FDPASS_MAGIC) + FDPASS_NAME_LEN];
	char ctl[CMSG_SPACE(NFDS * sizeof(int))];
	int fds[NFDS] = { h->device_fd, h->iommufd };
	struct iovec iov = { .iov_base = payload };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *cm;

	iov.iov_len = (size_t)snprintf(payload, sizeof(payload), "%s%s", FDPASS_MAGIC, h->name);
	memset(ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	return sendmsg(c, &msg, MSG_NOSIGNAL) == (ssize_t)iov.iov_len ? 0 : -1;
}

/* Accept clients until one has the right uid; -1 on a socket error. */
static int accept_client(int s, uid_t uid, const char *path, char *err, size_t errlen)
{
	for (;;) {
		struct ucred cr;
		socklen_t len = sizeof(cr);
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: accept: %s", path, strerror(errno));
			return -1;
		}
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
		    (cr.uid == 0 || uid == (uid_t)-1 || cr.uid == uid))
			return c;
		fprintf(stderr, "conduit: %s: refused a client with uid %u (serving uid %u)\n",
			path, (unsigned)cr.uid, (unsigned)uid);
		close(c);
	}
}

int fdpass_serve(const char *path, uid_t uid, const struct fdpass_handoff *h,
		 void (*ready)(const char *path), char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int s, c = -1, ret = -1, bound;
	mode_t old_mask;

	s = unix_socket(path, &sa, err, errlen);
	if (s < 0)
		return -1;
	/* Created 0600, never visible with a wider mode (the process is single
	 * threaded here, so the umask change touches nothing else). */
	old_mask = umask(0177);
	bound = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (bound < 0) {
		snprintf(err, errlen, "cannot create socket %s: %s%s", path, strerror(errno),
			 errno == EADDRINUSE ? " (remove it if no conduit serves it)" : "");
		goto out_close;
	}
	if (chmod(path, 0600) < 0 || (uid != (uid_t)-1 && chown(path, uid, (gid_t)-1) < 0)) {
		snprintf(err, errlen, "%s: cannot set its owner or mode: %s", path, strerror(errno));
		goto out_unlink;
	}
	if (listen(s, 1) < 0) {
		snprintf(err, errlen, "%s: listen: %s", path, strerror(errno));
		goto out_unlink;
	}
	if (ready)
		ready(path);
	c = accept_client(s, uid, path, err, errlen);
	if (c < 0)
		goto out_unlink;
	if (send_handoff(c, h)) {
		snprintf(err, errlen, "%s: sending the device fds: %s", path, strerror(errno));
		goto out_unlink;
	}
	ret = 0;
out_unlink:
	unlink(path);
out_close:
	if (c >= 0)
		close(c);
	close(s);
	return ret;
}

int fdpass_check_message(const char *payload, size_t len, int nfds,
			 struct fdpass_handoff *h, char *err, size_t errlen)
{
	size_t m = strlen(FDPASS_MAGIC), i;

	if (len < m || memcmp(payload, FDPASS_MAGIC, m)) {
		snprintf(err, errlen, "not a conduit device handoff");
		return -1;
	}
	if (nfds != NFDS) {
		snprintf(err, errlen, "the handoff carried %d fds, want %d (device and iommufd)",
			 nfds, NFDS);
		return -1;
	}
	len -= m;
	if (!len || len >= sizeof(h->name)) {
		snprintf(err, errlen, "the handoff names no device, or too long a name");
		return -1;
	}
	for (i = 0; i < len; i++) {
		char ch = payload[m + i];

		if (!(ch == ':' || ch == '.' || ch == '-' || (ch >= '0' && ch <= '9') ||
		      (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))) {
			snprintf(err, errlen, "the handoff's device name is not a PCI address or UUID");
			return -1;
		}
	}
	memcpy(h->name, payload + m, len);
	h->name[len] = '\0';
	return 0;
}

/* The fds that came with msg; at most max are kept, the rest closed. */
static int take_fds(struct msghdr *msg, int *fds, int max)
{
	struct cmsghdr *cm;
	int n = 0;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		size_t i, k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (n < max)
				fds[n] = fd;
			else
				close(fd);
			n++;
		}
	}
	return n;
}

int fdpass_receive(const char *path, struct fdpass_handoff *h, char *err, size_t errlen)
{
	char payload[sizeof(FDPASS_MAGIC) + FDPASS_NAME_LEN];
	char ctl[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { .iov_base = payload, .iov_len = sizeof(payload) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct sockaddr_un sa;
	int s, n, i, fds[NFDS] = { -1, -1 };
	ssize_t len;

	s = unix_socket(path, &sa, err, errlen);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "--passthrough fd:%s: cannot connect: %s (start 'conduit bind BDF --serve %s' first%s)",
			 path, strerror(errno), path,
			 errno == EACCES ? ", with --user set to your uid" : "");
		close(s);
		return -1;
	}
	len = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
	close(s);
	n = len < 0 ? 0 : take_fds(&msg, fds, NFDS);
	if (len < 0) {
		snprintf(err, errlen, "--passthrough fd:%s: %s", path, strerror(errno));
		return -1;
	}
	if ((msg.msg_flags & MSG_CTRUNC) ||
	    fdpass_check_message(payload, (size_t)len, n, h, err, errlen)) {
		if (msg.msg_flags & MSG_CTRUNC)
			snprintf(err, errlen, "too many fds in the handoff");
		for (i = 0; i < NFDS && i < n; i++)
			close(fds[i]);
		return -1;
	}
	h->device_fd = fds[0];
	h->iommufd = fds[1];
	return 0;
}
