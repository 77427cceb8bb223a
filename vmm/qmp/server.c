/* The QMP server's socket side: the listening socket (creation, stale
 * socket replacement, unlink at close), clients (accept, at most
 * QMP_MAX_CLIENTS, greeting), their input (recvmsg with the fds passed by
 * SCM_RIGHTS, framing into messages) and output (buffered, nonblocking,
 * MSG_NOSIGNAL), events, unlinking the socket at close (not under the
 * seccomp sandbox: see unlink_socket()), and the event-loop watches (POLLIN always,
 * POLLOUT while output waits). A client is never freed inside a handler:
 * it is dropped (socket shut down, off the loop) and reaped when the
 * outermost entry point returns. Messages themselves: dispatch.c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"
#include "../event_loop.h"
#include "../log.h"
#include "../seccomp.h"

#define READ_CHUNK 16384

struct qmp_server *qmp_server_new(void)
{
	struct qmp_server *s = calloc(1, sizeof(*s));
	int i;

	if (!s)
		return NULL;
	s->listen_fd = -1;
	s->listen_src = -1;
	for (i = 0; i < QMP_MAX_NAMED_FDS; i++)
		s->named[i].fd = -1;
	/* jansson seeds its hash function on first use, from /dev/urandom:
	 * do it now, before any sandbox. */
	json_object_seed(0);
	return s;
}

struct qmp_client *qmp_server_client(struct qmp_server *s, int i)
{
	return i >= 0 && i < QMP_MAX_CLIENTS ? s->clients[i] : NULL;
}

/* --- output ---------------------------------------------------------------- */

static void client_writable(void *opaque, int fd);

static void watch_output(struct qmp_client *c, bool on)
{
	struct event_loop *loop = c->s->loop;

	if (!loop || c->dead)
		return;
	if (on && c->out_src < 0)
		c->out_src = event_loop_add_events(loop, c->fd, POLLOUT, client_writable, c);
	if (!on && c->out_src >= 0) {
		event_loop_remove_id(loop, c->out_src);
		c->out_src = -1;
	}
}

