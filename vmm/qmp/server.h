/* The QMP control socket (--api-socket): the public interface the machine
 * codes against. The server listens on a Unix socket, speaks QEMU's QMP
 * (greeting, qmp_capabilities, commands, events; see README "Control
 * socket"), answers the built-in commands (qmp_capabilities,
 * query-commands, getfd, closefd) and hands every other command to the
 * table registered with qmp_server_register().
 *
 * Main thread only: nothing here takes a lock. qmp_server_close() and
 * qmp_server_detach() must not be called from inside a command's fn (a
 * quit command stops the loop and the caller closes the server after).
 *
 * JSON is jansson's (json_t): a strict RFC 8259 parser that can reject
 * duplicate keys, tells integers from reals, parses a buffer of a given
 * length, reports errors with line and column, and checks arguments with
 * json_unpack. */
#ifndef CONDUIT_QMP_SERVER_H
#define CONDUIT_QMP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct event_loop;
struct qmp_server;              /* opaque */
struct qmp_request;             /* one command being answered; opaque */

enum qmp_arg_type { QMP_ARG_STR, QMP_ARG_INT, QMP_ARG_BOOL, QMP_ARG_ANY };

struct qmp_arg {
	const char *name;
	enum qmp_arg_type type;
	bool required;
};

/* A command's fn returns 0 with *ret set (NULL answers {}), or -1 after
 * qmp_error(), or QMP_DEFERRED after keeping req for a later qmp_reply()
 * or qmp_reply_error(). args is the validated "arguments" object (never
 * NULL; borrowed: json_incref what is kept). */
#define QMP_DEFERRED 1
typedef int (*qmp_cmd_fn)(void *opaque, struct qmp_request *req, json_t *args,
			  json_t **ret);

struct qmp_command {
	const char *name;
	const struct qmp_arg *args;     /* {NULL}-terminated; NULL: no arguments */
	qmp_cmd_fn fn;
};

/* Listen on path: a new socket of mode 0600 owned by the running user. A
 * stale socket there (nobody accepts: ECONNREFUSED) is replaced; a live
 * one ("--api-socket PATH: another conduit is listening on it") or any
 * file that is not a socket is an error and left alone. Returns 0, or -1
 * with a one-line message in err. */
int qmp_server_open(struct qmp_server **out, const char *path, char *err, size_t errlen);

/* Watch the listening socket and every client in loop. 0 or -errno. */
int qmp_server_attach(struct qmp_server *s, struct event_loop *loop);

/* Take every fd of the server off its loop (before the loop goes away, e.g.
 * when the machine is rebuilt on reboot). Clients stay connected; their
 * input waits in the socket and output in their buffers until the next
 * qmp_server_attach(). */
void qmp_server_detach(struct qmp_server *s);

/* Detach, disconnect every client, close named fds, close the socket and
 * unlink it if the path is still this server's socket and the seccomp
 * sandbox is off (the sandbox has no unlink: the socket stays, stale, and
 * the next qmp_server_open on the path replaces it). Requests still
 * deferred stay valid: qmp_reply() on them frees them and sends nothing. */
void qmp_server_close(struct qmp_server *s);

/* Add n commands answered by fn(opaque, ...). The table must outlive the
 * server; a name registered twice answers with the first. */
void qmp_server_register(struct qmp_server *s, const struct qmp_command *cmds,
			 size_t n, void *opaque);

/* Inside a command's fn: the error to answer with (cls e.g. "GenericError",
 * "CommandNotFound", "DeviceNotFound"); then return -1. */
void qmp_error(struct qmp_request *req, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Answer a deferred request: ret is stolen (NULL answers {}), req freed.
 * Nothing is sent if the client has gone away. */
void qmp_reply(struct qmp_request *req, json_t *ret);
void qmp_reply_error(struct qmp_request *req, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Send an event to every client past qmp_capabilities, with QEMU's
 * timestamp {seconds, microseconds} (CLOCK_REALTIME). data is stolen and
 * may be NULL (no "data" member). */
void qmp_event(struct qmp_server *s, const char *name, json_t *data);

/* The fd a client named with getfd; the caller owns it from now on (the
 * name is gone). -1 if there is none of that name. */
int qmp_fd_take(struct qmp_server *s, const char *name);

#endif
