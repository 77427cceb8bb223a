/* Unit tests for `conduit exec`'s pure parts: the command script's quoting
 * (run by the host's sh), the busybox check, the initramfs it builds (read
 * back entry by entry), ELF interpreter detection, the kernel release from
 * a bzImage header, the console tail and the exit-code mapping of the exec
 * session, the virtio-console modaliases and module name sets. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../boot/x86/bzimage.h"
#include "../../boot/elf_info.h"
#include "../../boot/exec_blobs.h"
#include "../../boot/exec_rootfs.h"
#include "../../boot/modules.h"
#include "../../devices/virtio_console.h"
#include "../../devices/virtio_pci.h"
#include "../../vmm/exec_session.h"
#include "../../vmm/vm.h"
#include "suites.h"

static char dir[] = "/tmp/conduit-exec-test.XXXXXX";

static void setup(void)
{
	strcpy(dir, "/tmp/conduit-exec-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* The script runs on the host's sh with printf for the command: every
 * argument arrives whole and unexpanded. */
START_TEST(command_script_quotes_every_word)
{
	char *const argv[] = { "printf", "[%s]\\n", "a b", "it's", "*$HOME", "`id`", "", NULL };
	char path[256], out[512] = "", cmd[300];
	char *script = exec_command_script(dir, argv, 7);
	FILE *p;
	size_t n;

	ck_assert_ptr_nonnull(script);
	ck_assert_ptr_nonnull(strstr(script, "exec 'printf' '[%s]\\n' 'a b' 'it'\\''s' "
				     "'*$HOME' '`id`' ''\n"));
	snprintf(path, sizeof(path), "%s/cmd.sh", dir);
	write_file(path, script, strlen(script), 0644);
	free(script);
	snprintf(cmd, sizeof(cmd), "cd / && sh %s", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_str_eq(out, "[a b]\n[it's]\n[*$HOME]\n[`id`]\n[]\n");
}
END_TEST

START_TEST(command_script_changes_directory)
{
	char *const argv[] = { "pwd", NULL };
	char path[256], out[512] = "", cmd[300];
	char *script = exec_command_script(dir, argv, 1);
	FILE *p;
	size_t n;

	snprintf(path, sizeof(path), "%s/cmd.sh", dir);
	write_file(path, script, strlen(script), 0644);
	free(script);
	snprintf(cmd, sizeof(cmd), "cd / && sh %s", path);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_int_eq(out[n - 1], '\n');
	out[n - 1] = '\0';
	ck_assert_str_eq(out, dir);
}
END_TEST

/* A minimal ELF64 with one program header, PT_INTERP or not. */
static size_t make_elf(uint8_t *buf, size_t cap, const char *interp)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	size_t len = sizeof(eh) + sizeof(ph);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = interp ? PT_INTERP : PT_LOAD;
	if (interp) {
		ph.p_offset = len;
		ph.p_filesz = strlen(interp) + 1;
		memcpy(buf + len, interp, ph.p_filesz);
		len += ph.p_filesz;
	}
	ck_assert_uint_le(len, cap);
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	return len;
}

START_TEST(elf_kinds)
{
	uint8_t buf[512];
	char interp[64];
	size_t len;

	len = make_elf(buf, sizeof(buf), NULL);
	ck_assert_int_eq(elf_info(buf, len, interp, sizeof(interp)), ELF_STATIC);
	len = make_elf(buf, sizeof(buf), "/lib64/ld-linux-x86-64.so.2");
	ck_assert_int_eq(elf_info(buf, len, interp, sizeof(interp)), ELF_DYNAMIC);
	ck_assert_str_eq(interp, "/lib64/ld-linux-x86-64.so.2");
	/* the interpreter's string cut off, or not NUL-terminated */
	ck_assert_int_eq(elf_info(buf, len - 1, interp, sizeof(interp)), ELF_BAD);
	buf[len - 1] = 'x';
	ck_assert_int_eq(elf_info(buf, len, interp, sizeof(interp)), ELF_BAD);
	/* program headers past the end, 32-bit, a script */
	ck_assert_int_eq(elf_info(buf, sizeof(Elf64_Ehdr) + 10, interp, sizeof(interp)), ELF_BAD);
	buf[EI_CLASS] = ELFCLASS32;
	ck_assert_int_eq(elf_info(buf, len, interp, sizeof(interp)), ELF_BAD);
	ck_assert_int_eq(elf_info((const uint8_t *)"#!/bin/sh\n", 10, interp, sizeof(interp)),
			 ELF_NOT_ELF);
	/* the report helper conduit puts in every guest is a static ELF */
	ck_assert_int_eq(elf_info(exec_report, (size_t)(exec_report_end - exec_report), interp,
				  sizeof(interp)), ELF_STATIC);
}
END_TEST

