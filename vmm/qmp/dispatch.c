/* QMP messages: parsing a framed message (jansson, strict: duplicate keys
 * rejected), checking its shape, capabilities negotiation, looking the
 * command up in the built-in and registered tables, checking its arguments
 * against the table, calling it and answering (now or, for QMP_DEFERRED,
 * later through qmp_reply), with QEMU's error classes and wording. Also
 * the built-in commands: qmp_capabilities, query-commands, getfd and
 * closefd, and the named fds they keep. Named fds belong to the server,
 * not to one connection as in QEMU, so that one `conduit ctl getfd` can
 * name an fd a later command uses. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "../cli.h"

#define DESC_MAX 512

/* --- replies --------------------------------------------------------------- */

static json_t *error_object(const char *cls, const char *fmt, va_list ap)
{
	char desc[DESC_MAX];

	vsnprintf(desc, sizeof(desc), fmt, ap);
	return json_pack("{s:s,s:s}", "class", cls, "desc", desc);
}

/* {"error": error, "id": id} or {"return": ret, "id": id}; steals ret and
 * error. */
static void answer(struct qmp_client *c, json_t *id, json_t *ret, json_t *error)
{
	json_t *msg = json_object();

	if (msg && error)
		json_object_set_new(msg, "error", error);
	else if (msg)
		json_object_set_new(msg, "return", ret ? ret : json_object());
	else {
		json_decref(ret);
		json_decref(error);
	}
	if (msg && id)
		json_object_set(msg, "id", id);
	if (msg && c && !c->dead)
		qmp_client_send(c, msg);
	json_decref(msg);
}

