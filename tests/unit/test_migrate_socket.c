/* Unit tests of live migration's transports (vmm/migrate_socket.c): a table
 * of migration URIs, good ones with what they parse to and bad ones with
 * their one-line errors; then real sockets in the test: a Unix socket (its
 * file's mode, removed after the accept) and loopback TCP (IPv4, IPv6, a
 * host name), connected, accepted and carrying bytes both ways; the
 * timeouts of connect (a listener whose backlog is full) and of accept;
 * and the errors' wording. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "../../vmm/migrate_socket.h"
#include "suites.h"

static char err[512];
static char dir[64], sock_path[96];

/* ---- parsing ---- */

struct good_uri {
	const char *uri;
	enum migrate_transport kind;
	const char *path, *host, *port;
};

static const struct good_uri good[] = {
	{ "unix:/run/conduit/mig.sock", MIGRATE_UNIX, "/run/conduit/mig.sock", "", "" },
	{ "unix:relative/mig.sock", MIGRATE_UNIX, "relative/mig.sock", "", "" },
	{ "file:/var/lib/conduit/snap", MIGRATE_FILE, "/var/lib/conduit/snap", "", "" },
	{ "file:with:colons", MIGRATE_FILE, "with:colons", "", "" },
	{ "tcp:127.0.0.1:4444", MIGRATE_TCP, "", "127.0.0.1", "4444" },
	{ "tcp:[::1]:4444", MIGRATE_TCP, "", "::1", "4444" },
	{ "tcp:[2001:db8::7]:65535", MIGRATE_TCP, "", "2001:db8::7", "65535" },
	{ "tcp:dest.example.org:1", MIGRATE_TCP, "", "dest.example.org", "1" },
	{ "tcp:0.0.0.0:0", MIGRATE_TCP, "", "0.0.0.0", "0" },
	{ "tcp:localhost:08080", MIGRATE_TCP, "", "localhost", "08080" },
};

START_TEST(uri_good)
{
	const struct good_uri *g = &good[_i];
	struct migrate_uri u;

	ck_assert_msg(!migrate_uri_parse(g->uri, &u, err, sizeof(err)), "%s: %s", g->uri, err);
	ck_assert_int_eq(u.kind, g->kind);
	ck_assert_str_eq(u.text, g->uri);
	ck_assert_str_eq(u.path, g->path);
	ck_assert_str_eq(u.host, g->host);
	ck_assert_str_eq(u.port, g->port);
}
END_TEST

struct bad_uri {
	const char *uri, *err;
};

static const struct bad_uri bad[] = {
	{ "", "migration URI is empty: unix:PATH, tcp:HOST:PORT or file:PATH" },
	{ NULL, "migration URI is empty: unix:PATH, tcp:HOST:PORT or file:PATH" },
	{ "unix:", "migration URI 'unix:': empty path" },
	{ "file:", "migration URI 'file:': empty path" },
	{ "tcp:", "migration URI 'tcp:': no port (tcp:HOST:PORT)" },
	{ "/tmp/x", "migration URI '/tmp/x': unknown transport (unix:PATH, tcp:HOST:PORT or "
		    "file:PATH)" },
	{ "exec:cat", "migration URI 'exec:cat': unknown transport (unix:PATH, tcp:HOST:PORT or "
		      "file:PATH)" },
	{ "TCP:h:1", "migration URI 'TCP:h:1': unknown transport (unix:PATH, tcp:HOST:PORT or "
		     "file:PATH)" },
	{ "tcp:host", "migration URI 'tcp:host': no port (tcp:HOST:PORT)" },
	{ "tcp::4444", "migration URI 'tcp::4444': empty host (tcp:HOST:PORT)" },
	{ "tcp:h:", "migration URI 'tcp:h:': the port is not a number from 0 to 65535" },
	{ "tcp:h:65536", "migration URI 'tcp:h:65536': the port is not a number from 0 to 65535" },
	{ "tcp:h:123456", "migration URI 'tcp:h:123456': the port is not a number from 0 to "
			  "65535" },
	{ "tcp:h:-1", "migration URI 'tcp:h:-1': the port is not a number from 0 to 65535" },
	{ "tcp:h:+80", "migration URI 'tcp:h:+80': the port is not a number from 0 to 65535" },
	{ "tcp:h:0x50", "migration URI 'tcp:h:0x50': the port is not a number from 0 to 65535" },
	{ "tcp:h: 80", "migration URI 'tcp:h: 80': the port is not a number from 0 to 65535" },
	{ "tcp:h:ssh", "migration URI 'tcp:h:ssh': the port is not a number from 0 to 65535" },
	{ "tcp:::1:4444", "migration URI 'tcp:::1:4444': an IPv6 address goes in brackets "
			  "(tcp:[ADDRESS]:PORT)" },
	{ "tcp:[::1:4444", "migration URI 'tcp:[::1:4444': no ']' closing the IPv6 address "
			   "(tcp:[ADDRESS]:PORT)" },
	{ "tcp:[::1]", "migration URI 'tcp:[::1]': no port after the IPv6 address "
		       "(tcp:[ADDRESS]:PORT)" },
	{ "tcp:[::1]4444", "migration URI 'tcp:[::1]4444': no port after the IPv6 address "
			   "(tcp:[ADDRESS]:PORT)" },
	{ "tcp:[]:80", "migration URI 'tcp:[]:80': empty host (tcp:HOST:PORT)" },
	{ "tcp:[10.0.0.1]:80", "migration URI 'tcp:[10.0.0.1]:80': not an IPv6 address in the "
			       "brackets" },
	{ "tcp:[dest]:80", "migration URI 'tcp:[dest]:80': not an IPv6 address in the brackets" },
};

