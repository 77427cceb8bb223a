/* An initramfs built in memory: an uncompressed newc ("070701") cpio
 * archive, which the kernel unpacks as the guest's root: `conduit exec`'s
 * (boot/exec_rootfs.c).
 *
 * Every entry is owned by uid 0, gid 0, with mtime 0 (the same input gives
 * the same bytes). Modes are permission bits only (07777); the entry's type
 * comes from the function. Parent directories are the caller's to add first:
 * the kernel does not create them.
 *
 * Names: a relative path ("bin/busybox", "dev/console"), 1 to
 * INITRAMFS_NAME_MAX bytes; components separated by single '/', none empty,
 * "." or ".."; no leading or trailing '/'; no control characters (0x01-0x1f,
 * 0x7f); not "TRAILER!!!" (the end of the archive). So no entry can land
 * outside the root or in a surprising place, or end the archive early. */
#ifndef CONDUIT_INITRAMFS_H
#define CONDUIT_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INITRAMFS_NAME_MAX 1024
#define INITRAMFS_HDR_LEN  110          /* "070701" and 13 8-digit hex fields */
#define INITRAMFS_TRAILER  "TRAILER!!!"

struct initramfs {
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint32_t next_ino;
	bool finished;          /* the trailer is written: no more entries */
};

void initramfs_init(struct initramfs *ir);
void initramfs_free(struct initramfs *ir);

/* Whether name follows the rule above. */
bool initramfs_name_ok(const char *name);

/* Each returns 0, -EINVAL (a bad name, mode bits beyond 07777, a symlink
 * target empty or too long, the archive finished), -EFBIG (data of 4 GiB or
 * more) or -ENOMEM. */
int initramfs_add_dir(struct initramfs *ir, const char *name, unsigned mode);
int initramfs_add_file(struct initramfs *ir, const char *name, unsigned mode,
		       const void *data, size_t len);
/* A symlink to target (any non-empty string up to INITRAMFS_NAME_MAX bytes:
 * it is resolved in the guest), mode 0777. */
int initramfs_add_symlink(struct initramfs *ir, const char *name, const char *target);
/* A character device node, e.g. "dev/console", 0600, 5, 1. */
int initramfs_add_chardev(struct initramfs *ir, const char *name, unsigned mode,
			  unsigned major, unsigned minor);
/* Write the TRAILER!!! entry; the archive is then ir->buf, ir->len bytes. */
int initramfs_finish(struct initramfs *ir);

#endif
