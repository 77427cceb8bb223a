/* Unit tests for choosing and reaching the IOMMU backend: which backend
 * --vfio-backend auto|iommufd|legacy picks for a set of devices and the
 * one-line errors when the host lacks it (passthrough_choose_backend), the
 * sysfs lookups of a device's VFIO cdev and of an mdev (vfio/host/host_vfio.c,
 * on a fake tree), and the device fd handoff over a Unix socket
 * (vfio/host/fd_passing.c): a real round trip between two processes, and
 * hostile messages. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../../vfio/host/fd_passing.h"
#include "../../vfio/host/host_vfio.h"
#include "../../vfio/passthrough.h"
#include "suites.h"
#include "../support/fake_sysfs.h"

#define UUID "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

static struct passthrough_dev dev(enum vfio_dev_kind kind, const char *name, int cdev)
{
	struct passthrough_dev d;

	memset(&d, 0, sizeof(d));
	d.ref.kind = kind;
	snprintf(d.ref.name, sizeof(d.ref.name), "%s", name);
	d.ref.group = kind == VFIO_DEV_FD ? -1 : 5;
	d.ref.cdev = cdev;
	d.ref.fd = kind == VFIO_DEV_FD ? 42 : -1;
	d.iommufd = kind == VFIO_DEV_FD ? 43 : -1;
	return d;
}

static int choose(enum vfio_backend_kind want, const struct passthrough_dev *d, int n,
		  bool iommufd, bool container, char *why)
{
	return passthrough_choose_backend(want, d, n, iommufd, container, why, 512);
}

START_TEST(auto_prefers_iommufd)
{
	struct passthrough_dev d[2] = { dev(VFIO_DEV_PCI, "0000:00:03.0", 0),
					dev(VFIO_DEV_MDEV, UUID, 1) };
	char why[512];

	ck_assert_int_eq(choose(VFIO_BACKEND_AUTO, d, 2, true, true, why), VFIO_BACKEND_IOMMUFD);
	ck_assert_str_eq(why, "iommufd (auto: /dev/iommu and every device's cdev are there)");
	ck_assert_int_eq(choose(VFIO_BACKEND_AUTO, d, 2, false, true, why), VFIO_BACKEND_LEGACY);
	ck_assert_str_eq(why, "legacy (type1) (auto: no /dev/iommu)");
	d[1].ref.cdev = -1;
	ck_assert_int_eq(choose(VFIO_BACKEND_AUTO, d, 2, true, true, why), VFIO_BACKEND_LEGACY);
	ck_assert_str_eq(why, "legacy (type1) (auto: a device has no VFIO cdev)");
}
END_TEST

START_TEST(forced_iommufd_missing)
{
	struct passthrough_dev d[2] = { dev(VFIO_DEV_PCI, "0000:00:03.0", 0),
					dev(VFIO_DEV_PCI, "0000:00:04.0", -1) };
	char why[512];

	ck_assert_int_eq(choose(VFIO_BACKEND_IOMMUFD, d, 1, false, true, why), -1);
	ck_assert_str_eq(why, "--vfio-backend iommufd: this host has no /dev/iommu (its kernel lacks CONFIG_IOMMUFD, or iommufd is not loaded: modprobe iommufd); use --vfio-backend legacy");
	ck_assert_int_eq(choose(VFIO_BACKEND_IOMMUFD, d, 2, true, true, why), -1);
	ck_assert_str_eq(why, "--vfio-backend iommufd: 0000:00:04.0 has no VFIO device cdev (/dev/vfio/devices/vfioN: the kernel lacks CONFIG_VFIO_DEVICE_CDEV); use --vfio-backend legacy");
	ck_assert_int_eq(choose(VFIO_BACKEND_IOMMUFD, d, 1, true, false, why), VFIO_BACKEND_IOMMUFD);
	ck_assert_str_eq(why, "iommufd (as asked)");
}
END_TEST

START_TEST(forced_legacy)
{
	struct passthrough_dev d[2] = { dev(VFIO_DEV_PCI, "0000:00:03.0", 0),
					dev(VFIO_DEV_FD, "0000:00:04.0", -1) };
	char why[512];

	ck_assert_int_eq(choose(VFIO_BACKEND_LEGACY, d, 1, true, true, why), VFIO_BACKEND_LEGACY);
	ck_assert_str_eq(why, "legacy (type1), as asked");
	ck_assert_int_eq(choose(VFIO_BACKEND_LEGACY, d, 1, true, false, why), -1);
	ck_assert_str_eq(why, "--vfio-backend legacy: this host has no /dev/vfio/vfio (a kernel without CONFIG_VFIO_CONTAINER, or vfio not loaded: modprobe vfio-pci); it has /dev/iommu: use --vfio-backend iommufd");
	ck_assert_int_eq(choose(VFIO_BACKEND_LEGACY, d, 1, false, false, why), -1);
	ck_assert_ptr_null(strstr(why, "/dev/iommu"));
	ck_assert_int_eq(choose(VFIO_BACKEND_LEGACY, d, 2, true, true, why), -1);
	ck_assert_str_eq(why, "--vfio-backend legacy: 0000:00:04.0 was handed over as a device cdev, which only the iommufd backend can use");
}
END_TEST

/* A handed-over device brings its own iommufd: no /dev/iommu needed. */
START_TEST(handed_over_needs_no_dev_iommu)
{
	struct passthrough_dev d[1] = { dev(VFIO_DEV_FD, "0000:00:03.0", -1) };
	char why[512];

	ck_assert_int_eq(choose(VFIO_BACKEND_AUTO, d, 1, false, false, why), VFIO_BACKEND_IOMMUFD);
	ck_assert_int_eq(choose(VFIO_BACKEND_IOMMUFD, d, 1, false, false, why), VFIO_BACKEND_IOMMUFD);
}
END_TEST

