/* A fake host tree for the unit tests of vfio/host/: owns building and
 * removing a temporary directory laid out as conduit's sysfs code expects
 * (ROOT/sys for /sys, ROOT/modules for /lib/modules/VERSION, ROOT/dev for
 * /dev, ROOT/run for /run): directories, attribute files and symlinks,
 * PCI drivers with their modules, PCI devices (vendor/device/subsystem/
 * class, driver link, iommu_group link, vfio-dev cdev), mdevs, /dev/vfio
 * group nodes and modules.alias. Paths given to its functions are printf
 * formats relative to the tree's root. Failures fail the Check test. */
#ifndef CONDUIT_TESTS_FAKE_SYSFS_H
#define CONDUIT_TESTS_FAKE_SYSFS_H

#include <stddef.h>

#define FAKE_SYSFS_PATH 512

struct fake_sysfs {
	char root[FAKE_SYSFS_PATH - 32];
	char sys[FAKE_SYSFS_PATH], mod[FAKE_SYSFS_PATH], dev[FAKE_SYSFS_PATH],
	     run[FAKE_SYSFS_PATH];
};

struct fake_sysfs_dev {
	const char *bdf;
	unsigned vendor, device, sub_vendor, sub_device, class_code;
	const char *driver;     /* bound now; NULL: none */
	int group;              /* -1: no iommu_group link */
	const char *native;     /* what drivers_probe binds without an override */
	const char *cdev;       /* its vfio-dev/ entry ("vfio3"); NULL: none */
};

/* A new, empty tree in a mkdtemp() directory under parent (its sys/,
 * modules/, dev/vfio/ and run/ subdirectories are made). */
void fake_sysfs_create(struct fake_sysfs *t, const char *parent);
/* Remove everything under dir, dir too (nothing followed through links). */
void fake_sysfs_remove_dir(const char *dir);
void fake_sysfs_remove(struct fake_sysfs *t);

/* ROOT/fmt... as a path in buf. */
void fake_sysfs_path(const struct fake_sysfs *t, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* mkdir -p ROOT/fmt... */
void fake_sysfs_mkdir(const struct fake_sysfs *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* ROOT/fmt... holds text (its directory made first). */
void fake_sysfs_put(const struct fake_sysfs *t, const char *text, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* ROOT/fmt... is a symlink to target (replacing what was there). */
void fake_sysfs_link(const struct fake_sysfs *t, const char *target, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same at an absolute path (one the code under test wrote, say). */
void fake_sysfs_put_at(const char *path, const char *text);
/* What ROOT/fmt... holds, NUL-terminated in buf. */
void fake_sysfs_read(const struct fake_sysfs *t, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void fake_sysfs_read_at(const char *path, char *buf, size_t len);

/* A loaded PCI driver (bind, unbind); module NULL: built in, no
 * /sys/module link. */
void fake_sysfs_add_driver(const struct fake_sysfs *t, const char *name, const char *module);
void fake_sysfs_add_device(const struct fake_sysfs *t, const struct fake_sysfs_dev *d);
/* A mediated device: its iommu_group link (group -1: none) and vfio-dev
 * entry (NULL: none). */
void fake_sysfs_add_mdev(const struct fake_sysfs *t, const char *uuid, int group,
			 const char *cdev);
/* /dev/vfio/GROUP, as vfio makes it for a viable group. */
void fake_sysfs_add_group_node(const struct fake_sysfs *t, int group);
/* ROOT/modules/modules.alias */
void fake_sysfs_set_aliases(const struct fake_sysfs *t, const char *text);

#endif
