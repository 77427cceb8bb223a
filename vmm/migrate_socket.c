/* Live migration's transports (see migrate_socket.h): the URI parser, the
 * source's connect with a timeout, the destination's listen and its accept
 * of one connection. Groundwork for issue 15's live migration; nothing
 * uses it yet. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "migrate_socket.h"

/* ---- parsing ---- */

static int bad_uri(const char *uri, const char *why, char *err, size_t errlen)
{
	snprintf(err, errlen, "migration URI '%s': %s", uri, why);
	return -1;
}

static int parse_path(const char *uri, const char *path, size_t max, struct migrate_uri *u,
		      char *err, size_t errlen)
{
	char why[80];

	if (!*path)
		return bad_uri(uri, "empty path", err, errlen);
	if (strlen(path) > max) {
		snprintf(why, sizeof(why), "path too long (at most %zu bytes%s)", max,
			 u->kind == MIGRATE_UNIX ? " for a Unix socket" : "");
		return bad_uri(uri, why, err, errlen);
	}
	strcpy(u->path, path);
	return 0;
}

/* 0 to 65535 in decimal, nothing else (no sign, no spaces, no hex). */
static bool port_ok(const char *port)
{
	unsigned long v = 0;
	const char *p;

	if (!*port || strlen(port) > 5)
		return false;
	for (p = port; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	return v <= 65535;
}

/* hp is what follows "tcp:": HOST:PORT or [IPV6]:PORT. Where the host
 * (len bytes, brackets aside) and the port start. */
static int split_host_port(const char *uri, const char *hp, const char **host, size_t *len,
			   const char **port, char *err, size_t errlen)
{
	const char *end;

	if (*hp == '[') {
		end = strchr(hp, ']');
		if (!end)
			return bad_uri(uri, "no ']' closing the IPv6 address (tcp:[ADDRESS]:PORT)",
				       err, errlen);
		if (end[1] != ':')
			return bad_uri(uri, "no port after the IPv6 address (tcp:[ADDRESS]:PORT)",
				       err, errlen);
		*host = hp + 1;
		*len = (size_t)(end - *host);
		*port = end + 2;
		return 0;
	}
	end = strrchr(hp, ':');
	if (!end)
		return bad_uri(uri, "no port (tcp:HOST:PORT)", err, errlen);
	*host = hp;
	*len = (size_t)(end - hp);
	*port = end + 1;
	if (memchr(hp, ':', *len))
		return bad_uri(uri, "an IPv6 address goes in brackets (tcp:[ADDRESS]:PORT)",
			       err, errlen);
	return 0;
}

static int parse_tcp(const char *uri, const char *hp, struct migrate_uri *u, char *err,
		     size_t errlen)
{
	const char *host, *port;
	struct in6_addr a6;
	size_t len;

	if (split_host_port(uri, hp, &host, &len, &port, err, errlen))
		return -1;
	if (!len)
		return bad_uri(uri, "empty host (tcp:HOST:PORT)", err, errlen);
	if (len >= sizeof(u->host))
		return bad_uri(uri, "host name too long", err, errlen);
	memcpy(u->host, host, len);
	u->host[len] = '\0';
	if (*hp == '[' && inet_pton(AF_INET6, u->host, &a6) != 1)
		return bad_uri(uri, "not an IPv6 address in the brackets", err, errlen);
	if (!port_ok(port))
		return bad_uri(uri, "the port is not a number from 0 to 65535", err, errlen);
	strcpy(u->port, port);
	return 0;
}

int migrate_uri_parse(const char *uri, struct migrate_uri *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	if (!uri || !*uri) {
		snprintf(err, errlen, "migration URI is empty: unix:PATH, tcp:HOST:PORT or "
			 "file:PATH");
		return -1;
	}
	if (strlen(uri) >= sizeof(u->text))
		return bad_uri("...", "too long", err, errlen);
	strcpy(u->text, uri);
	if (!strncmp(uri, "unix:", 5)) {
		u->kind = MIGRATE_UNIX;
		return parse_path(uri, uri + 5, MIGRATE_UNIX_PATH_MAX, u, err, errlen);
	}
	if (!strncmp(uri, "file:", 5)) {
		u->kind = MIGRATE_FILE;
		return parse_path(uri, uri + 5, sizeof(u->path) - 1, u, err, errlen);
	}
	if (!strncmp(uri, "tcp:", 4)) {
		u->kind = MIGRATE_TCP;
		return parse_tcp(uri, uri + 4, u, err, errlen);
	}
	return bad_uri(uri, "unknown transport (unix:PATH, tcp:HOST:PORT or file:PATH)", err,
		       errlen);
}

/* ---- common ---- */

static int fail(const char *side, const char *text, const char *what, int e, char *err,
		size_t errlen)
{
	if (e)
		snprintf(err, errlen, "%s %s: %s: %s", side, text, what, strerror(e));
	else
		snprintf(err, errlen, "%s %s: %s", side, text, what);
	return -1;
}

static int unix_address(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) > MIGRATE_UNIX_PATH_MAX)
		return -1;
	strcpy(sa->sun_path, path);
	return 0;
}

