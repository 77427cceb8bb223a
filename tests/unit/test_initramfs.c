/* Tests of the in-memory initramfs (boot/initramfs.c): archives are read
 * back with a small newc reader written here, every header field checked,
 * and listed by the real cpio(1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "suites.h"
#include "../../boot/initramfs.h"

struct entry {
	unsigned ino, mode, uid, gid, nlink, mtime, filesize;
	unsigned devmajor, devminor, rdevmajor, rdevminor, namesize, check;
	const char *name;
	const uint8_t *data;
};

static struct initramfs ir;

static void setup(void)
{
	initramfs_init(&ir);
}

static void teardown(void)
{
	initramfs_free(&ir);
}

static unsigned hex8(const uint8_t *p)
{
	char s[9];
	char *end;
	unsigned long v;

	memcpy(s, p, 8);
	s[8] = '\0';
	v = strtoul(s, &end, 16);
	ck_assert_ptr_eq(end, s + 8);
	return (unsigned)v;
}

/* Read the entry at *off; fail on anything out of place. */
static struct entry read_entry(const uint8_t *buf, size_t len, size_t *off)
{
	unsigned *f[13];
	struct entry e;
	size_t o = *off;
	int i;

	f[0] = &e.ino; f[1] = &e.mode; f[2] = &e.uid; f[3] = &e.gid;
	f[4] = &e.nlink; f[5] = &e.mtime; f[6] = &e.filesize;
	f[7] = &e.devmajor; f[8] = &e.devminor; f[9] = &e.rdevmajor;
	f[10] = &e.rdevminor; f[11] = &e.namesize; f[12] = &e.check;
	ck_assert_uint_eq(o % 4, 0);
	ck_assert_uint_le(o + INITRAMFS_HDR_LEN, len);
	ck_assert(!memcmp(buf + o, "070701", 6));
	for (i = 0; i < 13; i++)
		*f[i] = hex8(buf + o + 6 + 8 * i);
	o += INITRAMFS_HDR_LEN;
	ck_assert_uint_le(o + e.namesize, len);
	e.name = (const char *)buf + o;
	ck_assert_uint_eq(strlen(e.name) + 1, e.namesize);
	o += e.namesize;
	for (; o % 4; o++)
		ck_assert_uint_eq(buf[o], 0);
	ck_assert_uint_le(o + e.filesize, len);
	e.data = buf + o;
	o += e.filesize;
	for (; o % 4; o++) {
		ck_assert_uint_lt(o, len);
		ck_assert_uint_eq(buf[o], 0);
	}
	*off = o;
	return e;
}

static void check_common(const struct entry *e)
{
	ck_assert_uint_eq(e->uid, 0);
	ck_assert_uint_eq(e->gid, 0);
	ck_assert_uint_eq(e->mtime, 0);
	ck_assert_uint_eq(e->devmajor, 0);
	ck_assert_uint_eq(e->devminor, 0);
	ck_assert_uint_eq(e->check, 0);
}

