/* `conduit ctl SOCKET COMMAND [KEY=VALUE...]`: a one-shot QMP client. It
 * connects, reads the greeting, negotiates (qmp_capabilities), sends the
 * command with its arguments (a VALUE that parses as JSON is taken as that
 * JSON value, anything else as a string, as QEMU's qmp-shell does) and an
 * fd with SCM_RIGHTS if --pass-fd asks, skips (or with -e prints) events,
 * and prints the reply's return value (nothing for {}), or its error's
 * desc on stderr with exit code 1. Usage errors exit 2. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "client.h"
#include "internal.h"

#define CTL_ID "conduit-ctl"

struct ctl {
	const char *path;
	int fd;
	int timeout_ms;
	int pass_fd;            /* -1: none */
	bool events;
	bool pretty;
	char *buf;
	size_t len, cap;
	struct timespec deadline;
};

static int ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("conduit ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: conduit ctl [options] SOCKET COMMAND [KEY=VALUE...]\n"
"\n"
"Send one QMP command to the conduit listening on SOCKET (--api-socket) and\n"
"print its return value (nothing when it is {}). Each VALUE that is JSON\n"
"(true, false, null, a number, \"a string\", [...], {...}) is sent as that\n"
"value, anything else as a string.\n"
"\n"
"  -t, --timeout S     wait at most S seconds for each answer (default 30)\n"
"  -e, --events        print the events that arrive before the reply\n"
"  -p, --pretty        print the return value indented\n"
"      --pass-fd N     pass this process's fd N along with the command\n"
"                      (SCM_RIGHTS), e.g. for getfd fdname=NAME\n"
"  -h, --help          this text\n"
"\n"
"Exit codes: 0 success, 1 failure (the error on stderr), 2 usage error.\n");
}

/* --- talking --------------------------------------------------------------- */

static int remaining_ms(const struct ctl *c)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (c->deadline.tv_sec - now.tv_sec) * 1000LL +
	     (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

static void arm_deadline(struct ctl *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += c->timeout_ms / 1000;
	c->deadline.tv_nsec += (c->timeout_ms % 1000) * 1000000L;
	if (c->deadline.tv_nsec >= 1000000000L) {
		c->deadline.tv_sec++;
		c->deadline.tv_nsec -= 1000000000L;
	}
}

/* Read more input; 0, or 1 after an error message. */
static int fill(struct ctl *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	char *nb;
	int r;

	r = poll(&p, 1, remaining_ms(c));
	if (r == 0)
		return ctl_error("%s: no answer within %d s", c->path, c->timeout_ms / 1000);
	if (r < 0)
		return ctl_error("%s: poll: %s", c->path, strerror(errno));
	if (c->len + 4096 > c->cap) {
		nb = realloc(c->buf, c->cap + 65536);
		if (!nb)
			return ctl_error("out of memory");
		c->buf = nb;
		c->cap += 65536;
	}
	n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n < 0)
		return ctl_error("%s: %s", c->path, strerror(errno));
	if (n == 0)
		return ctl_error("%s: the server closed the connection", c->path);
	c->len += (size_t)n;
	return 0;
}

/* The next message; NULL after an error message. */
static json_t *next_message(struct ctl *c)
{
	size_t n, skip;
	json_error_t e;
	json_t *m;

	for (;;) {
		n = qmp_frame(c->buf, c->len, &skip);
		if (n)
			break;
		if (skip) {
			memmove(c->buf, c->buf + skip, c->len - skip);
			c->len -= skip;
		}
		if (fill(c))
			return NULL;
	}
	m = json_loadb(c->buf, n, JSON_DECODE_ANY, &e);
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	if (!m || !json_is_object(m)) {
		json_decref(m);
		ctl_error("%s: the server sent what is not a QMP message", c->path);
		return NULL;
	}
	return m;
}

/* The reply to our request, events printed or skipped; NULL after an
 * error message. */
static json_t *next_reply(struct ctl *c)
{
	json_t *m;
	char *text;

	arm_deadline(c);
	while ((m = next_message(c))) {
		if (json_object_get(m, "return") || json_object_get(m, "error"))
			return m;
		if (c->events && json_object_get(m, "event")) {
			text = json_dumps(m, 0);
			if (text)
				printf("%s\n", text);
			free(text);
		}
		json_decref(m);
	}
	return NULL;
}

