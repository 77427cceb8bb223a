/* Tests of the QMP control socket (vmm/qmp/): a real server on a socket in
 * a temporary directory, real client sockets, driven by
 * qmp_server_service() (one pass of what the event loop would do) and, in
 * one case, by the io_uring event loop itself across a detach and attach.
 * Covered: greeting, negotiation, id echo, shape and argument errors,
 * framing (split, joined, malformed), input and output limits, deferred
 * replies (also after the client left), getfd/closefd with SCM_RIGHTS,
 * events, the socket file (mode, stale, live, not a socket), the client
 * limit, and the framing function itself. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "suites.h"
#include "../../vmm/event_loop.h"
#include "../../vmm/qmp/internal.h"

static char dir[64], path[128];
static struct qmp_server *srv;
static struct qmp_request *kept;        /* the "defer" command's request */
static struct event_loop *test_loop;

/* --- commands registered by the tests ------------------------------------ */

static int cmd_echo(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	*ret = json_deep_copy(args);
	return 0;
}

static int cmd_fail(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	qmp_error(req, "DeviceNotFound", "Device '%s' not found", "nic0");
	return -1;
}

static int cmd_defer(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	kept = req;
	return QMP_DEFERRED;
}

static int cmd_stop(void *opaque, struct qmp_request *req, json_t *args, json_t **ret)
{
	event_loop_stop(test_loop);
	return 0;
}

static const struct qmp_arg echo_args[] = {
	{ "s", QMP_ARG_STR, true },
	{ "n", QMP_ARG_INT, false },
	{ "b", QMP_ARG_BOOL, false },
	{ "any", QMP_ARG_ANY, false },
	{ NULL, 0, false },
};

static const struct qmp_command test_cmds[] = {
	{ "echo", echo_args, cmd_echo },
	{ "fail", NULL, cmd_fail },
	{ "defer", NULL, cmd_defer },
	{ "stop-loop", NULL, cmd_stop },
};

