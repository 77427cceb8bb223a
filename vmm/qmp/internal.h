/* What the QMP server's files share (server.c: socket, clients, I/O;
 * stream.c: framing; dispatch.c: messages, commands, named fds), and the
 * hooks the unit tests and the fuzzer drive it through. Not for the rest
 * of conduit: that uses server.h. */
#ifndef CONDUIT_QMP_INTERNAL_H
#define CONDUIT_QMP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "server.h"

#define QMP_MAX_CLIENTS   16
#define QMP_MAX_INPUT     (1U << 20)    /* unconsumed input without a message */
#define QMP_MAX_OUTPUT    (1U << 20)    /* output a client has not read */
#define QMP_MAX_FDS_IN    16            /* fds received and not yet claimed */
#define QMP_MAX_NAMED_FDS 32            /* fds named with getfd */
#define QMP_FDNAME_MAX    64
#define QMP_MAX_COMMANDS  128

struct qmp_client {
	struct qmp_server *s;
	int fd;
	int in_src, out_src;            /* event loop source ids, -1: none */
	bool negotiated;
	bool dead;                      /* dropped: freed at the next reap */
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_off, out_len, out_cap;       /* unsent: out[out_off, out_len) */
	int fds[QMP_MAX_FDS_IN];        /* received with SCM_RIGHTS, unclaimed */
	int n_fds;
	struct qmp_request *deferred;   /* requests kept by a command's fn */
};

struct qmp_request {
	struct qmp_client *client;      /* NULL once the client is gone */
	json_t *id;                     /* echoed back; NULL: none */
	json_t *error;                  /* set by qmp_error() */
	struct qmp_request *next;       /* in client->deferred */
};

struct qmp_cmd_entry {
	const struct qmp_command *cmd;
	void *opaque;
};

struct qmp_named_fd {
	char name[QMP_FDNAME_MAX];
	int fd;                         /* -1: free */
};

struct qmp_server {
	int listen_fd;                  /* -1: none (tests, fuzzer) */
	char *path;
	dev_t sock_dev;
	ino_t sock_ino;
	struct event_loop *loop;
	int listen_src;
	struct qmp_client *clients[QMP_MAX_CLIENTS];
	struct qmp_cmd_entry cmds[QMP_MAX_COMMANDS];
	size_t n_cmds;
	struct qmp_named_fd named[QMP_MAX_NAMED_FDS];
	struct qmp_client *current;     /* whose command is being dispatched */
	int busy;                       /* nesting of handlers: no reap inside */
};

/* --- stream.c --- */
/* Length of the first JSON value in buf[0, len) (leading whitespace
 * included), found as QEMU's streamer does, by counting brackets outside
 * strings; 0 if it is not complete yet. Whitespace alone: *skip says how
 * much to drop. */
size_t qmp_frame(const char *buf, size_t len, size_t *skip);

/* --- dispatch.c --- */
/* Handle one complete message (its bytes, as framed) from c. */
void qmp_handle_message(struct qmp_client *c, const char *msg, size_t len);
/* The greeting object sent to a new client. */
json_t *qmp_greeting(void);
/* Close every named fd. */
void qmp_named_fds_close(struct qmp_server *s);

/* --- server.c --- */
/* A server without a listening socket (tests, fuzzer). */
struct qmp_server *qmp_server_new(void);
/* Adopt a connected, nonblocking socket as a client and greet it. NULL if
 * the server is full (fd is closed then) or out of memory. */
struct qmp_client *qmp_client_new(struct qmp_server *s, int fd);
/* Take bytes (and fds received with them) as if read from c's socket;
 * fds are adopted. Then handle every complete message. */
void qmp_client_input(struct qmp_client *c, const char *data, size_t len,
		      const int *fds, int n_fds);
/* Queue one message (serialised, "\r\n" added) to c and try to send it.
 * Never blocks; a client over QMP_MAX_OUTPUT is dropped. */
void qmp_client_send(struct qmp_client *c, json_t *msg);
/* Drop c: shut its socket down, forget its deferred requests; freed at the
 * next reap. */
void qmp_client_drop(struct qmp_client *c);
/* Free dropped clients (outside any handler). */
void qmp_server_reap(struct qmp_server *s);
/* One pass of what the loop would do: accept, read every client until it
 * would block, flush output, reap. For tests, without an event loop. */
void qmp_server_service(struct qmp_server *s);
/* The i-th connected client (tests). */
struct qmp_client *qmp_server_client(struct qmp_server *s, int i);

#endif