static void no_delay(int fd)
{
	int one = 1;

	/* an optimisation only (the switchover's last bytes go at once) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ---- the source ---- */

#define SOURCE "migrate to"

static int set_send_timeout(int fd, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One blocking connect bounded by SO_SNDTIMEO: 0 or -errno, -ETIMEDOUT
 * when the time ran out (TCP says EINPROGRESS then, a Unix socket whose
 * listener's backlog is full EAGAIN). */
static int connect_one(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int e;

	if (timeout_ms > 0 && set_send_timeout(fd, timeout_ms))
		return -errno;
	if (connect(fd, sa, len)) {
		e = errno;
		return e == EINPROGRESS || e == EAGAIN ? -ETIMEDOUT : -e;
	}
	if (timeout_ms > 0 && set_send_timeout(fd, 0))
		return -errno;
	return 0;
}

static int timed_out(const struct migrate_uri *u, int timeout_ms, char *err, size_t errlen)
{
	char what[64];

	snprintf(what, sizeof(what), "cannot connect: no answer within %d ms", timeout_ms);
	return fail(SOURCE, u->text, what, 0, err, errlen);
}

static int connect_unix(const struct migrate_uri *u, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd, ret;

	if (unix_address(u->path, &sa))
		return fail(SOURCE, u->text, "path too long", 0, err, errlen);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(SOURCE, u->text, "socket", errno, err, errlen);
	ret = connect_one(fd, (struct sockaddr *)&sa, sizeof(sa), timeout_ms);
	if (!ret)
		return fd;
	close(fd);
	if (ret == -ETIMEDOUT)
		return timed_out(u, timeout_ms, err, errlen);
	return fail(SOURCE, u->text, "cannot connect", -ret, err, errlen);
}

static bool is_address(const char *host)
{
	struct in6_addr a;

	return inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1;
}

static int resolve(const struct migrate_uri *u, int flags, struct addrinfo **res,
		   const char *side, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | flags,
	};
	char what[MIGRATE_HOST_MAX + 64];
	int ret = getaddrinfo(u->host, u->port, &hints, res);

	if (!ret)
		return 0;
	snprintf(what, sizeof(what), "cannot resolve '%s': %s", u->host,
		 ret == EAI_SYSTEM ? strerror(errno) : gai_strerror(ret));
	return fail(side, u->text, what, 0, err, errlen);
}

/* Each address in turn; the error of the last one tried. */
static int connect_tcp(const struct migrate_uri *u, int timeout_ms, unsigned flags,
		       char *err, size_t errlen)
{
	struct addrinfo *res, *ai;
	int fd = -1, ret = -EADDRNOTAVAIL;

	if (!strcmp(u->port, "0"))
		return fail(SOURCE, u->text, "port 0 is for listening only", 0, err, errlen);
	if ((flags & MIGRATE_CONNECT_NUMERIC) && !is_address(u->host))
		return fail(SOURCE, u->text, "a host name cannot be resolved under the seccomp "
			    "sandbox: give an IPv4 or IPv6 address (or --no-seccomp)", 0, err,
			    errlen);
	if (resolve(u, flags & MIGRATE_CONNECT_NUMERIC ? AI_NUMERICHOST : 0, &res, SOURCE,
		    err, errlen))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			ret = -errno;
			continue;
		}
		ret = connect_one(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
		if (!ret)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		no_delay(fd);
		return fd;
	}
	if (ret == -ETIMEDOUT)
		return timed_out(u, timeout_ms, err, errlen);
	return fail(SOURCE, u->text, "cannot connect", -ret, err, errlen);
}

int migrate_connect(const struct migrate_uri *u, int timeout_ms, unsigned flags, char *err,
		    size_t errlen)
{
	if (u->kind == MIGRATE_UNIX)
		return connect_unix(u, timeout_ms, err, errlen);
	if (u->kind == MIGRATE_TCP)
		return connect_tcp(u, timeout_ms, flags, err, errlen);
	return fail(SOURCE, u->text, "not a socket (unix:PATH or tcp:HOST:PORT)", 0, err, errlen);
}

/* ---- the destination ---- */

#define DEST "--incoming"

static int listen_unix(struct migrate_listener *l, const struct migrate_uri *u, char *err,
		       size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int ret;

	if (unix_address(u->path, &sa))
		return fail(DEST, u->text, "path too long", 0, err, errlen);
	if (!lstat(u->path, &st))
		return fail(DEST, u->text, "the path exists (a socket left by an earlier run? "
			    "remove it)", 0, err, errlen);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return fail(DEST, u->text, "socket", errno, err, errlen);
	/* 0600 from the start: never visible with a wider mode */
	old = umask(0177);
	ret = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret)
		return fail(DEST, u->text, "cannot create the socket", errno, err, errlen);
	strcpy(l->path, u->path);
	if (listen(l->fd, 1))
		return fail(DEST, u->text, "cannot listen", errno, err, errlen);
	return 0;
}

