/* The fake host tree for vfio/host/'s unit tests (see fake_sysfs.h). */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fake_sysfs.h"

static void vpath(const struct fake_sysfs *t, char *buf, size_t len, const char *fmt,
		  va_list ap)
{
	size_t n = (size_t)snprintf(buf, len, "%s/", t->root);

	ck_assert_uint_lt(n, len);
	ck_assert_uint_lt((size_t)vsnprintf(buf + n, len - n, fmt, ap), len - n);
}

void fake_sysfs_path(const struct fake_sysfs *t, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpath(t, buf, len, fmt, ap);
	va_end(ap);
}

/* In a variadic function taking (t, ..., fmt, ...): char path[] declared
 * and holding ROOT/fmt... */
#define ROOTED_PATH(path, t, fmt)                                           \
	char path[PATH_MAX];                                                \
	do {                                                                \
		va_list ap_;                                                \
		va_start(ap_, fmt);                                         \
		vpath(t, path, sizeof(path), fmt, ap_);                     \
		va_end(ap_);                                                \
	} while (0)

static void mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
}

/* mkdir -p of path's directory. */
static void mkparent(const char *path)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdirs(dir);
	}
}

void fake_sysfs_mkdir(const struct fake_sysfs *t, const char *fmt, ...)
{
	ROOTED_PATH(path, t, fmt);
	mkdirs(path);
}

void fake_sysfs_put_at(const char *path, const char *text)
{
	FILE *f;

	mkparent(path);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

void fake_sysfs_put(const struct fake_sysfs *t, const char *text, const char *fmt, ...)
{
	ROOTED_PATH(path, t, fmt);
	fake_sysfs_put_at(path, text);
}

void fake_sysfs_link(const struct fake_sysfs *t, const char *target, const char *fmt, ...)
{
	ROOTED_PATH(path, t, fmt);
	mkparent(path);
	unlink(path);
	ck_assert_msg(symlink(target, path) == 0, "symlink %s", path);
}

void fake_sysfs_read(const struct fake_sysfs *t, char *buf, size_t len, const char *fmt, ...)
{
	ROOTED_PATH(path, t, fmt);
	fake_sysfs_read_at(path, buf, len);
}

void fake_sysfs_read_at(const char *path, char *buf, size_t len)
{
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

void fake_sysfs_create(struct fake_sysfs *t, const char *parent)
{
	memset(t, 0, sizeof(*t));
	ck_assert_uint_lt((size_t)snprintf(t->root, sizeof(t->root), "%s/conduit-tree-XXXXXX", parent),
			  sizeof(t->root));
	ck_assert_ptr_nonnull(mkdtemp(t->root));
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->root);
	snprintf(t->mod, sizeof(t->mod), "%s/modules", t->root);
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->root);
	snprintf(t->run, sizeof(t->run), "%s/run", t->root);
	fake_sysfs_mkdir(t, "sys");
	fake_sysfs_mkdir(t, "modules");
	fake_sysfs_mkdir(t, "dev/vfio");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void fake_sysfs_remove_dir(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fake_sysfs_remove(struct fake_sysfs *t)
{
	fake_sysfs_remove_dir(t->root);
	t->root[0] = '\0';
}

void fake_sysfs_add_driver(const struct fake_sysfs *t, const char *name, const char *module)
{
	char dir[PATH_MAX], mod[PATH_MAX];

	fake_sysfs_put(t, "", "sys/bus/pci/drivers/%s/bind", name);
	fake_sysfs_put(t, "", "sys/bus/pci/drivers/%s/unbind", name);
	if (!module)
		return;
	fake_sysfs_path(t, dir, sizeof(dir), "sys/bus/pci/drivers/%s", name);
	fake_sysfs_path(t, mod, sizeof(mod), "sys/module/%s", module);
	fake_sysfs_link(t, dir, "sys/module/%s/drivers/pci:%s", module, name);
	fake_sysfs_link(t, mod, "sys/bus/pci/drivers/%s/module", name);
}

void fake_sysfs_add_device(const struct fake_sysfs *t, const struct fake_sysfs_dev *d)
{
	static const char *const attr[] = { "vendor", "device", "subsystem_vendor",
					    "subsystem_device" };
	const unsigned v[] = { d->vendor, d->device, d->sub_vendor, d->sub_device };
	char dir[PATH_MAX], val[64];
	int i;

	fake_sysfs_mkdir(t, "sys/bus/pci/devices/%s", d->bdf);
	for (i = 0; i < 4; i++) {
		snprintf(val, sizeof(val), "0x%04x\n", v[i]);
		fake_sysfs_put(t, val, "sys/bus/pci/devices/%s/%s", d->bdf, attr[i]);
	}
	snprintf(val, sizeof(val), "0x%06x\n", d->class_code);
	fake_sysfs_put(t, val, "sys/bus/pci/devices/%s/class", d->bdf);
	fake_sysfs_put(t, "(null)\n", "sys/bus/pci/devices/%s/driver_override", d->bdf);
	if (d->driver) {
		snprintf(val, sizeof(val), "../../drivers/%s", d->driver);
		fake_sysfs_link(t, val, "sys/bus/pci/devices/%s/driver", d->bdf);
	}
	if (d->cdev)
		fake_sysfs_mkdir(t, "sys/bus/pci/devices/%s/vfio-dev/%s", d->bdf, d->cdev);
	if (d->group < 0)
		return;
	fake_sysfs_path(t, dir, sizeof(dir), "sys/bus/pci/devices/%s", d->bdf);
	fake_sysfs_link(t, dir, "sys/kernel/iommu_groups/%d/devices/%s", d->group, d->bdf);
	snprintf(val, sizeof(val), "../../../kernel/iommu_groups/%d", d->group);
	fake_sysfs_link(t, val, "sys/bus/pci/devices/%s/iommu_group", d->bdf);
}

void fake_sysfs_add_mdev(const struct fake_sysfs *t, const char *uuid, int group,
			 const char *cdev)
{
	char val[64];

	fake_sysfs_mkdir(t, "sys/bus/mdev/devices/%s", uuid);
	if (cdev)
		fake_sysfs_mkdir(t, "sys/bus/mdev/devices/%s/vfio-dev/%s", uuid, cdev);
	if (group < 0)
		return;
	fake_sysfs_mkdir(t, "sys/kernel/iommu_groups/%d", group);
	snprintf(val, sizeof(val), "../../../../kernel/iommu_groups/%d", group);
	fake_sysfs_link(t, val, "sys/bus/mdev/devices/%s/iommu_group", uuid);
}

void fake_sysfs_add_group_node(const struct fake_sysfs *t, int group)
{
	fake_sysfs_put(t, "", "dev/vfio/%d", group);
}

void fake_sysfs_set_aliases(const struct fake_sysfs *t, const char *text)
{
	fake_sysfs_put(t, text, "modules/modules.alias");
}