/* ---- sysfs and /dev lookups on a fake tree ---- */

static struct fake_sysfs T;

static void tree_setup(void)
{
	static const struct fake_sysfs_dev devs[] = {
		{ .bdf = "0000:00:03.0", .vendor = 0x1b36, .device = 0x0010, .group = -1,
		  .cdev = "vfio3" },
		{ .bdf = "0000:00:04.0", .vendor = 0x1af4, .device = 0x1041, .group = -1 },
	};

	fake_sysfs_create(&T, "/tmp");
	fake_sysfs_add_device(&T, &devs[0]);
	fake_sysfs_add_device(&T, &devs[1]);
	fake_sysfs_add_mdev(&T, UUID, 12, "vfio17");
	/* an mdev vfio knows nothing of */
	fake_sysfs_add_mdev(&T, "00000000-0000-0000-0000-000000000000", -1, NULL);
	host_pci_set_root(T.sys, NULL);
	host_pci_set_dirs(T.dev, NULL);
}

static void tree_teardown(void)
{
	host_pci_set_root(NULL, NULL);
	host_pci_set_dirs(NULL, NULL);
	fake_sysfs_remove(&T);
}

START_TEST(pci_cdev)
{
	struct pci_addr a = { 0, 0, 3, 0 }, b = { 0, 0, 4, 0 }, c = { 0, 0, 5, 0 };

	ck_assert_int_eq(host_vfio_pci_cdev(&a), 3);
	ck_assert_int_eq(host_vfio_pci_cdev(&b), -1);  /* no vfio-dev */
	ck_assert_int_eq(host_vfio_pci_cdev(&c), -1);  /* no device */
}
END_TEST

START_TEST(mdev_ref)
{
	struct vfio_dev_ref r;
	char err[512];

	ck_assert_int_eq(host_vfio_mdev_ref(UUID, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r.kind, VFIO_DEV_MDEV);
	ck_assert_str_eq(r.name, UUID);
	ck_assert_int_eq(r.group, 12);
	ck_assert_int_eq(r.cdev, 17);
	ck_assert_int_eq(r.fd, -1);
}
END_TEST

START_TEST(mdev_errors)
{
	static const char *const bad[] = {
		"", "83b8f4f2", UUID "0", "83b8f4f2-509f-382f-3c1e-e6bfe0fa100",
		"83b8f4f2_509f-382f-3c1e-e6bfe0fa1001", "g3b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
		"../../../../etc/passwd",
	};
	struct vfio_dev_ref r;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(host_vfio_mdev_ref(bad[i], &r, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, "not a UUID (an mdev is named by its UUID"), "%s: %s",
			      bad[i], err);
	}
	ck_assert_int_eq(host_vfio_mdev_ref("11111111-2222-3333-4444-555555555555", &r, err,
					    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "mdev 11111111-2222-3333-4444-555555555555: no such mediated device ("),
		      "%s", err);
	ck_assert_msg(strstr(err, "create it through its parent's mdev_supported_types/TYPE/create"),
		      "%s", err);
	ck_assert_int_eq(host_vfio_mdev_ref("00000000-0000-0000-0000-000000000000", &r, err,
					    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "vfio has no group or cdev for it"), "%s", err);
}
END_TEST

START_TEST(dev_nodes)
{
	char path[PATH_MAX];
	int fd;

	ck_assert(!host_vfio_has_iommufd());
	ck_assert(!host_vfio_has_container());
	fake_sysfs_path(&T, path, sizeof(path), "dev/iommu");
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(host_vfio_has_iommufd());
	fake_sysfs_path(&T, path, sizeof(path), "dev/vfio/vfio");
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(host_vfio_has_container());
}
END_TEST

/* ---- the fd handoff ---- */

static char sock[PATH_MAX];

/* A child serves two memfds named "dev" and "iommu" once, then exits 0. */
static pid_t serve_child(const char *name)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct fdpass_handoff h = {
			.device_fd = memfd_create("dev", 0), .iommufd = memfd_create("iommu", 0),
		};
		char err[512];

		snprintf(h.name, sizeof(h.name), "%s", name);
		if (write(h.device_fd, "D", 1) != 1 || write(h.iommufd, "IO", 2) != 2)
			_exit(3);
		_exit(fdpass_serve(sock, getuid(), &h, NULL, err, sizeof(err)) ? 1 : 0);
	}
	return pid;
}

