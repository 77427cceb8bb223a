/* Live migration's transports: a migration URI parsed ("unix:PATH",
 * "tcp:HOST:PORT" with an IPv4 address, an IPv6 one in brackets or a host
 * name, "file:PATH"), the source's connect with a timeout, and the
 * destination's listen and accept of exactly one connection. Every error
 * is one line. Groundwork for issue 15's live migration; nothing uses it
 * yet.
 *
 * The source connects while the guest runs, under the seccomp sandbox
 * (vmm/seccomp.c allows it a stream socket, connect, SO_SNDTIMEO and
 * TCP_NODELAY, nothing else): so the connect is a blocking one whose
 * timeout is SO_SNDTIMEO (no poll or fcntl), and there a host name must be
 * refused rather than resolved (MIGRATE_CONNECT_NUMERIC: the resolver would
 * open files and datagram sockets). The destination listens and accepts
 * before its sandbox goes on. */
#ifndef CONDUIT_MIGRATE_SOCKET_H
#define CONDUIT_MIGRATE_SOCKET_H

#include <limits.h>
#include <stddef.h>

#define MIGRATE_URI_MAX  (PATH_MAX + 16)
#define MIGRATE_HOST_MAX 256
#define MIGRATE_UNIX_PATH_MAX 107       /* sun_path, less its terminator */

enum migrate_transport {
	MIGRATE_UNIX,
	MIGRATE_TCP,
	MIGRATE_FILE,
};

struct migrate_uri {
	enum migrate_transport kind;
	char text[MIGRATE_URI_MAX];     /* as given, for messages */
	char path[PATH_MAX];            /* unix: and file: */
	char host[MIGRATE_HOST_MAX];    /* tcp: without brackets */
	char port[8];                   /* tcp: decimal, 0 to 65535 */
};

/* Parse uri into u. 0, or -1 with a one-line err: an unknown transport, an
 * empty or too long path, a missing or empty host, an IPv6 address without
 * brackets, a port that is not a number from 0 to 65535. Port 0 is for a
 * destination that lets the kernel pick (struct migrate_listener's port). */
int migrate_uri_parse(const char *uri, struct migrate_uri *u, char *err, size_t errlen);

/* migrate_connect() flags. */
#define MIGRATE_CONNECT_NUMERIC 1       /* an address, never a name (sandboxed) */

/* The source's side: a connected stream socket (SOCK_CLOEXEC, blocking;
 * TCP_NODELAY on TCP) to u, unix: or tcp:, each of a name's addresses
 * tried in turn. timeout_ms bounds each connect (0: the kernel's own);
 * afterwards the socket has no send timeout. Returns the fd, or -1 with a
 * one-line err. */
int migrate_connect(const struct migrate_uri *u, int timeout_ms, unsigned flags, char *err,
		    size_t errlen);

struct migrate_listener {
	int fd;                         /* -1: closed */
	int port;                       /* tcp: the port listened on */
	char path[MIGRATE_UNIX_PATH_MAX + 1];  /* unix: the socket file; "": none */
	char text[MIGRATE_URI_MAX];     /* the URI, for messages */
};

/* The destination's side: listen on u, unix: (a new socket file of mode
 * 0600; a file already there is an error, not replaced) or tcp: (the first
 * of the host's addresses that binds). 0, or -1 with a one-line err. */
int migrate_listen(struct migrate_listener *l, const struct migrate_uri *u, char *err,
		   size_t errlen);
/* Wait up to timeout_ms (0 or less: for ever) for the source and accept
 * it: returns the connected fd (SOCK_CLOEXEC, blocking); the listener is
 * closed then and its socket file removed, so no second source can
 * connect. -1 with a one-line err when none came in time (the listener
 * stays open). */
int migrate_accept(struct migrate_listener *l, int timeout_ms, char *err, size_t errlen);
/* Close the listener and remove its socket file; nothing when closed. */
void migrate_listener_close(struct migrate_listener *l);

#endif