static int bind_one(const struct addrinfo *ai)
{
	int one = 1, fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 1)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int listen_tcp(struct migrate_listener *l, const struct migrate_uri *u, char *err,
		      size_t errlen)
{
	struct addrinfo *res, *ai;
	int ret = -EADDRNOTAVAIL;

	if (resolve(u, AI_PASSIVE, &res, DEST, err, errlen))
		return -1;
	for (ai = res; ai && l->fd < 0; ai = ai->ai_next) {
		ret = bind_one(ai);
		if (ret >= 0)
			l->fd = ret;
	}
	freeaddrinfo(res);
	if (l->fd < 0)
		return fail(DEST, u->text, "cannot listen", -ret, err, errlen);
	l->port = bound_port(l->fd);
	return 0;
}

int migrate_listen(struct migrate_listener *l, const struct migrate_uri *u, char *err,
		   size_t errlen)
{
	int ret;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	strcpy(l->text, u->text);
	if (u->kind == MIGRATE_UNIX)
		ret = listen_unix(l, u, err, errlen);
	else if (u->kind == MIGRATE_TCP)
		ret = listen_tcp(l, u, err, errlen);
	else
		ret = fail(DEST, u->text, "not a socket (unix:PATH or tcp:HOST:PORT)", 0, err,
			   errlen);
	if (ret)
		migrate_listener_close(l);
	return ret;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Until the listener is readable: 0, -ETIMEDOUT, or -errno. */
static int wait_readable(int fd, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret, left = timeout_ms > 0 ? timeout_ms : -1;

	for (;;) {
		ret = poll(&pfd, 1, left);
		if (ret > 0)
			return 0;
		if (!ret)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
		if (timeout_ms > 0) {
			left = (int)(end - now_ms());
			if (left <= 0)
				return -ETIMEDOUT;
		}
	}
}

int migrate_accept(struct migrate_listener *l, int timeout_ms, char *err, size_t errlen)
{
	char what[64];
	int ret, fd;

	if (l->fd < 0)
		return fail(DEST, l->text, "not listening", 0, err, errlen);
	ret = wait_readable(l->fd, timeout_ms);
	if (ret == -ETIMEDOUT) {
		snprintf(what, sizeof(what), "no source connected within %d ms", timeout_ms);
		return fail(DEST, l->text, what, 0, err, errlen);
	}
	if (ret)
		return fail(DEST, l->text, "waiting for the source", -ret, err, errlen);
	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return fail(DEST, l->text, "cannot accept the source", errno, err, errlen);
	if (!l->path[0])
		no_delay(fd);
	migrate_listener_close(l);
	return fd;
}

void migrate_listener_close(struct migrate_listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (l->path[0])
		unlink(l->path);
	l->path[0] = '\0';
}
