/* The in-memory initramfs: newc cpio entries appended to a growable buffer,
 * each header and name padded to 4 bytes, then the data padded to 4. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "initramfs.h"

#define PERM_MASK 07777U

void initramfs_init(struct initramfs *ir)
{
	memset(ir, 0, sizeof(*ir));
	ir->next_ino = 1;
}

void initramfs_free(struct initramfs *ir)
{
	free(ir->buf);
	initramfs_init(ir);
}

static bool component_ok(const char *c, size_t len)
{
	if (len == 0)
		return false;
	if (len == 1 && c[0] == '.')
		return false;
	return !(len == 2 && c[0] == '.' && c[1] == '.');
}

bool initramfs_name_ok(const char *name)
{
	size_t len = strnlen(name, INITRAMFS_NAME_MAX + 1);
	const char *start = name, *p;

	if (len == 0 || len > INITRAMFS_NAME_MAX || !strcmp(name, INITRAMFS_TRAILER))
		return false;
	for (p = name; ; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '/' || ch == '\0') {
			if (!component_ok(start, (size_t)(p - start)))
				return false;
			if (ch == '\0')
				return true;
			start = p + 1;
		} else if (ch < 0x20 || ch == 0x7f) {
			return false;
		}
	}
}

static int reserve(struct initramfs *ir, size_t more)
{
	size_t cap = ir->cap ? ir->cap : 4096;
	uint8_t *buf;

	if (more > SIZE_MAX - ir->len)
		return -ENOMEM;
	while (cap < ir->len + more) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	if (cap == ir->cap)
		return 0;
	buf = realloc(ir->buf, cap);
	if (!buf)
		return -ENOMEM;
	ir->buf = buf;
	ir->cap = cap;
	return 0;
}

static void put(struct initramfs *ir, const void *p, size_t n)
{
	memcpy(ir->buf + ir->len, p, n);
	ir->len += n;
}

static void pad4(struct initramfs *ir)
{
	while (ir->len & 3)
		ir->buf[ir->len++] = 0;
}

static size_t padded(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* One entry: header, name and NUL, padding, data, padding. */
static int add_entry(struct initramfs *ir, const char *name, uint32_t mode,
		     const void *data, size_t len, unsigned rmaj, unsigned rmin)
{
	char hdr[INITRAMFS_HDR_LEN + 1];
	size_t namesize = strlen(name) + 1;
	uint32_t nlink = S_ISDIR(mode) ? 2 : 1;
	uint32_t ino = mode ? ir->next_ino : 0;        /* the trailer: 0 */
	int ret;

	if (ir->finished)
		return -EINVAL;
	if (len > UINT32_MAX)
		return -EFBIG;
	ret = reserve(ir, padded(INITRAMFS_HDR_LEN + namesize) + padded(len));
	if (ret)
		return ret;
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ino, mode, 0U, 0U, nlink, 0U, (unsigned)len, 0U, 0U, rmaj, rmin,
		 (unsigned)namesize, 0U);
	put(ir, hdr, INITRAMFS_HDR_LEN);
	put(ir, name, namesize);
	pad4(ir);
	if (len)
		put(ir, data, len);
	pad4(ir);
	if (ino)
		ir->next_ino++;
	return 0;
}

static int check(const struct initramfs *ir, const char *name, unsigned mode)
{
	if (ir->finished || (mode & ~PERM_MASK) || !initramfs_name_ok(name))
		return -EINVAL;
	return 0;
}

int initramfs_add_dir(struct initramfs *ir, const char *name, unsigned mode)
{
	int ret = check(ir, name, mode);

	return ret ? ret : add_entry(ir, name, S_IFDIR | mode, NULL, 0, 0, 0);
}

int initramfs_add_file(struct initramfs *ir, const char *name, unsigned mode,
		       const void *data, size_t len)
{
	int ret = check(ir, name, mode);

	return ret ? ret : add_entry(ir, name, S_IFREG | mode, data, len, 0, 0);
}

int initramfs_add_symlink(struct initramfs *ir, const char *name, const char *target)
{
	size_t len = strnlen(target, INITRAMFS_NAME_MAX + 1);
	int ret = check(ir, name, 0777);

	if (ret)
		return ret;
	if (len == 0 || len > INITRAMFS_NAME_MAX)
		return -EINVAL;
	return add_entry(ir, name, S_IFLNK | 0777, target, len, 0, 0);
}

int initramfs_add_chardev(struct initramfs *ir, const char *name, unsigned mode,
			  unsigned major, unsigned minor)
{
	int ret = check(ir, name, mode);

	return ret ? ret : add_entry(ir, name, S_IFCHR | mode, NULL, 0, major, minor);
}

int initramfs_finish(struct initramfs *ir)
{
	int ret;

	if (ir->finished)
		return -EINVAL;
	ret = add_entry(ir, INITRAMFS_TRAILER, 0, NULL, 0, 0, 0);
	if (!ret)
		ir->finished = true;
	return ret;
}