START_TEST(every_kind)
{
	static const char script[] = "#!/bin/sh\necho hi\n";    /* 18 bytes */
	struct entry e;
	size_t off = 0;

	ck_assert_int_eq(initramfs_add_dir(&ir, "dev", 0755), 0);
	ck_assert_int_eq(initramfs_add_chardev(&ir, "dev/console", 0600, 5, 1), 0);
	ck_assert_int_eq(initramfs_add_dir(&ir, "bin", 0755), 0);
	ck_assert_int_eq(initramfs_add_file(&ir, "init", 0755, script, strlen(script)), 0);
	ck_assert_int_eq(initramfs_add_symlink(&ir, "bin/sh", "busybox"), 0);
	ck_assert_int_eq(initramfs_add_file(&ir, "empty", 0644, NULL, 0), 0);
	ck_assert_int_eq(initramfs_finish(&ir), 0);
	ck_assert_uint_eq(ir.len % 4, 0);

	e = read_entry(ir.buf, ir.len, &off);
	check_common(&e);
	ck_assert_str_eq(e.name, "dev");
	ck_assert_uint_eq(e.ino, 1);
	ck_assert_uint_eq(e.mode, S_IFDIR | 0755);
	ck_assert_uint_eq(e.nlink, 2);
	ck_assert_uint_eq(e.filesize, 0);
	ck_assert_uint_eq(e.rdevmajor, 0);
	ck_assert_uint_eq(e.namesize, 4);
	ck_assert_uint_eq(off, 116);            /* 110 + 4 + 2 padding */

	e = read_entry(ir.buf, ir.len, &off);
	check_common(&e);
	ck_assert_str_eq(e.name, "dev/console");
	ck_assert_uint_eq(e.ino, 2);
	ck_assert_uint_eq(e.mode, S_IFCHR | 0600);
	ck_assert_uint_eq(e.nlink, 1);
	ck_assert_uint_eq(e.filesize, 0);
	ck_assert_uint_eq(e.rdevmajor, 5);
	ck_assert_uint_eq(e.rdevminor, 1);

	e = read_entry(ir.buf, ir.len, &off);
	check_common(&e);
	ck_assert_str_eq(e.name, "bin");
	ck_assert_uint_eq(e.ino, 3);

	e = read_entry(ir.buf, ir.len, &off);
	check_common(&e);
	ck_assert_str_eq(e.name, "init");
	ck_assert_uint_eq(e.ino, 4);
	ck_assert_uint_eq(e.mode, S_IFREG | 0755);
	ck_assert_uint_eq(e.nlink, 1);
	ck_assert_uint_eq(e.filesize, 18);
	ck_assert(!memcmp(e.data, script, 18));
	ck_assert_uint_eq(e.rdevmajor, 0);
	ck_assert_uint_eq(e.rdevminor, 0);

	e = read_entry(ir.buf, ir.len, &off);
	check_common(&e);
	ck_assert_str_eq(e.name, "bin/sh");
	ck_assert_uint_eq(e.mode, S_IFLNK | 0777);
	ck_assert_uint_eq(e.filesize, 7);
	ck_assert(!memcmp(e.data, "busybox", 7));

	e = read_entry(ir.buf, ir.len, &off);
	ck_assert_str_eq(e.name, "empty");
	ck_assert_uint_eq(e.mode, S_IFREG | 0644);
	ck_assert_uint_eq(e.filesize, 0);
	ck_assert_uint_eq(e.ino, 6);

	e = read_entry(ir.buf, ir.len, &off);
	check_common(&e);
	ck_assert_str_eq(e.name, "TRAILER!!!");
	ck_assert_uint_eq(e.ino, 0);
	ck_assert_uint_eq(e.mode, 0);
	ck_assert_uint_eq(e.filesize, 0);
	ck_assert_uint_eq(off, ir.len);
}
END_TEST

/* Data of every length mod 4 after names of every length mod 4: padding
 * is always to 4 and always zeros (the reader checks). */
START_TEST(padding)
{
	static const char names[4][5] = { "a", "ab", "abc", "abcd" };
	uint8_t data[8];
	size_t off = 0;
	int n, d;

	memset(data, 0xee, sizeof(data));
	for (n = 0; n < 4; n++)
		for (d = 0; d < 8; d++) {
			char name[32];

			snprintf(name, sizeof(name), "%s%d", names[n], d);
			ck_assert_int_eq(initramfs_add_file(&ir, name, 0600, data, (size_t)d), 0);
		}
	ck_assert_int_eq(initramfs_finish(&ir), 0);
	for (n = 0; n < 4; n++)
		for (d = 0; d < 8; d++) {
			struct entry e = read_entry(ir.buf, ir.len, &off);

			ck_assert_uint_eq(e.filesize, (unsigned)d);
			ck_assert_uint_eq(e.namesize, (unsigned)n + 3);
		}
	ck_assert_str_eq(read_entry(ir.buf, ir.len, &off).name, "TRAILER!!!");
	ck_assert_uint_eq(off, ir.len);
}
END_TEST

/* A file bigger than the first buffer makes it grow. */
START_TEST(large_file)
{
	size_t len = 3 * 1024 * 1024 + 1, off = 0, i;
	uint8_t *data = malloc(len);
	struct entry e;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(initramfs_add_file(&ir, "big", 0644, data, len), 0);
	ck_assert_int_eq(initramfs_finish(&ir), 0);
	e = read_entry(ir.buf, ir.len, &off);
	ck_assert_uint_eq(e.filesize, len);
	ck_assert(!memcmp(e.data, data, len));
	free(data);
}
END_TEST

