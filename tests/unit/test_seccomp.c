/* Tests of the seccomp sandbox (vmm/seccomp.c). Each case forks a child
 * that installs the real filters and makes system calls; the parent reads
 * the child's stderr through a pipe and checks how it ended: allowed calls
 * work, anything else ends it with EXIT_SECCOMP and one line naming the
 * call. Also --no-seccomp and the no-seccomp config key. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "suites.h"
#include "../../vmm/cli.h"
#include "../../vmm/config.h"
#include "../../vmm/migrate_socket.h"
#include "../../vmm/qmp/internal.h"
#include "../../vmm/seccomp.h"
#include "../../vmm/vm.h"

#define ALLOWED_MARK "allowed calls done\n"

/* Exit codes of a child that went wrong before the call under test. */
enum { CHILD_NO_FILTER = 90, CHILD_ALLOWED_FAILED = 91, CHILD_NOT_STOPPED = 92 };

struct outcome {
	int status;
	char err[1024];
};

static void mark(void)
{
	if (write(STDERR_FILENO, ALLOWED_MARK, strlen(ALLOWED_MARK)) < 0)
		_exit(CHILD_ALLOWED_FAILED);
}

/* Runs fn in a child whose stderr is a pipe; collects its output and status. */
static void run_child(void (*fn)(void), struct outcome *o)
{
	size_t len = 0;
	ssize_t n;
	int fds[2];
	pid_t pid;

	memset(o, 0, sizeof(*o));
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		fn();
		_exit(CHILD_NOT_STOPPED);
	}
	close(fds[1]);
	while ((n = read(fds[0], o->err + len, sizeof(o->err) - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &o->status, 0), pid);
}

/* The child ended with EXIT_SECCOMP, after the allowed calls, with the one
 * line containing want. */
static void expect_stopped(const struct outcome *o, const char *want)
{
	const char *line = strstr(o->err, ALLOWED_MARK);

	ck_assert_msg(WIFEXITED(o->status), "child killed by signal %d",
		      WIFSIGNALED(o->status) ? WTERMSIG(o->status) : 0);
	ck_assert_msg(WEXITSTATUS(o->status) == EXIT_SECCOMP, "child exit code %d, output '%s'",
		      WEXITSTATUS(o->status), o->err);
	ck_assert_msg(line, "the allowed calls did not complete: '%s'", o->err);
	line += strlen(ALLOWED_MARK);
	ck_assert_msg(strstr(line, want), "'%s' lacks '%s'", line, want);
	ck_assert(strstr(line, "conduit: error: seccomp: system call ") == line);
	ck_assert(strstr(line, "--no-seccomp disables the sandbox"));
	ck_assert_uint_eq(strlen(strchr(line, '\n')), 1);     /* one line */
}

static void start_main(void)
{
	if (seccomp_start_main() || !seccomp_active())
		_exit(CHILD_NO_FILTER);
}

static void *thread_fn(void *arg)
{
	return arg;
}

/* What the main thread does at run time and to rebuild the machine. */
static void main_allowed(void)
{
	uint64_t one = 1, got;
	pthread_t t;
	int fd, efd, api;
	void *p;

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	efd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0 || close(fd) || efd < 0 || write(efd, &one, 8) != 8 ||
	    read(efd, &got, 8) != 8 || got != 1 || getpid() <= 0)
		_exit(CHILD_ALLOWED_FAILED);
	/* a KVM ioctl on a non-KVM fd is allowed (and fails in the kernel) */
	api = ioctl(efd, KVM_GET_API_VERSION, 0);
	if (api != -1 || errno != ENOTTY)
		_exit(CHILD_ALLOWED_FAILED);
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p, 1 << 20))
		_exit(CHILD_ALLOWED_FAILED);
	/* vCPU threads: clone3 fails with ENOSYS, glibc falls back to clone */
	if (pthread_create(&t, NULL, thread_fn, NULL) || pthread_join(t, NULL))
		_exit(CHILD_ALLOWED_FAILED);
	mark();
}

/* migrate to file: a new file, O_CREAT with O_EXCL, written and synced;
 * then O_CREAT without O_EXCL (creat(2)'s way) or O_TRUNC is stopped. */