static void wait_for_socket(void)
{
	struct stat st;
	int i;

	for (i = 0; i < 500 && stat(sock, &st) < 0; i++)
		usleep(10000);
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_uid, getuid());
}

static void sock_setup(void)
{
	snprintf(sock, sizeof(sock), "/tmp/conduit-fdpass-%d.sock", (int)getpid());
	unlink(sock);
}

START_TEST(handoff_round_trip)
{
	struct fdpass_handoff h;
	char err[512], buf[4] = { 0 };
	int status;
	pid_t pid = serve_child("0000:00:03.0");

	wait_for_socket();
	ck_assert_msg(fdpass_receive(sock, &h, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(h.name, "0000:00:03.0");
	/* The very files the server opened: what it wrote is in them. */
	ck_assert_int_eq(pread(h.device_fd, buf, 3, 0), 1);
	ck_assert_str_eq(buf, "D");
	ck_assert_int_eq(pread(h.iommufd, buf, 3, 0), 2);
	ck_assert_str_eq(buf, "IO");
	ck_assert_int_eq(fcntl(h.device_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(h.device_fd);
	close(h.iommufd);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* One client only: the socket is gone. */
	ck_assert_int_eq(access(sock, F_OK), -1);
	ck_assert_int_eq(fdpass_receive(sock, &h, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "cannot connect: No such file or directory (start 'conduit bind BDF --serve "),
		      "%s", err);
}
END_TEST

START_TEST(serve_errors)
{
	struct fdpass_handoff h = { .device_fd = -1, .iommufd = -1, .name = "x" };
	char err[512], longpath[200];
	int fd;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(fdpass_serve(longpath, getuid(), &h, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is too long (at most 107 bytes)"), "%s", err);
	fd = open(sock, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fdpass_serve(sock, getuid(), &h, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "Address already in use (remove it if no conduit serves it)"),
		      "%s", err);
	unlink(sock);
}
END_TEST

START_TEST(hostile_messages)
{
	struct fdpass_handoff h;
	char err[512];

	ck_assert_int_eq(fdpass_check_message("conduit-fds 1 0000:00:03.0", 26, 2, &h, err,
					      sizeof(err)), 0);
	ck_assert_str_eq(h.name, "0000:00:03.0");
	ck_assert_int_eq(fdpass_check_message("conduit-fds 2 0000:00:03.0", 26, 2, &h, err,
					      sizeof(err)), -1);
	ck_assert_str_eq(err, "not a conduit device handoff");
	ck_assert_int_eq(fdpass_check_message("condu", 5, 2, &h, err, sizeof(err)), -1);
	ck_assert_int_eq(fdpass_check_message("conduit-fds 1 0000:00:03.0", 26, 1, &h, err,
					      sizeof(err)), -1);
	ck_assert_str_eq(err, "the handoff carried 1 fds, want 2 (device and iommufd)");
	ck_assert_int_eq(fdpass_check_message("conduit-fds 1 0000:00:03.0", 26, 3, &h, err,
					      sizeof(err)), -1);
	ck_assert_int_eq(fdpass_check_message("conduit-fds 1 ", 14, 2, &h, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the handoff names no device, or too long a name");
	ck_assert_int_eq(fdpass_check_message("conduit-fds 1 ../../x", 21, 2, &h, err,
					      sizeof(err)), -1);
	ck_assert_str_eq(err, "the handoff's device name is not a PCI address or UUID");
	ck_assert_int_eq(fdpass_check_message("conduit-fds 1 0000:00:03.0\n%s", 29, 2, &h, err,
					      sizeof(err)), -1);
	ck_assert_int_eq(fdpass_check_message("conduit-fds 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
					      58, 2, &h, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the handoff names no device, or too long a name");
}
END_TEST

Suite *vfio_backend_suite(void)
{
	Suite *s = suite_create("vfio_backend");
	TCase *c = tcase_create("choose");
	TCase *t = tcase_create("host_vfio");
	TCase *f = tcase_create("fd_passing");

	tcase_add_test(c, auto_prefers_iommufd);
	tcase_add_test(c, forced_iommufd_missing);
	tcase_add_test(c, forced_legacy);
	tcase_add_test(c, handed_over_needs_no_dev_iommu);
	suite_add_tcase(s, c);
	tcase_add_checked_fixture(t, tree_setup, tree_teardown);
	tcase_add_test(t, pci_cdev);
	tcase_add_test(t, mdev_ref);
	tcase_add_test(t, mdev_errors);
	tcase_add_test(t, dev_nodes);
	suite_add_tcase(s, t);
	tcase_add_checked_fixture(f, sock_setup, NULL);
	tcase_add_test(f, handoff_round_trip);
	tcase_add_test(f, serve_errors);
	tcase_add_test(f, hostile_messages);
	suite_add_tcase(s, f);
	return s;
}