static void flush(struct qmp_client *c)
{
	ssize_t n;

	while (!c->dead && c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			watch_output(c, true);
			return;
		}
		if (n < 0) {
			qmp_client_drop(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	watch_output(c, false);
}

static int reserve(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	char *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

/* Queue len bytes of text and "\r\n". */
static void send_text(struct qmp_client *c, const char *text, size_t len)
{
	size_t pending;

	if (c->dead)
		return;
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	pending = c->out_len;
	if (pending + len + 2 > QMP_MAX_OUTPUT) {
		pr_warn("api socket: a client left %zu bytes of output unread: disconnected",
			pending);
		qmp_client_drop(c);
		return;
	}
	if (reserve(&c->out, &c->out_cap, pending + len + 2)) {
		qmp_client_drop(c);
		return;
	}
	memcpy(c->out + pending, text, len);
	memcpy(c->out + pending + len, "\r\n", 2);
	c->out_len = pending + len + 2;
	flush(c);
}

void qmp_client_send(struct qmp_client *c, json_t *msg)
{
	char *text;

	if (c->dead)
		return;
	text = json_dumps(msg, JSON_ENCODE_ANY);
	if (!text) {
		qmp_client_drop(c);
		return;
	}
	send_text(c, text, strlen(text));
	free(text);
}

/* --- clients --------------------------------------------------------------- */

static void client_readable(void *opaque, int fd);

static void close_fds(int *fds, int *n)
{
	int i;

	for (i = 0; i < *n; i++)
		close(fds[i]);
	*n = 0;
}

static void watch_client(struct qmp_client *c)
{
	struct event_loop *loop = c->s->loop;
	int id;

	if (!loop || c->dead)
		return;
	id = event_loop_add_events(loop, c->fd, POLLIN, client_readable, c);
	if (id < 0) {
		pr_warn("api socket: cannot watch a client: %s", strerror(-id));
		qmp_client_drop(c);
		return;
	}
	c->in_src = id;
	if (c->out_len > c->out_off)
		watch_output(c, true);
}

static void unwatch_client(struct qmp_client *c)
{
	struct event_loop *loop = c->s->loop;

	if (loop && c->in_src >= 0)
		event_loop_remove_id(loop, c->in_src);
	if (loop && c->out_src >= 0)
		event_loop_remove_id(loop, c->out_src);
	c->in_src = c->out_src = -1;
}

struct qmp_client *qmp_client_new(struct qmp_server *s, int fd)
{
	struct qmp_client *c;
	json_t *greeting;
	int i;

	for (i = 0; i < QMP_MAX_CLIENTS && s->clients[i]; i++)
		;
	c = i < QMP_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(fd);
		return NULL;
	}
	c->s = s;
	c->fd = fd;
	c->in_src = c->out_src = -1;
	s->clients[i] = c;
	greeting = qmp_greeting();
	if (greeting)
		qmp_client_send(c, greeting);
	else
		qmp_client_drop(c);
	json_decref(greeting);
	watch_client(c);
	return c;
}

void qmp_client_drop(struct qmp_client *c)
{
	struct qmp_request *r;

	if (c->dead)
		return;
	c->dead = true;
	for (r = c->deferred; r; r = r->next)
		r->client = NULL;
	c->deferred = NULL;
	close_fds(c->fds, &c->n_fds);
	unwatch_client(c);
	shutdown(c->fd, SHUT_RDWR);
}

void qmp_server_reap(struct qmp_server *s)
{
	struct qmp_client *c;
	int i;

	if (s->busy)
		return;
	for (i = 0; i < QMP_MAX_CLIENTS; i++) {
		c = s->clients[i];
		if (!c || !c->dead)
			continue;
		s->clients[i] = NULL;
		close(c->fd);
		free(c->in);
		free(c->out);
		free(c);
	}
}

/* --- input ----------------------------------------------------------------- */

static void adopt_fds(struct qmp_client *c, const int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (c->n_fds < QMP_MAX_FDS_IN && !c->dead)
			c->fds[c->n_fds++] = fds[i];
		else
			close(fds[i]);
	}
}

static void too_much_input(struct qmp_client *c)
{
	json_t *e = json_pack("{s:{s:s,s:s}}", "error", "class", "GenericError", "desc",
			      "QMP input of more than 1048576 bytes without a complete "
			      "message: disconnecting");

	if (e)
		qmp_client_send(c, e);
	json_decref(e);
	qmp_client_drop(c);
}

/* Handle every complete message in c->in; keep the partial rest. */
static void consume(struct qmp_client *c)
{
	size_t off = 0, n, skip;

	while (!c->dead && off < c->in_len) {
		n = qmp_frame(c->in + off, c->in_len - off, &skip);
		if (!n) {
			off += skip;
			break;
		}
		qmp_handle_message(c, c->in + off, n);
		off += n;
	}
	if (c->dead)
		return;
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	if (c->in_len > QMP_MAX_INPUT)
		too_much_input(c);
	/* fds not claimed by getfd stay with the connection until the next
	 * getfd or its end, as in QEMU: its own client (qemu.qmp's
	 * send_fd_scm) passes the fd on a lone byte before the command */
}

void qmp_client_input(struct qmp_client *c, const char *data, size_t len,
		      const int *fds, int n_fds)
{
	c->s->busy++;
	adopt_fds(c, fds, n_fds);
	if (!c->dead && len && !reserve(&c->in, &c->in_cap, c->in_len + len)) {
		memcpy(c->in + c->in_len, data, len);
		c->in_len += len;
		consume(c);
	} else if (!c->dead && len) {
		qmp_client_drop(c);
	}
	c->s->busy--;
}

/* The fds of an SCM_RIGHTS message; returns how many. */
static int cmsg_fds(struct msghdr *msg, int *fds, int max)
{
	struct cmsghdr *cm;
	int n = 0, k, i;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

/* Read until the socket would block; returns false once c is dropped. */
static bool read_some(struct qmp_client *c)
{
	union {
		char buf[CMSG_SPACE(QMP_MAX_FDS_IN * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char data[READ_CHUNK];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[QMP_MAX_FDS_IN], n_fds;
	ssize_t n;

	while (!c->dead) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		n_fds = n < 0 ? 0 : cmsg_fds(&msg, fds, QMP_MAX_FDS_IN);
		if (n <= 0) {
			close_fds(fds, &n_fds);
			qmp_client_drop(c);
			return false;
		}
		qmp_client_input(c, data, (size_t)n, fds, n_fds);
	}
	return false;
}

static void client_readable(void *opaque, int fd)
{
	struct qmp_client *c = opaque;
	struct qmp_server *s = c->s;

	s->busy++;
	read_some(c);
	s->busy--;
	qmp_server_reap(s);
}

static void client_writable(void *opaque, int fd)
{
	struct qmp_client *c = opaque;
	struct qmp_server *s = c->s;

	s->busy++;
	flush(c);
	s->busy--;
	qmp_server_reap(s);
}

/* --- accepting ------------------------------------------------------------- */

static bool full(struct qmp_server *s)
{
	int i;

	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		if (!s->clients[i])
			return false;
	return true;
}

static void refuse(int fd)
{
	static const char msg[] = "{\"error\": {\"class\": \"GenericError\", \"desc\": "
				  "\"too many clients (at most 16)\"}}\r\n";

	if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		pr_debug("api socket: refusing a client: %s", strerror(errno));
	close(fd);
}

static void accept_all(struct qmp_server *s)
{
	int fd;

	if (s->listen_fd < 0)
		return;
	for (;;) {
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
				pr_warn("api socket: accept: %s", strerror(errno));
			return;
		}
		qmp_server_reap(s);
		if (full(s))
			refuse(fd);
		else
			qmp_client_new(s, fd);
	}
}

static void listen_readable(void *opaque, int fd)
{
	struct qmp_server *s = opaque;

	accept_all(s);
	qmp_server_reap(s);
}

void qmp_server_service(struct qmp_server *s)
{
	int i;

	accept_all(s);
	s->busy++;
	for (i = 0; i < QMP_MAX_CLIENTS; i++) {
		if (!s->clients[i] || s->clients[i]->dead)
			continue;
		if (read_some(s->clients[i]))
			flush(s->clients[i]);
	}
	s->busy--;
	qmp_server_reap(s);
}

/* --- the event loop -------------------------------------------------------- */

int qmp_server_attach(struct qmp_server *s, struct event_loop *loop)
{
	int i, id;

	qmp_server_detach(s);
	s->loop = loop;
	if (s->listen_fd >= 0) {
		id = event_loop_add_events(loop, s->listen_fd, POLLIN, listen_readable, s);
		if (id < 0) {
			s->loop = NULL;
			return id;
		}
		s->listen_src = id;
	}
	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		if (s->clients[i])
			watch_client(s->clients[i]);
	/* input that came while detached is seen by the new polls at once
	 * (a poll is checked when armed) */
	qmp_server_reap(s);
	return 0;
}

void qmp_server_detach(struct qmp_server *s)
{
	int i;

	if (!s->loop)
		return;
	if (s->listen_src >= 0)
		event_loop_remove_id(s->loop, s->listen_src);
	s->listen_src = -1;
	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		if (s->clients[i])
			unwatch_client(s->clients[i]);
	s->loop = NULL;
}

/* --- events ---------------------------------------------------------------- */

void qmp_event(struct qmp_server *s, const char *name, json_t *data)
{
	struct timespec ts;
	json_t *ev;
	char *text;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	ev = json_pack("{s:{s:I,s:I},s:s}", "timestamp", "seconds", (json_int_t)ts.tv_sec,
		       "microseconds", (json_int_t)(ts.tv_nsec / 1000), "event", name);
	if (ev && data)
		json_object_set(ev, "data", data);
	json_decref(data);
	text = ev ? json_dumps(ev, 0) : NULL;
	json_decref(ev);
	if (!text)
		return;
	s->busy++;
	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		if (s->clients[i] && s->clients[i]->negotiated)
			send_text(s->clients[i], text, strlen(text));
	s->busy--;
	free(text);
	qmp_server_reap(s);
}

/* --- the listening socket -------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *path, const char *what, int e)
{
	if (e)
		snprintf(err, errlen, "--api-socket %s: %s: %s", path, what, strerror(e));
	else
		snprintf(err, errlen, "--api-socket %s: %s", path, what);
	return -1;
}

/* What is at path already: nothing, a stale socket (removed), or an error. */
static int clear_path(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret, e;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : fail(err, errlen, path, "cannot stat it", errno);
	if (!S_ISSOCK(st.st_mode))
		return fail(err, errlen, path, "exists and is not a socket (not removed)", 0);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, path, "socket", errno);
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	if (!ret)
		return fail(err, errlen, path, "another conduit is listening on it", 0);
	if (e != ECONNREFUSED)
		return fail(err, errlen, path, "cannot check the socket there", e);
	if (unlink(path) && errno != ENOENT)
		return fail(err, errlen, path, "cannot remove the stale socket there", errno);
	return 0;
}

static int listen_on(struct qmp_server *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int ret;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return fail(err, errlen, path, *path ? "path too long for a Unix socket "
			    "(at most 107 bytes)" : "empty path", 0);
	memcpy(sa.sun_path, path, strlen(path));
	if (clear_path(path, &sa, err, errlen))
		return -1;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		return fail(err, errlen, path, "socket", errno);
	/* 0600 from the start: never visible with a wider mode */
	old = umask(0177);
	ret = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret)
		return fail(err, errlen, path, "cannot create the socket", errno);
	if (listen(s->listen_fd, QMP_MAX_CLIENTS) || stat(path, &st)) {
		ret = errno;
		unlink(path);
		return fail(err, errlen, path, "cannot listen", ret);
	}
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	return 0;
}

int qmp_server_open(struct qmp_server **out, const char *path, char *err, size_t errlen)
{
	struct qmp_server *s = qmp_server_new();

	*out = NULL;
	if (!s)
		return fail(err, errlen, path, "out of memory", 0);
	s->path = strdup(path);
	if (!s->path || listen_on(s, path, err, errlen)) {
		if (!s->path)
			fail(err, errlen, path, "out of memory", 0);
		qmp_server_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* Unlink the socket if the name still is this server's socket (a newer
 * conduit may have replaced a socket it found stale). Not under the
 * seccomp sandbox, which has no unlink (a filter cannot check a path, and
 * unlinkat ignores its directory fd for an absolute path): there the
 * reaper process (reaper.c) removes it once conduit is gone. */
static void unlink_socket(struct qmp_server *s)
{
	struct stat st;

	if (seccomp_active() || !s->sock_ino)
		return;
	if (!lstat(s->path, &st) && st.st_dev == s->sock_dev && st.st_ino == s->sock_ino)
		unlink(s->path);
}

void qmp_server_close(struct qmp_server *s)
{
	int i;

	if (!s)
		return;
	qmp_server_detach(s);
	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		if (s->clients[i])
			qmp_client_drop(s->clients[i]);
	s->busy = 0;
	qmp_server_reap(s);
	qmp_named_fds_close(s);
	if (s->listen_fd >= 0) {
		unlink_socket(s);
		close(s->listen_fd);
	}
	free(s->path);
	free(s);
}