static char new_file[64];

static void create_new_file(void)
{
	int fd;

	start_main();
	fd = open(new_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1 || fdatasync(fd) || close(fd))
		_exit(CHILD_ALLOWED_FAILED);
	main_allowed();
}

static void child_create_clobber(void)
{
	create_new_file();
	open(new_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
}

static void child_create_trunc(void)
{
	create_new_file();
	open(new_file, O_WRONLY | O_TRUNC | O_CLOEXEC);
}

/* Live migration's source: stream sockets of the three domains, the
 * connect timeout and TCP_NODELAY are allowed; then each child makes one
 * call that is not. */
static void sockets_allowed(void)
{
	static const int domains[] = { AF_UNIX, AF_INET, AF_INET6 };
	struct timeval tv = { .tv_sec = 1 };
	int one = 1, fd;
	size_t i;

	start_main();
	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		fd = socket(domains[i], i ? SOCK_STREAM : SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 && errno == EAFNOSUPPORT)
			continue;       /* a host without IPv6 */
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
			_exit(CHILD_ALLOWED_FAILED);
		if (domains[i] != AF_UNIX &&
		    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
			_exit(CHILD_ALLOWED_FAILED);
		close(fd);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || close(fd))
		_exit(CHILD_ALLOWED_FAILED);
	main_allowed();
}

static void child_socket(void)
{
	sockets_allowed();
	socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
}

static void child_socket_packet(void)
{
	sockets_allowed();
	socket(AF_PACKET, SOCK_RAW, 0);
}

static void child_socket_dgram(void)
{
	sockets_allowed();
	socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static void child_socket_raw_inet(void)
{
	sockets_allowed();
	socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
}

static void child_setsockopt_other(void)
{
	int one = 1, fd;

	sockets_allowed();
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
}

static void child_setsockopt_crossed(void)
{
	int one = 1, fd;

	sockets_allowed();
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, TCP_NODELAY, &one, sizeof(one));    /* SO_DEBUG */
}

static void child_bind(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd;

	sockets_allowed();
	fd = socket(AF_INET, SOCK_STREAM, 0);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
}

/* Connected under the filter to listeners made before it: a Unix socket
 * and loopback TCP (IPv4, and IPv6 where the host has it); the peers see
 * the bytes without accepting (the backlog holds the connections). */
static char unix_path[80];

static int listener(int domain, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)domain;
	if (domain == AF_UNIX) {
		strcpy(((struct sockaddr_un *)ss)->sun_path, unix_path);
		*len = sizeof(struct sockaddr_un);
	} else if (domain == AF_INET) {
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
		*len = sizeof(struct sockaddr_in6);
	}
	if (bind(fd, (struct sockaddr *)ss, *len) || listen(fd, 4) ||
	    getsockname(fd, (struct sockaddr *)ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void child_connect(void)
{
	static const int domains[] = { AF_UNIX, AF_INET, AF_INET6 };
	struct sockaddr_storage ss[3];
	socklen_t len[3];
	int lfd[3], i, fd;

	for (i = 0; i < 3; i++) {
		lfd[i] = listener(domains[i], &ss[i], &len[i]);
		if (lfd[i] < 0 && (domains[i] != AF_INET6 || errno != EAFNOSUPPORT))
			_exit(CHILD_ALLOWED_FAILED);
	}
	start_main();
	for (i = 0; i < 3; i++) {
		if (lfd[i] < 0)
			continue;
		fd = socket(domains[i], SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss[i], len[i]) ||
		    write(fd, "x", 1) != 1 || close(fd))
			_exit(CHILD_ALLOWED_FAILED);
	}
	mark();
	listen(lfd[0], 1);
}

static void child_execve(void)
{
	char *argv[] = { "/bin/true", NULL };

	start_main();
	main_allowed();
	execve(argv[0], argv, argv + 1);
}

static void child_fork(void)
{
	start_main();
	main_allowed();
	if (fork() == 0)
		_exit(CHILD_NOT_STOPPED);
}

static void child_tty_ioctl(void)
{
	int n;

	start_main();
	main_allowed();
	ioctl(STDERR_FILENO, FIONREAD, &n);
}

static void child_exec_memory(void)
{
	start_main();
	main_allowed();
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void child_x32(void)
{
	start_main();
	main_allowed();
	syscall(0x40000000 | __NR_getpid);
}

static void child_kill_other(void)
{
	start_main();
	main_allowed();
	syscall(__NR_tgkill, 1, 1, 0);
}

/* The QMP server under the main filter: the listening socket and a client
 * connection (with an fd for getfd and its commands already sent) are made
 * first; accepting, reading with SCM_RIGHTS, answering, an event and
 * closing run sandboxed. unlink is not allowed, which is why the server
 * leaves its socket file under the sandbox. */
static void child_qmp(void)
{
	static const char cmds[] = "{\"execute\": \"qmp_capabilities\"}"
		"{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"f\"}}";
	char dir[64], path[80], err[256], buf[4096];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl;
	struct iovec iov = { .iov_base = (void *)cmds, .iov_len = sizeof(cmds) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct qmp_server *s;
	int fd, got, pass = STDERR_FILENO;
	ssize_t n;

	snprintf(dir, sizeof(dir), "/tmp/conduit-seccomp-qmp-%d", (int)getppid());
	if (mkdir(dir, 0700))
		_exit(CHILD_ALLOWED_FAILED);
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, path);
	if (qmp_server_open(&s, path, err, sizeof(err)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		_exit(CHILD_ALLOWED_FAILED);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pass, sizeof(int));
	if (sendmsg(fd, &msg, 0) != (ssize_t)iov.iov_len)
		_exit(CHILD_ALLOWED_FAILED);
	start_main();
	qmp_server_service(s);
	got = qmp_fd_take(s, "f");
	qmp_event(s, "TEST", NULL);
	qmp_server_close(s);
	n = read(fd, buf, sizeof(buf) - 1);
	if (got < 0 || close(got) || n <= 0)
		_exit(CHILD_ALLOWED_FAILED);
	buf[n] = '\0';
	if (!strstr(buf, "\"QMP\"") || !strstr(buf, "\"TEST\"") || strstr(buf, "error"))
		_exit(CHILD_ALLOWED_FAILED);
	mark();
	unlink(path);
}

/* A vCPU thread: its own filter on top of the main one. */
static int vcpu_fd = -1;
static void (*vcpu_bad)(void);

static void *vcpu_thread(void *arg)
{
	char buf[8];
	void *p;

	if (seccomp_start_vcpu())
		_exit(CHILD_NO_FILTER);
	p = malloc(1 << 20);            /* a big malloc: anonymous mmap */
	if (!p || pread(vcpu_fd, buf, sizeof(buf), 0) != sizeof(buf))
		_exit(CHILD_ALLOWED_FAILED);
	free(p);
	mark();
	vcpu_bad();
	_exit(CHILD_NOT_STOPPED);
	return arg;
}

static void vcpu_open(void)
{
	open("/dev/null", O_RDONLY);
}

static void vcpu_map_file(void)
{
	mmap(NULL, 4096, PROT_READ, MAP_SHARED, vcpu_fd, 0);
}

static void vcpu_new_fd(void)
{
	eventfd(0, 0);
}

static void run_vcpu(void)
{
	pthread_t t;

	vcpu_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (vcpu_fd < 0)
		_exit(CHILD_ALLOWED_FAILED);
	start_main();
	if (pthread_create(&t, NULL, vcpu_thread, NULL))
		_exit(CHILD_ALLOWED_FAILED);
	pthread_join(t, NULL);
}

static void child_vcpu_open(void)
{
	vcpu_bad = vcpu_open;
	run_vcpu();
}

static void child_vcpu_map_file(void)
{
	vcpu_bad = vcpu_map_file;
	run_vcpu();
}

static void child_vcpu_new_fd(void)
{
	vcpu_bad = vcpu_new_fd;
	run_vcpu();
}

START_TEST(main_socket)
{
	struct outcome o;

	run_child(child_socket, &o);
	expect_stopped(&o, "system call 41 (socket) is not allowed in the main thread");
	run_child(child_socket_packet, &o);
	expect_stopped(&o, "system call 41 (socket) is not allowed in the main thread");
	run_child(child_socket_dgram, &o);
	expect_stopped(&o, "system call 41 (socket) is not allowed in the main thread");
	run_child(child_socket_raw_inet, &o);
	expect_stopped(&o, "system call 41 (socket) is not allowed in the main thread");
}
END_TEST

START_TEST(main_setsockopt)
{
	struct outcome o;

	run_child(child_setsockopt_other, &o);
	expect_stopped(&o, "system call 54 (setsockopt) is not allowed in the main thread");
	run_child(child_setsockopt_crossed, &o);
	expect_stopped(&o, "system call 54 (setsockopt) is not allowed in the main thread");
	run_child(child_bind, &o);
	expect_stopped(&o, "system call 49 (bind) is not allowed in the main thread");
}
END_TEST

/* vmm/migrate_socket.c's source side under the filter: the numeric
 * resolve makes no system call, the connects are allowed ones; listeners
 * made before it (migrate_listen) take the connections into their
 * backlogs. A host name is refused with an error, not stopped. */
static void child_migrate_connect(void)
{
	static const char *const uris[] = { "tcp:127.0.0.1:0", "tcp:[::1]:0", NULL };
	struct migrate_listener l[3];
	struct migrate_uri u;
	char buf[128], e[256];
	int i, fd;

	snprintf(buf, sizeof(buf), "unix:%s", unix_path);
	for (i = 0; i < 3; i++) {
		if (migrate_uri_parse(uris[i] ? uris[i] : buf, &u, e, sizeof(e)))
			_exit(CHILD_ALLOWED_FAILED);
		if (migrate_listen(&l[i], &u, e, sizeof(e)) && i != 1)
			_exit(CHILD_ALLOWED_FAILED);    /* [::1]: a host without IPv6 */
	}
	start_main();
	for (i = 0; i < 3; i++) {
		if (l[i].fd < 0)
			continue;
		if (i < 2)
			snprintf(buf, sizeof(buf), i ? "tcp:[::1]:%d" : "tcp:127.0.0.1:%d",
				 l[i].port);
		if (migrate_uri_parse(buf, &u, e, sizeof(e)))
			_exit(CHILD_ALLOWED_FAILED);
		fd = migrate_connect(&u, 1000, MIGRATE_CONNECT_NUMERIC, e, sizeof(e));
		if (fd < 0 || write(fd, "x", 1) != 1 || close(fd))
			_exit(CHILD_ALLOWED_FAILED);
	}
	if (migrate_uri_parse("tcp:localhost:4444", &u, e, sizeof(e)) ||
	    migrate_connect(&u, 1000, MIGRATE_CONNECT_NUMERIC, e, sizeof(e)) != -1)
		_exit(CHILD_ALLOWED_FAILED);
	mark();
	listen(l[0].fd, 1);
}

START_TEST(main_migrate_connect)
{
	struct outcome o;

	snprintf(unix_path, sizeof(unix_path), "/tmp/conduit-seccomp-mig-%d", (int)getpid());
	unlink(unix_path);
	run_child(child_migrate_connect, &o);
	ck_assert_int_eq(unlink(unix_path), 0);         /* the sandbox has no unlink */
	expect_stopped(&o, "system call 50 (listen) is not allowed in the main thread");
}
END_TEST

START_TEST(main_connect)
{
	struct outcome o;

	snprintf(unix_path, sizeof(unix_path), "/tmp/conduit-seccomp-mig-%d", (int)getpid());
	unlink(unix_path);
	run_child(child_connect, &o);
	ck_assert_int_eq(unlink(unix_path), 0);
	expect_stopped(&o, "system call 50 (listen) is not allowed in the main thread");
}
END_TEST

START_TEST(main_qmp_server)
{
	struct outcome o;

	char dir[64], path[80];

	snprintf(dir, sizeof(dir), "/tmp/conduit-seccomp-qmp-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	run_child(child_qmp, &o);
	unlink(path);
	rmdir(dir);
	expect_stopped(&o, "system call 87 (unlink) is not allowed in the main thread");
}
END_TEST

START_TEST(main_new_file_only)
{
	struct outcome o;

	snprintf(new_file, sizeof(new_file), "/tmp/conduit-seccomp-%d", (int)getpid());
	unlink(new_file);
	run_child(child_create_clobber, &o);
	expect_stopped(&o, "system call 257 (openat) is not allowed in the main thread");
	unlink(new_file);
	run_child(child_create_trunc, &o);
	expect_stopped(&o, "system call 257 (openat) is not allowed in the main thread");
	ck_assert_int_eq(unlink(new_file), 0);
}
END_TEST

START_TEST(main_execve)
{
	struct outcome o;

	run_child(child_execve, &o);
	expect_stopped(&o, "system call 59 (execve) is not allowed in the main thread");
}
END_TEST

START_TEST(main_fork)
{
	struct outcome o;

	run_child(child_fork, &o);
	expect_stopped(&o, "system call 56 (clone) is not allowed");
}
END_TEST

START_TEST(main_tty_ioctl)
{
	struct outcome o;

	run_child(child_tty_ioctl, &o);
	expect_stopped(&o, "system call 16 (ioctl 0x541b) is not allowed");
}
END_TEST

START_TEST(main_exec_memory)
{
	struct outcome o;

	run_child(child_exec_memory, &o);
	expect_stopped(&o, "system call 9 (mmap) is not allowed");
}
END_TEST

START_TEST(main_x32)
{
	struct outcome o;

	run_child(child_x32, &o);
	expect_stopped(&o, "system call 1073741863 of a foreign ABI (i386 or x32) is not allowed");
}
END_TEST

START_TEST(main_kill_other)
{
	struct outcome o;

	run_child(child_kill_other, &o);
	expect_stopped(&o, "(tgkill) is not allowed");
}
END_TEST

START_TEST(vcpu_no_open)
{
	struct outcome o;

	run_child(child_vcpu_open, &o);
	expect_stopped(&o, "system call 257 (openat) is not allowed in a vCPU thread");
}
END_TEST

START_TEST(vcpu_no_file_mmap)
{
	struct outcome o;

	run_child(child_vcpu_map_file, &o);
	expect_stopped(&o, "system call 9 (mmap) is not allowed in a vCPU thread");
}
END_TEST

START_TEST(vcpu_no_new_fds)
{
	struct outcome o;

	run_child(child_vcpu_new_fd, &o);
	expect_stopped(&o, "system call 290 (eventfd2) is not allowed in a vCPU thread");
}
END_TEST

START_TEST(option_and_key)
{
	char *argv[] = { "conduit", "--kernel", "k", "--no-seccomp", NULL };
	struct vm_config cfg;
	char err[CONFIG_ERR_LEN];

	config_init(&cfg);
	ck_assert(!cfg.no_seccomp);
	ck_assert_int_eq(config_set(&cfg, "no-seccomp", "true", err, sizeof(err)), 0);
	ck_assert(cfg.no_seccomp);
	ck_assert_int_eq(config_set(&cfg, "no-seccomp", "maybe", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no-seccomp 'maybe' is not true or false");
	config_free(&cfg);

	config_init(&cfg);
	ck_assert_int_eq(cli_parse(4, argv, &cfg), CLI_RUN);
	ck_assert(cfg.no_seccomp);
	config_free(&cfg);
}
END_TEST

Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("filters");

	tcase_add_test(tc, main_socket);
	tcase_add_test(tc, main_setsockopt);
	tcase_add_test(tc, main_connect);
	tcase_add_test(tc, main_migrate_connect);
	tcase_add_test(tc, main_qmp_server);
	tcase_add_test(tc, main_new_file_only);
	tcase_add_test(tc, main_execve);
	tcase_add_test(tc, main_fork);
	tcase_add_test(tc, main_tty_ioctl);
	tcase_add_test(tc, main_exec_memory);
	tcase_add_test(tc, main_x32);
	tcase_add_test(tc, main_kill_other);
	tcase_add_test(tc, vcpu_no_open);
	tcase_add_test(tc, vcpu_no_file_mmap);
	tcase_add_test(tc, vcpu_no_new_fds);
	tcase_add_test(tc, option_and_key);
	suite_add_tcase(s, tc);
	return s;
}