START_TEST(busybox_check)
{
	char path[256], err[512];
	uint8_t buf[512];
	size_t len;

	snprintf(path, sizeof(path), "%s/busybox", dir);
	ck_assert_int_eq(exec_busybox_check(path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file or directory: conduit exec needs a "
				     "static busybox (Debian: apt-get install busybox-static)"));
	len = make_elf(buf, sizeof(buf), "/lib64/ld-linux-x86-64.so.2");
	write_file(path, buf, len, 0755);
	ck_assert_int_eq(exec_busybox_check(path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is dynamically linked (it needs "
				     "/lib64/ld-linux-x86-64.so.2): conduit exec needs a static one"));
	write_file(path, "#!/bin/sh\n", 10, 0755);
	ck_assert_int_eq(exec_busybox_check(path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is not an x86-64 ELF program"));
	write_file(path, exec_report, (size_t)(exec_report_end - exec_report), 0755);
	ck_assert_int_eq(exec_busybox_check(path, err, sizeof(err)), 0);
}
END_TEST

struct cpio_entry {
	char name[256];
	unsigned mode, rdev_major, rdev_minor;
	const uint8_t *data;
	size_t size;
};

static unsigned field(const uint8_t *h, int i)
{
	char s[9];

	memcpy(s, h + 6 + 8 * i, 8);
	s[8] = '\0';
	return (unsigned)strtoul(s, NULL, 16);
}

/* Every entry of a newc archive, up to the trailer. */
static size_t read_cpio(const uint8_t *buf, size_t len, struct cpio_entry *e, size_t max)
{
	size_t off = 0, n = 0, namesize;

	while (off + 110 <= len && n < max) {
		ck_assert_int_eq(memcmp(buf + off, "070701", 6), 0);
		e[n].mode = field(buf + off, 1);
		e[n].size = field(buf + off, 6);
		e[n].rdev_major = field(buf + off, 9);
		e[n].rdev_minor = field(buf + off, 10);
		namesize = field(buf + off, 11);
		ck_assert_uint_lt(namesize, sizeof(e[n].name));
		memcpy(e[n].name, buf + off + 110, namesize);
		off = (off + 110 + namesize + 3) & ~(size_t)3;
		e[n].data = buf + off;
		off = (off + e[n].size + 3) & ~(size_t)3;
		if (!strcmp(e[n].name, "TRAILER!!!"))
			return n;
		n++;
	}
	ck_abort_msg("no trailer");
	return 0;
}

static int find(const struct cpio_entry *e, size_t n, const char *name)
{
	size_t i;
	int at = -1;

	for (i = 0; i < n; i++) {
		if (strcmp(e[i].name, name))
			continue;
		ck_assert_msg(at < 0, "%s twice in the archive", name);
		at = (int)i;
	}
	ck_assert_msg(at >= 0, "%s not in the archive", name);
	return at;
}

START_TEST(rootfs_contents)
{
	char bb[256], src[256], cwd[300], err[512], want[512];
	char *const argv[] = { "/opt/t/run", "x y", NULL };
	struct exec_file files[1];
	struct exec_rootfs r = { 0 };
	struct cpio_entry e[64];
	struct initramfs ir;
	size_t n, report_len = (size_t)(exec_report_end - exec_report);
	int i;

	snprintf(bb, sizeof(bb), "%s/busybox", dir);
	write_file(bb, exec_report, report_len, 0755);
	snprintf(src, sizeof(src), "%s/run", dir);
	write_file(src, "#!/bin/sh\necho hi\n", 18, 0750);
	files[0].src = src;
	files[0].dst = "/opt/t/run";
	snprintf(cwd, sizeof(cwd), "%s/work", dir);
	r.busybox = bb;
	r.cwd = cwd;
	r.argv = argv;
	r.argc = 2;
	r.files = files;
	r.n_files = 1;
	initramfs_init(&ir);
	ck_assert_int_eq(exec_rootfs_build(&r, &ir, err, sizeof(err)), 0);
	n = read_cpio(ir.buf, ir.len, e, 64);

	i = find(e, n, "init");
	ck_assert_uint_eq(e[i].mode, 0100755);
	ck_assert_uint_eq(e[i].size, (size_t)(exec_init_end - exec_init));
	ck_assert_int_eq(memcmp(e[i].data, "#!/bin/busybox sh\n", 18), 0);
	i = find(e, n, "bin/busybox");
	ck_assert_uint_eq(e[i].mode, 0100755);
	ck_assert_uint_eq(e[i].size, report_len);
	i = find(e, n, "conduit/report");
	ck_assert_int_eq(memcmp(e[i].data, exec_report, report_len), 0);
	i = find(e, n, "conduit/modules");
	ck_assert_uint_eq(e[i].size, 0);
	i = find(e, n, "dev/console");
	ck_assert_uint_eq(e[i].mode, 020600);
	ck_assert_uint_eq(e[i].rdev_major, 5);
	ck_assert_uint_eq(e[i].rdev_minor, 1);
	/* the file at its guest path, its mode kept, its directories first */
	i = find(e, n, "opt/t/run");
	ck_assert_uint_eq(e[i].mode, 0100750);
	ck_assert_int_eq(memcmp(e[i].data, "#!/bin/sh\necho hi\n", 18), 0);
	ck_assert_int_lt(find(e, n, "opt"), find(e, n, "opt/t"));
	ck_assert_int_lt(find(e, n, "opt/t"), i);
	/* the working directory, and the command script that goes there */
	ck_assert_uint_eq(e[find(e, n, cwd + 1)].mode, 040755);
	i = find(e, n, "conduit/command");
	snprintf(want, sizeof(want), "# the command conduit exec runs\ncd '%s' || exit 126\n"
		 "exec '/opt/t/run' 'x y'\n", cwd);
	ck_assert_uint_eq(e[i].size, strlen(want));
	ck_assert_int_eq(memcmp(e[i].data, want, strlen(want)), 0);
	initramfs_free(&ir);
}
END_TEST

START_TEST(rootfs_errors)
{
	char bb[256], err[512];
	char *const argv[] = { "true", NULL };
	struct exec_file files[1] = { { "/nonexistent/file", "/x" } };
	struct exec_rootfs r = { .cwd = "/", .argv = argv, .argc = 1 };
	struct initramfs ir;

	snprintf(bb, sizeof(bb), "%s/busybox", dir);
	r.busybox = bb;
	initramfs_init(&ir);
	ck_assert_int_eq(exec_rootfs_build(&r, &ir, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "busybox-static"));
	initramfs_free(&ir);

	write_file(bb, exec_report, (size_t)(exec_report_end - exec_report), 0755);
	r.files = files;
	r.n_files = 1;
	initramfs_init(&ir);
	ck_assert_int_eq(exec_rootfs_build(&r, &ir, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "file /nonexistent/file: No such file or directory");
	initramfs_free(&ir);

	files[0].src = bb;
	files[0].dst = "/a/../b";
	initramfs_init(&ir);
	ck_assert_int_eq(exec_rootfs_build(&r, &ir, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "guest path /a/../b: not a usable path (no '.', '..', empty or "
			 "control characters)");
	initramfs_free(&ir);

	r.n_files = 0;
	r.cwd = "relative";
	initramfs_init(&ir);
	ck_assert_int_eq(exec_rootfs_build(&r, &ir, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "guest working directory relative: not absolute");
	initramfs_free(&ir);
}
END_TEST

static void bz_header(uint8_t *buf, size_t len, uint16_t version_off, const char *text)
{
	memset(buf, 0, len);
	buf[0x1f1] = 1;                 /* setup: 2 sectors, 1024 bytes */
	memcpy(buf + 0x202, "HdrS", 4);
	buf[0x20e] = version_off & 0xff;
	buf[0x20f] = version_off >> 8;
	if (text)
		memcpy(buf + 0x200 + version_off, text, strlen(text));
}

START_TEST(kernel_release_from_header)
{
	uint8_t buf[2048];
	char out[64];

	bz_header(buf, sizeof(buf), 0x100, "6.1.0-57-cloud-amd64 (debian-kernel@lists) #1 SMP");
	ck_assert_int_eq(bzimage_release(buf, sizeof(buf), out, sizeof(out)), 0);
	ck_assert_str_eq(out, "6.1.0-57-cloud-amd64");
	bz_header(buf, sizeof(buf), 0x100, "6.12.0");
	ck_assert_int_eq(bzimage_release(buf, sizeof(buf), out, sizeof(out)), 0);
	ck_assert_str_eq(out, "6.12.0");
	/* no offset; past the setup part; a '/' (it names a directory); too long */
	bz_header(buf, sizeof(buf), 0, NULL);
	ck_assert_int_eq(bzimage_release(buf, sizeof(buf), out, sizeof(out)), -1);
	bz_header(buf, sizeof(buf), 0x300, "6.1.0");
	ck_assert_int_eq(bzimage_release(buf, sizeof(buf), out, sizeof(out)), -1);
	bz_header(buf, sizeof(buf), 0x100, "../../etc x");
	ck_assert_int_eq(bzimage_release(buf, sizeof(buf), out, sizeof(out)), -1);
	bz_header(buf, sizeof(buf), 0x100, "6.1.0-57-cloud-amd64 x");
	ck_assert_int_eq(bzimage_release(buf, sizeof(buf), out, 8), -1);
	ck_assert_int_eq(bzimage_release(buf, 0x200, out, sizeof(out)), -1);
}
END_TEST

static void feed(struct exec_session *s, const char *text)
{
	while (*text)
		exec_session_console(s, (uint8_t)*text++);
}

START_TEST(console_tail)
{
	struct exec_session *s = malloc(sizeof(*s));
	char out[EXEC_TAIL_SIZE + 1];
	int i;

	exec_session_init(s, 0, false);
	ck_assert_uint_eq(exec_session_tail(s, 3, out, sizeof(out)), 0);
	feed(s, "one\r\ntwo\r\nthree\r\nfour\r\n");
	exec_session_tail(s, 2, out, sizeof(out));
	ck_assert_str_eq(out, "three\nfour\n");
	feed(s, "five, no newline");
	exec_session_tail(s, 2, out, sizeof(out));
	ck_assert_str_eq(out, "four\nfive, no newline");
	/* more than the tail holds: the last bytes are kept */
	for (i = 0; i < 1000; i++)
		feed(s, "0123456789abcdef\n");
	feed(s, "Kernel panic - not syncing: sysrq triggered crash\n");
	exec_session_tail(s, 2, out, sizeof(out));
	ck_assert_str_eq(out, "0123456789abcdef\nKernel panic - not syncing: sysrq triggered crash\n");
	ck_assert_uint_eq(s->tail_len, EXEC_TAIL_SIZE);
	ck_assert_str_eq(s->panic, "Kernel panic - not syncing: sysrq triggered crash");
	feed(s, "[    2.0] Kernel panic - not syncing: a second one\n");
	ck_assert_str_eq(s->panic, "Kernel panic - not syncing: sysrq triggered crash");
	ck_assert_uint_eq(s->command_ns, 0);
	feed(s, EXEC_START_MARK "\r\n");
	ck_assert_uint_ne(s->command_ns, 0);
	free(s);
}
END_TEST

START_TEST(exit_codes)
{
	struct exec_session *s = malloc(sizeof(*s));

	exec_session_init(s, 5, false);
	s->reported = true;
	s->status = 137;
	ck_assert_int_eq(exec_session_result(s, EXIT_POWEROFF), 137);
	s->status = 1;
	ck_assert_int_eq(exec_session_result(s, EXIT_POWEROFF), 1);
	s->reported = false;
	s->timed_out = true;
	ck_assert_int_eq(exec_session_result(s, EXIT_POWEROFF), EXEC_EXIT_TIMEOUT);
	s->timed_out = false;
	ck_assert_int_eq(exec_session_result(s, EXIT_REBOOT), EXEC_EXIT_GUEST_DIED);
	ck_assert_int_eq(exec_session_result(s, EXIT_CRASH), EXEC_EXIT_GUEST_DIED);
	ck_assert_int_eq(exec_session_result(s, EXIT_POWEROFF), EXEC_EXIT_GUEST_DIED);
	/* conduit's own failure and a signal to conduit stay what they are */
	ck_assert_int_eq(exec_session_result(s, EXIT_ERROR), EXIT_ERROR);
	ck_assert_int_eq(exec_session_result(s, EXIT_SIGNAL_BASE + 15), 143);
	free(s);
}
END_TEST

START_TEST(console_modaliases)
{
	char pci[128], virtio[64];

	virtio_pci_modaliases(VCON_DEVICE_ID, pci, sizeof(pci), virtio, sizeof(virtio));
	ck_assert_str_eq(pci, "pci:v00001AF4d00001043sv00001AF4sd00000003bc07sc80i00");
	ck_assert_str_eq(virtio, "virtio:d00000003v00001AF4");
}
END_TEST

START_TEST(names_once_normalised)
{
	struct module_names n = { 0 };

	ck_assert_int_eq(module_names_add(&n, "virtio-console"), 0);
	ck_assert_int_eq(module_names_add(&n, "virtio_console"), 0);
	ck_assert_int_eq(module_names_add(&n, "vmxnet3"), 0);
	ck_assert_uint_eq(n.n, 2);
	ck_assert_str_eq(n.name[0], "virtio_console");
	ck_assert_str_eq(n.name[1], "vmxnet3");
	module_names_free(&n);
}
END_TEST

Suite *exec_suite(void)
{
	Suite *s = suite_create("exec");
	TCase *tc = tcase_create("exec");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, command_script_quotes_every_word);
	tcase_add_test(tc, command_script_changes_directory);
	tcase_add_test(tc, elf_kinds);
	tcase_add_test(tc, busybox_check);
	tcase_add_test(tc, rootfs_contents);
	tcase_add_test(tc, rootfs_errors);
	tcase_add_test(tc, kernel_release_from_header);
	tcase_add_test(tc, console_tail);
	tcase_add_test(tc, exit_codes);
	tcase_add_test(tc, console_modaliases);
	tcase_add_test(tc, names_once_normalised);
	suite_add_tcase(s, tc);
	return s;
}