static void setup(void)
{
	char err[256];

	snprintf(dir, sizeof(dir), "/tmp/conduit-qmp-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	ck_assert_msg(qmp_server_open(&srv, path, err, sizeof(err)) == 0, "%s", err);
	qmp_server_register(srv, test_cmds, 4, NULL);
	kept = NULL;
}

static void teardown(void)
{
	qmp_server_close(srv);
	srv = NULL;
	unlink(path);
	rmdir(dir);
}

/* --- a raw client --------------------------------------------------------- */

static int connect_raw(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	qmp_server_service(srv);
	return fd;
}

static void put(int fd, const char *text)
{
	ck_assert_int_eq(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
}

/* Whether a byte can be read within ms (data or end of file). */
static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* One line ("\r\n"-terminated) as text; "" at end of file. */
static void get_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ck_assert_msg(readable(fd, 2000), "no answer; so far '%.*s'", (int)n, buf);
		if (read(fd, buf + n, 1) != 1)
			break;
		if (++n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n')
			break;
	}
	buf[n] = '\0';
}

static json_t *get_msg(int fd)
{
	char line[8192];
	json_error_t e;
	json_t *m;

	get_line(fd, line, sizeof(line));
	ck_assert_msg(strlen(line) >= 2 && !strcmp(line + strlen(line) - 2, "\r\n"),
		      "not a line: '%s'", line);
	m = json_loads(line, 0, &e);
	ck_assert_msg(m, "not JSON: '%s': %s", line, e.text);
	return m;
}

/* Send text, let the server run, return its one answer. */
static json_t *ask(int fd, const char *text)
{
	put(fd, text);
	qmp_server_service(srv);
	return get_msg(fd);
}

static void expect_error(json_t *m, const char *cls, const char *desc)
{
	json_t *e = json_object_get(m, "error");
	char *text = json_dumps(m, 0);

	ck_assert_msg(e, "not an error: %s", text);
	ck_assert_str_eq(json_string_value(json_object_get(e, "class")), cls);
	ck_assert_msg(!strcmp(json_string_value(json_object_get(e, "desc")), desc),
		      "desc '%s', want '%s'", json_string_value(json_object_get(e, "desc")), desc);
	free(text);
	json_decref(m);
}

static void expect_return(json_t *m, const char *want)
{
	json_t *r = json_object_get(m, "return");
	char *text = json_dumps(m, 0), *got;

	ck_assert_msg(r, "no return: %s", text);
	got = json_dumps(r, JSON_ENCODE_ANY | JSON_COMPACT);
	ck_assert_msg(!strcmp(got, want), "return %s, want %s", got, want);
	free(got);
	free(text);
	json_decref(m);
}

static int connect_negotiated(void)
{
	int fd = connect_raw();

	json_decref(get_msg(fd));
	expect_return(ask(fd, "{\"execute\": \"qmp_capabilities\"}"), "{}");
	return fd;
}

/* --- the protocol --------------------------------------------------------- */

START_TEST(greeting_shape)
{
	int fd = connect_raw();
	json_t *g = get_msg(fd), *qmp = json_object_get(g, "QMP");
	json_t *v = json_object_get(qmp, "version");

	ck_assert_int_eq(json_object_size(g), 1);
	ck_assert(json_is_array(json_object_get(qmp, "capabilities")));
	ck_assert_int_eq(json_array_size(json_object_get(qmp, "capabilities")), 0);
	ck_assert(json_is_integer(json_object_get(json_object_get(v, "qemu"), "major")));
	ck_assert(json_is_integer(json_object_get(json_object_get(v, "qemu"), "minor")));
	ck_assert(json_is_integer(json_object_get(json_object_get(v, "qemu"), "micro")));
	ck_assert(!strncmp(json_string_value(json_object_get(v, "package")), "conduit ", 8));
	json_decref(g);
	close(fd);
}
END_TEST

START_TEST(negotiation)
{
	int fd = connect_raw();

	json_decref(get_msg(fd));
	expect_error(ask(fd, "{\"execute\": \"query-commands\"}"), "CommandNotFound",
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	expect_error(ask(fd, "{\"execute\": \"qmp_capabilities\", \"arguments\": "
			 "{\"enable\": [\"oob\"]}}"), "GenericError", "Capability oob not available");
	expect_error(ask(fd, "{\"execute\": \"qmp_capabilities\", \"arguments\": "
			 "{\"enable\": [\"bogus\"]}}"), "GenericError",
		     "Parameter 'enable[0]' does not accept value 'bogus'");
	expect_return(ask(fd, "{\"execute\": \"qmp_capabilities\", \"arguments\": "
			  "{\"enable\": []}}"), "{}");
	expect_error(ask(fd, "{\"execute\": \"qmp_capabilities\"}"), "CommandNotFound",
		     "Capabilities negotiation is already complete, command ignored");
	close(fd);
}
END_TEST

START_TEST(id_echoed)
{
	int fd = connect_negotiated();
	json_t *m, *want = json_pack("{s:[i,s]}", "a", 1, "two");

	m = ask(fd, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"x\"}, "
		"\"id\": {\"a\": [1, \"two\"]}}");
	ck_assert(json_equal(json_object_get(m, "id"), want));
	json_decref(want);
	json_decref(m);
	m = ask(fd, "{\"execute\": \"nope\", \"id\": 7}");
	ck_assert_int_eq(json_integer_value(json_object_get(m, "id")), 7);
	json_decref(m);
	m = ask(fd, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"x\"}}");
	ck_assert_ptr_null(json_object_get(m, "id"));
	json_decref(m);
	close(fd);
}
END_TEST

START_TEST(commands_and_errors)
{
	int fd = connect_negotiated();
	json_t *m;
	size_t i;
	int seen = 0;

	expect_error(ask(fd, "{\"execute\": \"nope\"}"), "CommandNotFound",
		     "The command nope has not been found");
	expect_error(ask(fd, "{\"execute\": \"fail\"}"), "DeviceNotFound",
		     "Device 'nic0' not found");
	expect_return(ask(fd, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"x\", \"n\": 3, "
			  "\"b\": true, \"any\": [null]}}"),
		      "{\"s\":\"x\",\"n\":3,\"b\":true,\"any\":[null]}");
	m = ask(fd, "{\"execute\": \"query-commands\"}");
	for (i = 0; i < json_array_size(json_object_get(m, "return")); i++) {
		const char *n = json_string_value(json_object_get(
			json_array_get(json_object_get(m, "return"), i), "name"));

		seen += !strcmp(n, "qmp_capabilities") || !strcmp(n, "getfd") ||
			!strcmp(n, "closefd") || !strcmp(n, "query-commands") ||
			!strcmp(n, "echo") || !strcmp(n, "defer");
	}
	ck_assert_int_eq(seen, 6);
	json_decref(m);
	close(fd);
}
END_TEST

START_TEST(argument_checks)
{
	int fd = connect_negotiated();

	expect_error(ask(fd, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"x\", \"z\": 1}}"),
		     "GenericError", "Parameter 'z' is unexpected");
	expect_error(ask(fd, "{\"execute\": \"echo\"}"), "GenericError",
		     "Parameter 's' is missing");
	expect_error(ask(fd, "{\"execute\": \"echo\", \"arguments\": {\"s\": 1}}"),
		     "GenericError", "Parameter 's' expects a string");
	expect_error(ask(fd, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"x\", \"n\": 1.5}}"),
		     "GenericError", "Parameter 'n' expects an integer");
	expect_error(ask(fd, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"x\", \"b\": 0}}"),
		     "GenericError", "Parameter 'b' expects a boolean");
	expect_error(ask(fd, "{\"execute\": \"query-commands\", \"arguments\": {\"x\": 0}}"),
		     "GenericError", "Parameter 'x' is unexpected");
	close(fd);
}
END_TEST

START_TEST(shape_checks)
{
	int fd = connect_negotiated();

	expect_error(ask(fd, "[1, 2]"), "GenericError", "QMP input must be a JSON object");
	expect_error(ask(fd, "{\"id\": 1}"), "GenericError", "QMP input lacks member 'execute'");
	expect_error(ask(fd, "{\"execute\": 1}"), "GenericError",
		     "QMP input member 'execute' must be a string");
	expect_error(ask(fd, "{\"execute\": \"echo\", \"arguments\": []}"), "GenericError",
		     "QMP input member 'arguments' must be an object");
	expect_error(ask(fd, "{\"execute\": \"echo\", \"bogus\": 1}"), "GenericError",
		     "QMP input member 'bogus' is unexpected");
	expect_error(ask(fd, "{\"exec-oob\": \"echo\"}"), "GenericError",
		     "The command echo does not support OOB");
	close(fd);
}
END_TEST

START_TEST(framing)
{
	const char *two = "{\"execute\": \"echo\", \"arguments\": {\"s\": \"a\"}}"
			  "{\"execute\": \"echo\", \"arguments\": {\"s\": \"}{\\\"\"}}";
	const char *one = "\n {\"execute\": \"echo\", \"arguments\": {\"s\": \"split\"}}\r\n";
	int fd = connect_negotiated();
	json_t *m;
	size_t i;
	char b[2] = "";

	put(fd, two);
	qmp_server_service(srv);
	expect_return(get_msg(fd), "{\"s\":\"a\"}");
	expect_return(get_msg(fd), "{\"s\":\"}{\\\"\"}");
	for (i = 0; one[i]; i++) {
		b[0] = one[i];
		put(fd, b);
		qmp_server_service(srv);
		if (i < strlen(one) - 3)        /* before its closing brace */
			ck_assert(!readable(fd, 0));
	}
	expect_return(get_msg(fd), "{\"s\":\"split\"}");
	/* malformed, then a good command: both answered */
	put(fd, "{\"execute\": nonsense}\n{\"execute\": \"echo\", \"arguments\": {\"s\": \"ok\"}}");
	qmp_server_service(srv);
	m = get_msg(fd);
	ck_assert(!strncmp(json_string_value(json_object_get(json_object_get(m, "error"),
								"desc")), "JSON parse error, ", 18));
	ck_assert_ptr_null(json_object_get(m, "id"));
	json_decref(m);
	expect_return(get_msg(fd), "{\"s\":\"ok\"}");
	/* duplicate keys are refused */
	m = ask(fd, "{\"execute\": \"echo\", \"execute\": \"fail\"}");
	ck_assert_ptr_nonnull(json_object_get(m, "error"));
	json_decref(m);
	close(fd);
}
END_TEST

START_TEST(frame_function)
{
	size_t skip;

	ck_assert_uint_eq(qmp_frame("  {\"a\": [1, {}]} {", 18, &skip), 16);
	ck_assert_uint_eq(qmp_frame("{\"a\": \"}\"", 9, &skip), 0);
	ck_assert_uint_eq(qmp_frame(" \r\n", 3, &skip), 0);
	ck_assert_uint_eq(skip, 3);
	ck_assert_uint_eq(qmp_frame("123 ", 4, &skip), 3);
	ck_assert_uint_eq(qmp_frame("123", 3, &skip), 0);
	ck_assert_uint_eq(qmp_frame("]x", 2, &skip), 1);
	ck_assert_uint_eq(qmp_frame("\"a\\\"b\"", 6, &skip), 6);
}
END_TEST

/* Writes n bytes of what never completes a message, serving in between;
 * returns whether the server had dropped the client. */
START_TEST(input_limit)
{
	char chunk[65536], line[256];
	size_t sent = 0;
	ssize_t n;
	int fd = connect_negotiated();

	memset(chunk, 'x', sizeof(chunk));
	put(fd, "{\"execute\": \"");
	while (sent < QMP_MAX_INPUT + sizeof(chunk)) {
		n = send(fd, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			qmp_server_service(srv);
			continue;
		}
		if (n < 0)
			break;  /* already dropped */
		sent += (size_t)n;
	}
	qmp_server_service(srv);
	get_line(fd, line, sizeof(line));
	ck_assert_msg(strstr(line, "\"GenericError\"") && strstr(line, "without a complete message"),
		      "'%s'", line);
	get_line(fd, line, sizeof(line));
	ck_assert_str_eq(line, "");     /* end of file */
	ck_assert_ptr_null(qmp_server_client(srv, 0));
	close(fd);
}
END_TEST

START_TEST(slow_reader_dropped)
{
	int fd = connect_negotiated(), other = connect_negotiated(), i;
	char *big = malloc(65536);

	memset(big, 'e', 65535);
	big[65535] = '\0';
	/* fd never reads; other does */
	for (i = 0; i < 64 && qmp_server_client(srv, 0); i++) {
		qmp_event(srv, "BIG", json_pack("{s:s}", "blob", big));
		while (readable(other, 0)) {
			char buf[65536];

			ck_assert_int_gt(read(other, buf, sizeof(buf)), 0);
			qmp_server_service(srv);
		}
	}
	ck_assert_msg(!qmp_server_client(srv, 0), "the client that reads nothing is still there");
	ck_assert_ptr_nonnull(qmp_server_client(srv, 1));
	free(big);
	close(fd);
	close(other);
}
END_TEST

START_TEST(deferred_replies)
{
	int fd = connect_negotiated();

	put(fd, "{\"execute\": \"defer\", \"id\": \"d1\"}");
	qmp_server_service(srv);
	ck_assert_ptr_nonnull(kept);
	ck_assert(!readable(fd, 50));
	qmp_reply(kept, json_pack("{s:i}", "done", 1));
	{
		json_t *m = get_msg(fd);

		ck_assert_str_eq(json_string_value(json_object_get(m, "id")), "d1");
		expect_return(m, "{\"done\":1}");
	}
	kept = NULL;
	put(fd, "{\"execute\": \"defer\", \"id\": \"d2\"}");
	qmp_server_service(srv);
	qmp_reply_error(kept, "GenericError", "late %d", 2);
	expect_error(get_msg(fd), "GenericError", "late 2");
	/* the client goes away before the answer: the reply is dropped */
	kept = NULL;
	put(fd, "{\"execute\": \"defer\"}");
	qmp_server_service(srv);
	ck_assert_ptr_nonnull(kept);
	close(fd);
	qmp_server_service(srv);
	ck_assert_ptr_null(qmp_server_client(srv, 0));
	qmp_reply(kept, json_string("nobody listens"));
	/* and one still deferred when the server closes */
	fd = connect_negotiated();
	put(fd, "{\"execute\": \"defer\"}");
	qmp_server_service(srv);
	qmp_server_close(srv);
	srv = NULL;
	qmp_reply(kept, NULL);
	close(fd);
}
END_TEST

/* --- fds ------------------------------------------------------------------ */

static void put_fd(int sock, const char *text, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ck_assert_int_eq(sendmsg(sock, &msg, MSG_NOSIGNAL), (ssize_t)strlen(text));
}

/* Whether every write end of the pipe whose read end is rd is closed. */
static bool writers_gone(int rd)
{
	char b;
	ssize_t n = 1;

	while (n > 0 && readable(rd, 500))
		n = read(rd, &b, 1);
	return n == 0;
}

START_TEST(getfd_closefd)
{
	int fd = connect_negotiated(), p[2], q[2], got;
	json_t *m;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(q, O_CLOEXEC), 0);
	expect_error(ask(fd, "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"a\"}}"),
		     "GenericError", "No file descriptor supplied via SCM_RIGHTS");
	put_fd(fd, "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"a\"}}", p[1]);
	close(p[1]);
	qmp_server_service(srv);
	expect_return(get_msg(fd), "{}");
	/* the name again: the new fd replaces the old, which is closed */
	put_fd(fd, "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"a\"}}", q[1]);
	close(q[1]);
	qmp_server_service(srv);
	expect_return(get_msg(fd), "{}");
	ck_assert(writers_gone(p[0]));
	got = qmp_fd_take(srv, "a");
	ck_assert_int_ge(got, 0);
	ck_assert(fcntl(got, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(write(got, "z", 1), 1);
	ck_assert_int_eq(qmp_fd_take(srv, "a"), -1);
	close(got);
	ck_assert(writers_gone(q[0]));
	/* a name starting with a digit */
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	put_fd(fd, "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"1x\"}}", p[1]);
	close(p[1]);
	qmp_server_service(srv);
	expect_error(get_msg(fd), "GenericError",
		     "Parameter 'fdname' expects a name not starting with a digit");
	ck_assert(writers_gone(p[0]));
	close(p[0]);
	/* closefd */
	expect_error(ask(fd, "{\"execute\": \"closefd\", \"arguments\": {\"fdname\": \"b\"}}"),
		     "GenericError", "File descriptor named 'b' not found");
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	put_fd(fd, "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"b\"}}", p[1]);
	close(p[1]);
	qmp_server_service(srv);
	expect_return(get_msg(fd), "{}");
	expect_return(ask(fd, "{\"execute\": \"closefd\", \"arguments\": {\"fdname\": \"b\"}}"),
		      "{}");
	ck_assert(writers_gone(p[0]));
	ck_assert_int_eq(qmp_fd_take(srv, "b"), -1);
	close(p[0]);
	/* an fd passed on its own (qemu.qmp's send_fd_scm: one space) is
	 * kept for the getfd that follows, as QEMU keeps it */
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	put_fd(fd, " ", p[1]);
	close(p[1]);
	qmp_server_service(srv);
	ck_assert(!writers_gone(p[0]));
	expect_return(ask(fd, "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"c\"}}"),
		      "{}");
	expect_return(ask(fd, "{\"execute\": \"closefd\", \"arguments\": {\"fdname\": \"c\"}}"),
		      "{}");
	ck_assert(writers_gone(p[0]));
	close(p[0]);
	/* an fd sent with another command stays with the connection until a
	 * getfd claims it or the connection ends */
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	put_fd(fd, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"x\"}}", p[1]);
	close(p[1]);
	qmp_server_service(srv);
	m = get_msg(fd);
	json_decref(m);
	ck_assert(!writers_gone(p[0]));
	close(fd);
	qmp_server_service(srv);
	ck_assert(writers_gone(p[0]));
	close(p[0]);
	close(q[0]);
}
END_TEST

/* --- events --------------------------------------------------------------- */

START_TEST(events)
{
	int a = connect_negotiated(), b = connect_raw();
	json_t *m, *ts;

	json_decref(get_msg(b));
	qmp_event(srv, "DEVICE_DELETED", json_pack("{s:s}", "device", "nic0"));
	qmp_event(srv, "STOP", NULL);
	m = get_msg(a);
	ck_assert_str_eq(json_string_value(json_object_get(m, "event")), "DEVICE_DELETED");
	ts = json_object_get(m, "timestamp");
	ck_assert(json_integer_value(json_object_get(ts, "seconds")) > 1600000000);
	ck_assert(json_is_integer(json_object_get(ts, "microseconds")));
	ck_assert(json_integer_value(json_object_get(ts, "microseconds")) < 1000000);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "data"), "device")),
			 "nic0");
	json_decref(m);
	m = get_msg(a);
	ck_assert_str_eq(json_string_value(json_object_get(m, "event")), "STOP");
	ck_assert_ptr_null(json_object_get(m, "data"));
	json_decref(m);
	ck_assert(!readable(b, 50));    /* not negotiated: no events */
	close(a);
	close(b);
}
END_TEST