static void answer_error(struct qmp_client *c, json_t *id, const char *cls,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void answer_error(struct qmp_client *c, json_t *id, const char *cls,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	answer(c, id, NULL, error_object(cls, fmt, ap));
	va_end(ap);
}

void qmp_error(struct qmp_request *req, const char *cls, const char *fmt, ...)
{
	va_list ap;

	json_decref(req->error);
	va_start(ap, fmt);
	req->error = error_object(cls, fmt, ap);
	va_end(ap);
}

static void request_free(struct qmp_request *req)
{
	json_decref(req->id);
	json_decref(req->error);
	free(req);
}

/* Take req off its client's deferred list; returns the client or NULL. */
static struct qmp_client *unlink_request(struct qmp_request *req)
{
	struct qmp_client *c = req->client;
	struct qmp_request **p;

	if (!c)
		return NULL;
	for (p = &c->deferred; *p; p = &(*p)->next) {
		if (*p == req) {
			*p = req->next;
			break;
		}
	}
	return c;
}

/* Answer and free a deferred request; reap a client dropped meanwhile. */
static void finish(struct qmp_request *req, json_t *ret, json_t *error)
{
	struct qmp_client *c = unlink_request(req);
	struct qmp_server *s = c ? c->s : NULL;

	if (c) {
		s->busy++;
		answer(c, req->id, ret, error);
		s->busy--;
	} else {
		json_decref(ret);
		json_decref(error);
	}
	request_free(req);
	if (s)
		qmp_server_reap(s);
}

void qmp_reply(struct qmp_request *req, json_t *ret)
{
	finish(req, ret, NULL);
}

void qmp_reply_error(struct qmp_request *req, const char *cls, const char *fmt, ...)
{
	json_t *error;
	va_list ap;

	va_start(ap, fmt);
	error = error_object(cls, fmt, ap);
	va_end(ap);
	finish(req, NULL, error);
}

json_t *qmp_greeting(void)
{
	return json_pack("{s:{s:{s:{s:i,s:i,s:i},s:s},s:[]}}", "QMP", "version", "qemu",
			 "micro", 0, "minor", 2, "major", 7,
			 "package", "conduit " CONDUIT_VERSION, "capabilities");
}

/* --- named fds ------------------------------------------------------------- */

static struct qmp_named_fd *named_find(struct qmp_server *s, const char *name)
{
	int i;

	for (i = 0; i < QMP_MAX_NAMED_FDS; i++)
		if (s->named[i].fd >= 0 && !strcmp(s->named[i].name, name))
			return &s->named[i];
	return NULL;
}

int qmp_fd_take(struct qmp_server *s, const char *name)
{
	struct qmp_named_fd *n = named_find(s, name);
	int fd;

	if (!n)
		return -1;
	fd = n->fd;
	n->fd = -1;
	return fd;
}

void qmp_named_fds_close(struct qmp_server *s)
{
	int i;

	for (i = 0; i < QMP_MAX_NAMED_FDS; i++) {
		if (s->named[i].fd >= 0)
			close(s->named[i].fd);
		s->named[i].fd = -1;
	}
}

/* --- built-in commands ----------------------------------------------------- */

/* qmp_capabilities [enable: [...]]: this server offers no capability, so
 * "oob" is refused as unavailable and anything else as not a capability,
 * in QEMU's words. */
static int check_enable(struct qmp_request *req, json_t *enable)
{
	const char *cap;
	size_t i;
	json_t *v;

	if (!json_is_array(enable)) {
		qmp_error(req, "GenericError", "Parameter 'enable' expects an array");
		return -1;
	}
	json_array_foreach(enable, i, v) {
		cap = json_string_value(v);
		if (!cap) {
			qmp_error(req, "GenericError", "Parameter 'enable[%zu]' expects a string", i);
			return -1;
		}
		if (!strcmp(cap, "oob"))
			qmp_error(req, "GenericError", "Capability oob not available");
		else
			qmp_error(req, "GenericError",
				  "Parameter 'enable[%zu]' does not accept value '%s'", i, cap);
		return -1;
	}
	return 0;
}

static int cmd_capabilities(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct qmp_server *s = opaque;
	json_t *enable = json_object_get(args, "enable");

	if (s->current->negotiated) {
		qmp_error(req, "CommandNotFound",
			  "Capabilities negotiation is already complete, command ignored");
		return -1;
	}
	if (enable && check_enable(req, enable))
		return -1;
	s->current->negotiated = true;
	return 0;
}

static void list_builtins(json_t *list);

static int cmd_query_commands(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct qmp_server *s = opaque;
	json_t *list = json_array();
	size_t i;

	if (list)
		list_builtins(list);
	for (i = 0; list && i < s->n_cmds; i++)
		json_array_append_new(list, json_pack("{s:s}", "name", s->cmds[i].cmd->name));
	*ret = list;
	return 0;
}

static int cmd_getfd(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct qmp_server *s = opaque;
	struct qmp_client *c = s->current;
	const char *name = json_string_value(json_object_get(args, "fdname"));
	struct qmp_named_fd *n;
	int fd, i;

	if (!c->n_fds) {
		qmp_error(req, "GenericError", "No file descriptor supplied via SCM_RIGHTS");
		return -1;
	}
	fd = c->fds[0];
	memmove(c->fds, c->fds + 1, (size_t)--c->n_fds * sizeof(int));
	if (isdigit((unsigned char)name[0]) || strlen(name) >= QMP_FDNAME_MAX) {
		close(fd);
		qmp_error(req, "GenericError", "Parameter 'fdname' expects %s",
			  isdigit((unsigned char)name[0]) ? "a name not starting with a digit" :
			  "a name of at most 63 bytes");
		return -1;
	}
	n = named_find(s, name);
	for (i = 0; !n && i < QMP_MAX_NAMED_FDS; i++)
		if (s->named[i].fd < 0)
			n = &s->named[i];
	if (!n) {
		close(fd);
		qmp_error(req, "GenericError", "too many named file descriptors (at most %d)",
			  QMP_MAX_NAMED_FDS);
		return -1;
	}
	/* a name used again: the new fd replaces the old one, which is closed */
	if (n->fd >= 0)
		close(n->fd);
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->fd = fd;
	return 0;
}

static int cmd_closefd(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	struct qmp_server *s = opaque;
	const char *name = json_string_value(json_object_get(args, "fdname"));
	int fd = qmp_fd_take(s, name);

	if (fd < 0) {
		qmp_error(req, "GenericError", "File descriptor named '%s' not found", name);
		return -1;
	}
	close(fd);
	return 0;
}

static const struct qmp_arg caps_args[] = {
	{ "enable", QMP_ARG_ANY, false },
	{ NULL, 0, false },
};

static const struct qmp_arg fdname_args[] = {
	{ "fdname", QMP_ARG_STR, true },
	{ NULL, 0, false },
};

static const struct qmp_command builtins[] = {
	{ "qmp_capabilities", caps_args, cmd_capabilities },
	{ "query-commands", NULL, cmd_query_commands },
	{ "getfd", fdname_args, cmd_getfd },
	{ "closefd", fdname_args, cmd_closefd },
};
static const size_t n_builtins = sizeof(builtins) / sizeof(builtins[0]);

static void list_builtins(json_t *list)
{
	size_t i;

	for (i = 0; i < n_builtins; i++)
		json_array_append_new(list, json_pack("{s:s}", "name", builtins[i].name));
}

void qmp_server_register(struct qmp_server *s, const struct qmp_command *cmds,
			 size_t n, void *opaque)
{
	size_t i;

	for (i = 0; i < n && s->n_cmds < QMP_MAX_COMMANDS; i++)
		s->cmds[s->n_cmds++] = (struct qmp_cmd_entry){ &cmds[i], opaque };
}

static const struct qmp_command *lookup(struct qmp_server *s, const char *name, void **opaque)
{
	size_t i;

	for (i = 0; i < n_builtins; i++) {
		if (!strcmp(builtins[i].name, name)) {
			*opaque = s;
			return &builtins[i];
		}
	}
	for (i = 0; i < s->n_cmds; i++) {
		if (!strcmp(s->cmds[i].cmd->name, name)) {
			*opaque = s->cmds[i].opaque;
			return s->cmds[i].cmd;
		}
	}
	return NULL;
}

/* --- checking a message ---------------------------------------------------- */

static const char *type_name(enum qmp_arg_type t)
{
	switch (t) {
	case QMP_ARG_STR: return "a string";
	case QMP_ARG_INT: return "an integer";
	case QMP_ARG_BOOL: return "a boolean";
	default: return "a value";
	}
}

static bool type_ok(enum qmp_arg_type t, const json_t *v)
{
	switch (t) {
	case QMP_ARG_STR: return json_is_string(v);
	case QMP_ARG_INT: return json_is_integer(v);
	case QMP_ARG_BOOL: return json_is_boolean(v);
	default: return true;
	}
}

static bool declared(const struct qmp_arg *a, const char *name)
{
	for (; a && a->name; a++)
		if (!strcmp(a->name, name))
			return true;
	return false;
}

/* Arguments against the table, as QEMU's input visitor checks them: each
 * declared one (missing, type), then any left over. */
static int check_args(struct qmp_client *c, json_t *id, const struct qmp_arg *decl,
		      json_t *args)
{
	const struct qmp_arg *a;
	const char *key;
	json_t *v;

	for (a = decl; a && a->name; a++) {
		v = json_object_get(args, a->name);
		if (!v && a->required) {
			answer_error(c, id, "GenericError", "Parameter '%s' is missing", a->name);
			return -1;
		}
		if (v && !type_ok(a->type, v)) {
			answer_error(c, id, "GenericError", "Parameter '%s' expects %s",
				     a->name, type_name(a->type));
			return -1;
		}
	}
	json_object_foreach(args, key, v) {
		if (!declared(decl, key)) {
			answer_error(c, id, "GenericError", "Parameter '%s' is unexpected", key);
			return -1;
		}
	}
	return 0;
}

/* The members of a QMP input object, as QEMU's qmp_dispatch checks them.
 * Returns the command name or NULL after answering. */
static const char *check_shape(struct qmp_client *c, json_t *msg, json_t *id)
{
	const char *key;
	json_t *v;

	json_object_foreach(msg, key, v) {
		if (!strcmp(key, "execute") || !strcmp(key, "exec-oob")) {
			if (!json_is_string(v)) {
				answer_error(c, id, "GenericError",
					     "QMP input member '%s' must be a string", key);
				return NULL;
			}
		} else if (!strcmp(key, "arguments")) {
			if (!json_is_object(v)) {
				answer_error(c, id, "GenericError",
					     "QMP input member 'arguments' must be an object");
				return NULL;
			}
		} else if (strcmp(key, "id")) {
			answer_error(c, id, "GenericError", "QMP input member '%s' is unexpected",
				     key);
			return NULL;
		}
	}
	v = json_object_get(msg, "exec-oob");
	if (v && json_object_get(msg, "execute")) {
		answer_error(c, id, "GenericError",
			     "QMP input must have either 'execute' or 'exec-oob', not both");
		return NULL;
	}
	if (v) {
		answer_error(c, id, "GenericError", "The command %s does not support OOB",
			     json_string_value(v));
		return NULL;
	}
	v = json_object_get(msg, "execute");
	if (!v)
		answer_error(c, id, "GenericError", "QMP input lacks member 'execute'");
	return v ? json_string_value(v) : NULL;
}

/* --- running a command ----------------------------------------------------- */

static void run(struct qmp_client *c, const struct qmp_command *cmd, void *opaque,
		json_t *id, json_t *args)
{
	struct qmp_server *s = c->s;
	struct qmp_request *req = calloc(1, sizeof(*req));
	json_t *ret = NULL;
	int r;

	if (!req) {
		answer_error(c, id, "GenericError", "out of memory");
		return;
	}
	req->client = c;
	req->id = json_incref(id);
	s->current = c;
	r = cmd->fn(opaque, req, args, &ret);
	s->current = NULL;
	if (r == QMP_DEFERRED && !req->error) {
		json_decref(ret);
		if (c->dead) {
			req->client = NULL;
			return;
		}
		req->next = c->deferred;
		c->deferred = req;
		return;
	}
	if (r < 0 && !req->error)
		qmp_error(req, "GenericError", "%s failed", cmd->name);
	if (req->error) {
		json_decref(ret);
		answer(c, id, NULL, req->error);
		req->error = NULL;
	} else {
		answer(c, id, ret, NULL);
	}
	request_free(req);
}

void qmp_handle_message(struct qmp_client *c, const char *text, size_t len)
{
	json_t *msg, *id, *args, *empty = NULL;
	const struct qmp_command *cmd;
	const char *name;
	void *opaque;
	json_error_t e;

	msg = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	if (!msg) {
		answer_error(c, NULL, "GenericError", "JSON parse error, %s", e.text);
		return;
	}
	if (!json_is_object(msg)) {
		answer_error(c, NULL, "GenericError", "QMP input must be a JSON object");
		goto out;
	}
	id = json_object_get(msg, "id");
	name = check_shape(c, msg, id);
	if (!name)
		goto out;
	if (!c->negotiated && strcmp(name, "qmp_capabilities")) {
		answer_error(c, id, "CommandNotFound",
			     "Expecting capabilities negotiation with 'qmp_capabilities'");
		goto out;
	}
	cmd = lookup(c->s, name, &opaque);
	if (!cmd) {
		answer_error(c, id, "CommandNotFound", "The command %s has not been found", name);
		goto out;
	}
	args = json_object_get(msg, "arguments");
	if (!args)
		args = empty = json_object();
	if (args && !check_args(c, id, cmd->args, args))
		run(c, cmd, opaque, id, args);
out:
	json_decref(empty);
	json_decref(msg);
}
