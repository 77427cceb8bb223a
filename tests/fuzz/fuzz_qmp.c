/* Fuzzer for the QMP control socket's message handling (vmm/qmp/: framing,
 * parsing, shape and argument checks, negotiation, dispatch, deferred
 * replies, getfd/closefd, events). The input is a list of operations on one
 * client, each an op byte:
 *   0 LEN16 BYTES   the client's next input bytes (any split)
 *   1 LEN16 BYTES   the same with an fd passed along (a /dev/null dup)
 *   2 B             answer the oldest deferred request (B&1: with an error)
 *   3 B             an event (B&1: with data)
 *   4 B             qmp_fd_take of name "f<B%4>" (closed if found)
 *   5               the client hangs up; a new one connects
 * The server has a few commands of its own: echo (typed arguments), fail,
 * defer (kept for op 2, at most 8), event (sends an event while answering),
 * take (qmp_fd_take of its name argument). At the end the client hangs up
 * first, then the deferred requests are answered (each must be a no-op),
 * then the server closes. Checked: every line the client gets is one JSON
 * object ending in "\r\n" that is a greeting, a return, an error or an
 * event; no fd is left open and nothing leaks (LeakSanitizer). */
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../vmm/qmp/internal.h"

#define MAX_KEPT 8

static struct qmp_request *kept[MAX_KEPT];
static int n_kept;
static struct qmp_server *srv;
static int null_fd = -1;
static char out[1 << 16];
static size_t out_len;

static int cmd_echo(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	*ret = json_deep_copy(args);
	return 0;
}

static int cmd_fail(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	qmp_error(req, "DeviceNotFound", "Device '%s' not found", "x");
	return -1;
}

static int cmd_defer(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	if (n_kept == MAX_KEPT)
		return -1;
	kept[n_kept++] = req;
	return QMP_DEFERRED;
}

static int cmd_event(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	qmp_event(srv, "INSIDE", json_pack("{s:i}", "n", 1));
	return 0;
}

static int cmd_take(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	int fd = qmp_fd_take(srv, json_string_value(json_object_get(args, "name")));

	if (fd >= 0)
		close(fd);
	*ret = json_boolean(fd >= 0);
	return 0;
}

static const struct qmp_arg echo_args[] = {
	{ "s", QMP_ARG_STR, true }, { "n", QMP_ARG_INT, false },
	{ "b", QMP_ARG_BOOL, false }, { "any", QMP_ARG_ANY, false }, { NULL, 0, false },
};
static const struct qmp_arg take_args[] = { { "name", QMP_ARG_STR, true }, { NULL, 0, false } };

static const struct qmp_command cmds[] = {
	{ "echo", echo_args, cmd_echo },
	{ "fail", NULL, cmd_fail },
	{ "defer", NULL, cmd_defer },
	{ "event", NULL, cmd_event },
	{ "take", take_args, cmd_take },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0)
		abort();
	return 0;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Each complete line the client got must be one QMP message. */
static void check_lines(void)
{
	size_t start = 0, i;
	json_t *m;

	for (i = 0; i + 1 < out_len; i++) {
		if (out[i] != '\r' || out[i + 1] != '\n')
			continue;
		m = json_loadb(out + start, i - start, 0, NULL);
		FUZZ_ASSERT(json_is_object(m));
		FUZZ_ASSERT(json_object_get(m, "QMP") || json_object_get(m, "return") ||
			    json_object_get(m, "error") || json_object_get(m, "event"));
		json_decref(m);
		start = i + 2;
		i++;
	}
	memmove(out, out + start, out_len - start);
	out_len -= start;
}

static void drain(int peer)
{
	ssize_t n;

	for (;;) {
		if (out_len == sizeof(out))
			out_len = 0;    /* a line too long to check: skip it */
		n = recv(peer, out + out_len, sizeof(out) - out_len, MSG_DONTWAIT);
		if (n <= 0)
			break;
		out_len += (size_t)n;
		check_lines();
	}
}

static struct qmp_client *connect_client(int *peer)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		abort();
	*peer = sv[1];
	out_len = 0;
	return qmp_client_new(srv, sv[0]);
}

static void answer_oldest(uint8_t b)
{
	struct qmp_request *req;

	if (!n_kept)
		return;
	req = kept[0];
	memmove(kept, kept + 1, (size_t)--n_kept * sizeof(kept[0]));
	if (b & 1)
		qmp_reply_error(req, "GenericError", "deferred %u", b);
	else
		qmp_reply(req, b & 2 ? json_pack("{s:i}", "late", b) : NULL);
}

static void feed(struct qmp_client *c, struct fuzz_in *in, bool with_fd)
{
	size_t want = fuzz_u16(in) % 4097, len;
	const uint8_t *p = fuzz_take(in, want, &len);
	int fd = with_fd ? dup(null_fd) : -1;

	if (c->dead) {
		if (fd >= 0)
			close(fd);
		return;
	}
	qmp_client_input(c, (const char *)p, len, &fd, fd >= 0);
	qmp_server_reap(srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	int before = count_fds(), peer;
	struct qmp_client *c;
	char name[4];
	uint8_t op, b;
	int fd;

	srv = qmp_server_new();
	if (!srv)
		abort();
	qmp_server_register(srv, cmds, sizeof(cmds) / sizeof(cmds[0]), NULL);
	n_kept = 0;
	c = connect_client(&peer);
	FUZZ_ASSERT(c);
	while (fuzz_more(&in)) {
		op = fuzz_u8(&in) % 6;
		switch (op) {
		case 0:
		case 1:
			feed(c, &in, op == 1);
			break;
		case 2:
			answer_oldest(fuzz_u8(&in));
			break;
		case 3:
			b = fuzz_u8(&in);
			qmp_event(srv, "FUZZ", b & 1 ? json_pack("{s:i}", "b", b) : NULL);
			break;
		case 4:
			snprintf(name, sizeof(name), "f%u", fuzz_u8(&in) % 4);
			fd = qmp_fd_take(srv, name);
			if (fd >= 0)
				close(fd);
			break;
		default:
			drain(peer);
			close(peer);
			qmp_client_drop(c);
			qmp_server_reap(srv);
			c = connect_client(&peer);
			FUZZ_ASSERT(c);
			break;
		}
		drain(peer);
	}
	/* the client leaves with requests deferred: answering them is a no-op */
	close(peer);
	qmp_client_drop(c);
	qmp_server_reap(srv);
	while (n_kept)
		answer_oldest((uint8_t)n_kept);
	qmp_server_close(srv);
	srv = NULL;
	FUZZ_ASSERT(count_fds() == before);
	return 0;
}