START_TEST(client_limit)
{
	int fds[QMP_MAX_CLIENTS + 1], i;
	char line[256];

	for (i = 0; i < QMP_MAX_CLIENTS; i++) {
		fds[i] = connect_raw();
		json_decref(get_msg(fds[i]));
	}
	fds[i] = connect_raw();
	get_line(fds[i], line, sizeof(line));
	ck_assert_msg(strstr(line, "too many clients"), "'%s'", line);
	get_line(fds[i], line, sizeof(line));
	ck_assert_str_eq(line, "");
	/* one leaves: a new one is taken */
	close(fds[0]);
	qmp_server_service(srv);
	fds[0] = connect_raw();
	json_decref(get_msg(fds[0]));
	for (i = 0; i <= QMP_MAX_CLIENTS; i++)
		close(fds[i]);
}
END_TEST

/* --- the socket file ------------------------------------------------------ */

START_TEST(socket_file)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qmp_server *other;
	char err[256];
	struct stat st;
	int fd;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_uid, getuid());
	/* live: refused, and the first server still answers */
	ck_assert_int_eq(qmp_server_open(&other, path, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "another conduit is listening on it") &&
		      strstr(err, "--api-socket"), "%s", err);
	fd = connect_negotiated();
	close(fd);
	/* closing unlinks */
	qmp_server_close(srv);
	srv = NULL;
	ck_assert_int_eq(access(path, F_OK), -1);
	/* stale: a socket nobody listens on is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_msg(qmp_server_open(&srv, path, err, sizeof(err)) == 0, "%s", err);
	fd = connect_raw();
	json_decref(get_msg(fd));
	close(fd);
	qmp_server_close(srv);
	srv = NULL;
	/* not a socket: an error, the file stays */
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	close(fd);
	ck_assert_int_eq(qmp_server_open(&srv, path, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a socket"), "%s", err);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_ptr_null(srv);
}
END_TEST

/* --- the event loop ------------------------------------------------------- */

START_TEST(event_loop_attach_detach)
{
	struct event_loop loop;
	int fd;

	test_loop = &loop;
	ck_assert_int_eq(event_loop_init(&loop), 0);
	ck_assert_int_eq(qmp_server_attach(srv, &loop), 0);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, path);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	put(fd, "{\"execute\": \"qmp_capabilities\"}{\"execute\": \"stop-loop\"}");
	ck_assert_int_eq(event_loop_run(&loop), 0);
	json_decref(get_msg(fd));       /* greeting */
	expect_return(get_msg(fd), "{}");
	expect_return(get_msg(fd), "{}");
	/* the machine is rebuilt: a new loop, the same client */
	qmp_server_detach(srv);
	event_loop_exit(&loop);
	put(fd, "{\"execute\": \"stop-loop\", \"id\": 2}");
	ck_assert_int_eq(event_loop_init(&loop), 0);
	ck_assert_int_eq(qmp_server_attach(srv, &loop), 0);
	ck_assert_int_eq(event_loop_run(&loop), 0);
	expect_return(get_msg(fd), "{}");
	qmp_server_detach(srv);
	event_loop_exit(&loop);
	close(fd);
}
END_TEST

Suite *qmp_suite(void)
{
	Suite *s = suite_create("qmp");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, greeting_shape);
	tcase_add_test(tc, negotiation);
	tcase_add_test(tc, id_echoed);
	tcase_add_test(tc, commands_and_errors);
	tcase_add_test(tc, argument_checks);
	tcase_add_test(tc, shape_checks);
	tcase_add_test(tc, framing);
	tcase_add_test(tc, frame_function);
	tcase_add_test(tc, input_limit);
	tcase_add_test(tc, slow_reader_dropped);
	tcase_add_test(tc, deferred_replies);
	tcase_add_test(tc, getfd_closefd);
	tcase_add_test(tc, events);
	tcase_add_test(tc, client_limit);
	tcase_add_test(tc, socket_file);
	tcase_add_test(tc, event_loop_attach_detach);
	suite_add_tcase(s, tc);
	return s;
}