START_TEST(names)
{
	static const char *const good[] = {
		"init", "bin/busybox", "lib/modules/6.1.0/kernel/drivers/nvme.ko",
		"a..b", "...", ".hidden", "x/.y", "name with space", "\xc3\xa9t\xc3\xa9",
		"dir/TRAILER!!!",
	};
	static const char *const bad[] = {
		"", "/init", "./init", "../init", "a/../b", "a/..", "a/.", ".", "..",
		"a//b", "a/", "/", "a\nb", "tab\there", "del\x7f", "TRAILER!!!",
	};
	char longname[INITRAMFS_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(initramfs_name_ok(good[i]), "%s refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!initramfs_name_ok(bad[i]), "%s taken", bad[i]);
		ck_assert_int_eq(initramfs_add_dir(&ir, bad[i], 0755), -EINVAL);
		ck_assert_int_eq(initramfs_add_file(&ir, bad[i], 0644, "x", 1), -EINVAL);
		ck_assert_int_eq(initramfs_add_symlink(&ir, bad[i], "x"), -EINVAL);
		ck_assert_int_eq(initramfs_add_chardev(&ir, bad[i], 0600, 5, 1), -EINVAL);
	}
	memset(longname, 'n', sizeof(longname));
	longname[INITRAMFS_NAME_MAX] = '\0';
	ck_assert(initramfs_name_ok(longname));
	longname[INITRAMFS_NAME_MAX] = 'n';
	longname[INITRAMFS_NAME_MAX + 1] = '\0';
	ck_assert(!initramfs_name_ok(longname));
	ck_assert_uint_eq(ir.len, 0);           /* nothing refused was written */
}
END_TEST

START_TEST(refusals)
{
	ck_assert_int_eq(initramfs_add_dir(&ir, "d", 040755), -EINVAL);
	ck_assert_int_eq(initramfs_add_file(&ir, "f", 0100644, "x", 1), -EINVAL);
	ck_assert_int_eq(initramfs_add_symlink(&ir, "l", ""), -EINVAL);
	ck_assert_uint_eq(ir.len, 0);
	ck_assert_int_eq(initramfs_add_file(&ir, "f", 04755, "x", 1), 0);   /* setuid ok */
	ck_assert_int_eq(initramfs_finish(&ir), 0);
	ck_assert_int_eq(initramfs_finish(&ir), -EINVAL);
	ck_assert_int_eq(initramfs_add_dir(&ir, "late", 0755), -EINVAL);
}
END_TEST

/* The same entries give the same bytes. */
START_TEST(reproducible)
{
	struct initramfs b;

	initramfs_init(&b);
	ck_assert_int_eq(initramfs_add_dir(&ir, "bin", 0755), 0);
	ck_assert_int_eq(initramfs_add_dir(&b, "bin", 0755), 0);
	ck_assert_int_eq(initramfs_add_file(&ir, "bin/x", 0755, "abc", 3), 0);
	ck_assert_int_eq(initramfs_add_file(&b, "bin/x", 0755, "abc", 3), 0);
	ck_assert_int_eq(initramfs_finish(&ir), 0);
	ck_assert_int_eq(initramfs_finish(&b), 0);
	ck_assert_uint_eq(ir.len, b.len);
	ck_assert(!memcmp(ir.buf, b.buf, ir.len));
	initramfs_free(&b);
}
END_TEST

/* cpio(1) lists what was written, in order, with the modes and link. */
START_TEST(real_cpio)
{
	char path[] = "/tmp/conduit-initramfs-XXXXXX";
	char cmd[128], out[1024];
	size_t n;
	FILE *f;
	int fd;

	ck_assert_int_eq(initramfs_add_dir(&ir, "dev", 0755), 0);
	ck_assert_int_eq(initramfs_add_chardev(&ir, "dev/console", 0600, 5, 1), 0);
	ck_assert_int_eq(initramfs_add_dir(&ir, "bin", 0755), 0);
	ck_assert_int_eq(initramfs_add_file(&ir, "bin/busybox", 0755, "\x7f" "ELF", 4), 0);
	ck_assert_int_eq(initramfs_add_symlink(&ir, "bin/sh", "busybox"), 0);
	ck_assert_int_eq(initramfs_add_file(&ir, "init", 0755, "#!/bin/sh\n", 10), 0);
	ck_assert_int_eq(initramfs_finish(&ir), 0);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, ir.buf, ir.len), (ssize_t)ir.len);
	close(fd);

	snprintf(cmd, sizeof(cmd), "cpio -it --quiet < %s 2>&1", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_str_eq(out, "dev\ndev/console\nbin\nbin/busybox\nbin/sh\ninit\n");

	snprintf(cmd, sizeof(cmd), "cpio -itv --quiet < %s 2>&1 | cut -c1-10", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	unlink(path);
	ck_assert_str_eq(out, "drwxr-xr-x\ncrw-------\ndrwxr-xr-x\n-rwxr-xr-x\n"
			      "lrwxrwxrwx\n-rwxr-xr-x\n");
}
END_TEST

Suite *initramfs_suite(void)
{
	Suite *s = suite_create("initramfs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_kind);
	tcase_add_test(tc, padding);
	tcase_add_test(tc, large_file);
	tcase_add_test(tc, names);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, reproducible);
	tcase_add_test(tc, real_cpio);
	suite_add_tcase(s, tc);
	return s;
}