START_TEST(uri_bad)
{
	const struct bad_uri *b = &bad[_i];
	struct migrate_uri u;

	err[0] = '\0';
	ck_assert_int_eq(migrate_uri_parse(b->uri, &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, b->err);
}
END_TEST

START_TEST(uri_lengths)
{
	char uri[MIGRATE_URI_MAX + 8], want[MIGRATE_URI_MAX + 96];
	struct migrate_uri u;

	strcpy(uri, "unix:");
	memset(uri + 5, 'a', 107);
	uri[112] = '\0';
	ck_assert_int_eq(migrate_uri_parse(uri, &u, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(u.path), 107);
	strcat(uri, "a");
	ck_assert_int_eq(migrate_uri_parse(uri, &u, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "migration URI '%s': path too long (at most 107 bytes for "
		 "a Unix socket)", uri);
	ck_assert_str_eq(err, want);

	strcpy(uri, "tcp:");
	memset(uri + 4, 'h', 256);
	strcpy(uri + 260, ":1");
	ck_assert_int_eq(migrate_uri_parse(uri, &u, err, sizeof(err)), -1);
	ck_assert(strstr(err, "': host name too long"));
	uri[4 + 255] = '\0';
	strcat(uri, ":1");
	ck_assert_int_eq(migrate_uri_parse(uri, &u, err, sizeof(err)), 0);

	memset(uri, 'f', sizeof(uri) - 1);
	uri[sizeof(uri) - 1] = '\0';
	memcpy(uri, "file:", 5);
	ck_assert_int_eq(migrate_uri_parse(uri, &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "migration URI '...': too long");
}
END_TEST

/* ---- sockets ---- */

static void sock_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/conduit-migsock-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/mig.sock", dir);
	err[0] = '\0';
}

static void sock_teardown(void)
{
	unlink(sock_path);
	rmdir(dir);
}

static void parse(struct migrate_uri *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void parse(struct migrate_uri *u, const char *fmt, ...)
{
	char uri[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(uri, sizeof(uri), fmt, ap);
	va_end(ap);
	ck_assert_msg(!migrate_uri_parse(uri, u, err, sizeof(err)), "%s", err);
}

/* Bytes both ways between the source's fd and the destination's. */
static void talk(int src, int dst)
{
	char buf[16];

	ck_assert_int_eq(write(src, "stream", 6), 6);
	ck_assert_int_eq(read(dst, buf, sizeof(buf)), 6);
	ck_assert(!memcmp(buf, "stream", 6));
	ck_assert_int_eq(write(dst, "ok", 2), 2);
	ck_assert_int_eq(read(src, buf, sizeof(buf)), 2);
}

static void expect_cloexec_blocking(int fd)
{
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert(!(fcntl(fd, F_GETFL) & O_NONBLOCK));
}

static int nodelay(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	return v;
}

START_TEST(unix_roundtrip)
{
	struct migrate_listener l;
	struct migrate_uri u;
	struct timeval tv;
	socklen_t len = sizeof(tv);
	struct stat st;
	int src, dst;

	parse(&u, "unix:%s", sock_path);
	ck_assert_msg(!migrate_listen(&l, &u, err, sizeof(err)), "%s", err);
	ck_assert_int_eq(lstat(sock_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	src = migrate_connect(&u, 1000, 0, err, sizeof(err));
	ck_assert_msg(src >= 0, "%s", err);
	dst = migrate_accept(&l, 1000, err, sizeof(err));
	ck_assert_msg(dst >= 0, "%s", err);
	ck_assert_int_eq(l.fd, -1);
	ck_assert_int_eq(lstat(sock_path, &st), -1);    /* removed after the accept */
	expect_cloexec_blocking(src);
	expect_cloexec_blocking(dst);
	ck_assert_int_eq(getsockopt(src, SOL_SOCKET, SO_SNDTIMEO, &tv, &len), 0);
	ck_assert(!tv.tv_sec && !tv.tv_usec);           /* no send timeout left */
	talk(src, dst);
	close(src);
	close(dst);

	/* nobody listens any more: a second source is not taken */
	ck_assert_int_eq(migrate_connect(&u, 1000, 0, err, sizeof(err)), -1);
	ck_assert(strstr(err, "migrate to unix:/tmp/conduit-migsock-") == err);
	ck_assert(strstr(err, "/mig.sock: cannot connect: No such file or directory"));
	migrate_listener_close(&l);                     /* closed already: nothing */
}
END_TEST

START_TEST(unix_listen_errors)
{
	struct migrate_listener l;
	struct migrate_uri u;
	char want[256];
	int fd;

	fd = open(sock_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	parse(&u, "unix:%s", sock_path);
	ck_assert_int_eq(migrate_listen(&l, &u, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "--incoming unix:%s: the path exists (a socket left by an "
		 "earlier run? remove it)", sock_path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(unlink(sock_path), 0);         /* not touched */
	ck_assert_int_eq(l.fd, -1);

	parse(&u, "unix:%s/no/such/dir.sock", dir);
	ck_assert_int_eq(migrate_listen(&l, &u, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "--incoming unix:%s/no/such/dir.sock: cannot create the "
		 "socket: No such file or directory", dir);
	ck_assert_str_eq(err, want);

	parse(&u, "file:%s", sock_path);
	ck_assert_int_eq(migrate_listen(&l, &u, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "--incoming file:%s: not a socket (unix:PATH or "
		 "tcp:HOST:PORT)", sock_path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(migrate_connect(&u, 0, 0, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "migrate to file:%s: not a socket (unix:PATH or "
		 "tcp:HOST:PORT)", sock_path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(accept_timeout)
{
	struct migrate_listener l;
	struct migrate_uri u;
	struct stat st;
	char want[256];
	int src, dst;

	parse(&u, "unix:%s", sock_path);
	ck_assert_int_eq(migrate_listen(&l, &u, err, sizeof(err)), 0);
	ck_assert_int_eq(migrate_accept(&l, 100, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "--incoming unix:%s: no source connected within 100 ms",
		 sock_path);
	ck_assert_str_eq(err, want);
	ck_assert_int_ge(l.fd, 0);                      /* still listening */
	ck_assert_int_eq(lstat(sock_path, &st), 0);
	src = migrate_connect(&u, 1000, 0, err, sizeof(err));
	ck_assert_int_ge(src, 0);
	dst = migrate_accept(&l, 0, err, sizeof(err));  /* no timeout: one is there */
	ck_assert_int_ge(dst, 0);
	close(src);
	close(dst);
	ck_assert_int_eq(migrate_accept(&l, 100, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "--incoming unix:%s: not listening", sock_path);
	ck_assert_str_eq(err, want);

	ck_assert_int_eq(migrate_listen(&l, &u, err, sizeof(err)), 0);
	migrate_listener_close(&l);
	ck_assert_int_eq(lstat(sock_path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* The destination on a kernel-chosen port of addr; the source connects
 * to it by host. */
static void tcp_roundtrip(const char *listen_uri, const char *host, unsigned flags)
{
	struct migrate_listener l;
	struct migrate_uri u;
	int src, dst;

	parse(&u, "%s", listen_uri);
	ck_assert_msg(!migrate_listen(&l, &u, err, sizeof(err)), "%s", err);
	ck_assert_int_gt(l.port, 0);
	parse(&u, "tcp:%s:%d", host, l.port);
	src = migrate_connect(&u, 2000, flags, err, sizeof(err));
	ck_assert_msg(src >= 0, "%s", err);
	dst = migrate_accept(&l, 2000, err, sizeof(err));
	ck_assert_msg(dst >= 0, "%s", err);
	ck_assert_int_eq(l.fd, -1);
	expect_cloexec_blocking(src);
	expect_cloexec_blocking(dst);
	ck_assert(nodelay(src));
	ck_assert(nodelay(dst));
	talk(src, dst);
	close(src);
	close(dst);
}

static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa));

	if (fd >= 0)
		close(fd);
	return ok;
}

START_TEST(tcp_ipv4)
{
	tcp_roundtrip("tcp:127.0.0.1:0", "127.0.0.1", MIGRATE_CONNECT_NUMERIC);
}
END_TEST

START_TEST(tcp_ipv6)
{
	if (!have_ipv6_loopback())
		return;                 /* a host without IPv6 */
	tcp_roundtrip("tcp:[::1]:0", "[::1]", MIGRATE_CONNECT_NUMERIC);
}
END_TEST

/* localhost may name ::1 first, where nobody listens: the next address
 * is tried. Under the sandbox a name is refused before any resolving. */
START_TEST(tcp_by_name)
{
	struct migrate_uri u;

	tcp_roundtrip("tcp:127.0.0.1:0", "localhost", 0);
	parse(&u, "tcp:localhost:4444");
	ck_assert_int_eq(migrate_connect(&u, 1000, MIGRATE_CONNECT_NUMERIC, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "migrate to tcp:localhost:4444: a host name cannot be resolved "
			 "under the seccomp sandbox: give an IPv4 or IPv6 address (or "
			 "--no-seccomp)");
}
END_TEST

START_TEST(tcp_errors)
{
	struct migrate_listener l;
	struct migrate_uri u;
	char want[128];
	int port;

	parse(&u, "tcp:127.0.0.1:0");
	ck_assert_int_eq(migrate_listen(&l, &u, err, sizeof(err)), 0);
	port = l.port;
	migrate_listener_close(&l);
	parse(&u, "tcp:127.0.0.1:%d", port);
	ck_assert_int_eq(migrate_connect(&u, 1000, MIGRATE_CONNECT_NUMERIC, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "migrate to tcp:127.0.0.1:%d: cannot connect: Connection "
		 "refused", port);
	ck_assert_str_eq(err, want);

	parse(&u, "tcp:127.0.0.1:0");
	ck_assert_int_eq(migrate_connect(&u, 1000, 0, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "migrate to tcp:127.0.0.1:0: port 0 is for listening only");

	parse(&u, "tcp:192.0.2.1:0");                   /* TEST-NET-1: not this host's */
	ck_assert_int_eq(migrate_listen(&l, &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--incoming tcp:192.0.2.1:0: cannot listen: Cannot assign "
			 "requested address");
	ck_assert_int_eq(l.fd, -1);
}
END_TEST

/* A listener whose backlog is full answers no connect: each connect gives
 * up after its timeout (TCP drops the SYN; a Unix connect waits for room). */
static void connect_times_out(int domain, const struct migrate_uri *target, int lfd)
{
	char want[MIGRATE_URI_MAX + 64];
	int fds[8], n, ret = 0;

	for (n = 0; n < 8; n++) {
		ret = migrate_connect(target, 200, 0, err, sizeof(err));
		if (ret < 0)
			break;
		fds[n] = ret;
	}
	ck_assert_msg(ret < 0, "the backlog of %d never filled", domain);
	snprintf(want, sizeof(want), "migrate to %s: cannot connect: no answer within 200 ms",
		 target->text);
	ck_assert_str_eq(err, want);
	while (n--)
		close(fds[n]);
	close(lfd);
}

START_TEST(connect_timeout_tcp)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct migrate_uri u;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	parse(&u, "tcp:127.0.0.1:%d", ntohs(sa.sin_port));
	connect_times_out(AF_INET, &u, lfd);
}
END_TEST

START_TEST(connect_timeout_unix)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct migrate_uri u;
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, sock_path);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	parse(&u, "unix:%s", sock_path);
	connect_times_out(AF_UNIX, &u, lfd);
}
END_TEST

Suite *migrate_socket_suite(void)
{
	Suite *s = suite_create("migrate_socket");
	TCase *tc = tcase_create("uri");
	TCase *sock = tcase_create("sockets");

	tcase_add_loop_test(tc, uri_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, uri_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, uri_lengths);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(sock, sock_setup, sock_teardown);
	tcase_add_test(sock, unix_roundtrip);
	tcase_add_test(sock, unix_listen_errors);
	tcase_add_test(sock, accept_timeout);
	tcase_add_test(sock, tcp_ipv4);
	tcase_add_test(sock, tcp_ipv6);
	tcase_add_test(sock, tcp_by_name);
	tcase_add_test(sock, tcp_errors);
	tcase_add_test(sock, connect_timeout_tcp);
	tcase_add_test(sock, connect_timeout_unix);
	suite_add_tcase(s, sock);
	return s;
}