static int send_all(struct ctl *c, const char *text, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	while (iov.iov_len) {
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ctl_error("%s: %s", c->path, strerror(errno));
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= (size_t)n;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
	return 0;
}

/* Send cmd and wait for its reply; *ret gets the return value. 0 or 1. */
static int execute(struct ctl *c, json_t *cmd, int fd, json_t **ret)
{
	json_t *reply, *err;
	char *text = json_dumps(cmd, JSON_COMPACT);
	int r;

	if (!text)
		return ctl_error("out of memory");
	r = send_all(c, text, fd);
	free(text);
	if (r)
		return r;
	reply = next_reply(c);
	if (!reply)
		return 1;
	err = json_object_get(reply, "error");
	if (err) {
		ctl_error("%s", json_string_value(json_object_get(err, "desc")) ?
			  json_string_value(json_object_get(err, "desc")) : "error without a desc");
		json_decref(reply);
		return 1;
	}
	*ret = json_incref(json_object_get(reply, "return"));
	json_decref(reply);
	return 0;
}

static int connect_to(struct ctl *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(c->path) >= sizeof(sa.sun_path))
		return ctl_error("%s: path too long for a Unix socket", c->path);
	memcpy(sa.sun_path, c->path, strlen(c->path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return ctl_error("socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return ctl_error("%s: cannot connect: %s", c->path, strerror(errno));
	return 0;
}

static void print_return(const struct ctl *c, json_t *ret)
{
	char *text;

	if (!ret || (json_is_object(ret) && !json_object_size(ret)))
		return;
	text = json_dumps(ret, JSON_ENCODE_ANY | (c->pretty ? JSON_INDENT(2) : 0));
	if (text)
		printf("%s\n", text);
	free(text);
}

static int session(struct ctl *c, json_t *cmd)
{
	json_t *greeting, *ret = NULL, *caps;
	int r;

	if (connect_to(c))
		return 1;
	arm_deadline(c);
	greeting = next_message(c);
	if (!greeting)
		return 1;
	r = !json_is_object(json_object_get(greeting, "QMP"));
	json_decref(greeting);
	if (r)
		return ctl_error("%s: not a QMP server (no greeting)", c->path);
	caps = json_pack("{s:s}", "execute", "qmp_capabilities");
	r = caps ? execute(c, caps, -1, &ret) : ctl_error("out of memory");
	json_decref(caps);
	json_decref(ret);
	ret = NULL;
	if (r)
		return r;
	r = execute(c, cmd, c->pass_fd, &ret);
	if (!r)
		print_return(c, ret);
	json_decref(ret);
	return r;
}

/* --- the command line ------------------------------------------------------ */

/* KEY=VALUE into args; VALUE as JSON if it is JSON, else a string. */
static int add_arg(json_t *args, const char *kv)
{
	const char *eq = strchr(kv, '=');
	json_t *v;
	char *key;
	int r;

	if (!eq || eq == kv) {
		ctl_error("argument '%s' is not KEY=VALUE (see conduit ctl --help)", kv);
		return 2;
	}
	key = strndup(kv, (size_t)(eq - kv));
	if (!key)
		return ctl_error("out of memory");
	if (json_object_get(args, key)) {
		ctl_error("argument '%s' given twice", key);
		free(key);
		return 2;
	}
	v = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (!v)
		v = json_string(eq + 1);
	r = v ? json_object_set_new(args, key, v) : -1;
	free(key);
	return r ? ctl_error("argument '%s': not valid UTF-8, or out of memory", kv) : 0;
}

static int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static const struct option ctl_options[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "events",  no_argument,       NULL, 'e' },
	{ "pretty",  no_argument,       NULL, 'p' },
	{ "pass-fd", required_argument, NULL, 'F' },
	{ "help",    no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options; returns -1 to go on, else the exit code. */
static int parse_options(struct ctl *c, int argc, char **argv)
{
	int opt, secs;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":t:eph", ctl_options, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_int(optarg, 1, 86400, &secs)) {
				ctl_error("--timeout %s: not a number of seconds from 1 to 86400", optarg);
				return 2;
			}
			c->timeout_ms = secs * 1000;
			break;
		case 'e':
			c->events = true;
			break;
		case 'p':
			c->pretty = true;
			break;
		case 'F':
			if (parse_int(optarg, 0, 1 << 20, &c->pass_fd)) {
				ctl_error("--pass-fd %s: not an fd number", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			ctl_error("option '%s' needs a value (see conduit ctl --help)", argv[optind - 1]);
			return 2;
		default:
			ctl_error("unknown option '%s' (see conduit ctl --help)", argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind < 2) {
		ctl_error("%s (see conduit ctl --help)", argc - optind ? "no COMMAND given" :
			  "no SOCKET and COMMAND given");
		return 2;
	}
	return -1;
}

int qmp_ctl_main(int argc, char **argv)
{
	struct ctl c = { .fd = -1, .timeout_ms = 30000, .pass_fd = -1 };
	json_t *cmd, *args;
	int r, i;

	r = parse_options(&c, argc, argv);
	if (r >= 0)
		return r;
	c.path = argv[optind];
	args = json_object();
	cmd = json_object();
	r = args && cmd ? 0 : ctl_error("out of memory");
	for (i = optind + 2; !r && i < argc; i++)
		r = add_arg(args, argv[i]);
	if (!r && json_object_set_new(cmd, "execute", json_string(argv[optind + 1])))
		r = ctl_error("COMMAND '%s' is not valid UTF-8", argv[optind + 1]);
	if (!r && json_object_size(args))
		json_object_set(cmd, "arguments", args);
	if (!r)
		json_object_set_new(cmd, "id", json_string(CTL_ID));
	if (!r)
		r = session(&c, cmd);
	json_decref(args);
	json_decref(cmd);
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
	return r;
}
