/* The host's PCI devices as sysfs shows them: where sysfs, /dev and the
 * state directory are (tests move them), the small file helpers the other
 * vfio/host/ files share, and the device queries: existence, ids, class,
 * driver, IOMMU group, the device list and the bridge classes. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../vmm/log.h"
#include "host_pci_internal.h"

static char sysfs_root[PATH_MAX] = "/sys";
static char dev_dir[PATH_MAX] = "/dev";
static char state_dir[PATH_MAX] = "/run/conduit";

/* ---- where things are ---- */

static void set_dir(char *dst, const char *src, const char *def)
{
	snprintf(dst, PATH_MAX, "%s", src ? src : def);
}

void host_pci_set_root(const char *sysfs, const char *modules)
{
	set_dir(sysfs_root, sysfs, "/sys");
	host_pci_set_modules_dir(modules);
}

void host_pci_set_dirs(const char *dev, const char *state)
{
	set_dir(dev_dir, dev, "/dev");
	set_dir(state_dir, state, "/run/conduit");
}

const char *host_pci_sysfs_root(void)
{
	return sysfs_root;
}

const char *host_pci_dev_dir(void)
{
	return dev_dir;
}

const char *host_pci_state_dir(void)
{
	return state_dir;
}

/* snprintf into a path buffer; -1 with ENAMETOOLONG when it does not fit. */
int __attribute__((format(printf, 3, 4)))
host_pci_path_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* ROOT/bus/pci/devices/BDF/attr ("" for the directory itself). */
int host_pci_dev_path(char *out, size_t len, const struct pci_addr *a, const char *attr)
{
	char bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	return host_pci_path_fmt(out, len, "%s/bus/pci/devices/%s/%s", sysfs_root, bdf, attr);
}

/* ---- small file helpers ---- */

/* Read a small text file, without the trailing newline. */
int host_pci_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

static int read_hex(const char *path, unsigned long *v)
{
	char buf[32], *end;

	if (host_pci_read_text(path, buf, sizeof(buf)))
		return -1;
	errno = 0;
	*v = strtoul(buf, &end, 16);
	if (errno || end == buf || *end) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The last component of a symlink's target. */
int host_pci_link_name(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(out, base);
	return 0;
}

int host_pci_not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

void host_pci_free_dirents(struct dirent **list, int n)
{
	while (n > 0)
		free(list[--n]);
	free(list);
}

/* ---- device queries ---- */

bool host_pci_exists(const struct pci_addr *a)
{
	char path[PATH_MAX];
	struct stat st;

	return host_pci_dev_path(path, sizeof(path), a, "") == 0 &&
	       stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int host_pci_read_dev_hex(const struct pci_addr *a, const char *attr, unsigned long *v)
{
	char path[PATH_MAX];

	if (host_pci_dev_path(path, sizeof(path), a, attr))
		return -1;
	return read_hex(path, v);
}

int host_pci_ids(const struct pci_addr *a, uint16_t *vendor, uint16_t *device)
{
	unsigned long v, d;

	if (host_pci_read_dev_hex(a, "vendor", &v) || host_pci_read_dev_hex(a, "device", &d))
		return -1;
	*vendor = v;
	*device = d;
	return 0;
}

int host_pci_class(const struct pci_addr *a, uint32_t *class_code)
{
	unsigned long c;

	if (host_pci_read_dev_hex(a, "class", &c))
		return -1;
	*class_code = c;
	return 0;
}

int host_pci_driver(const struct pci_addr *a, char *name, size_t len)
{
	char path[PATH_MAX];

	name[0] = '\0';
	if (!host_pci_exists(a)) {
		errno = ENODEV;
		return -1;
	}
	if (host_pci_dev_path(path, sizeof(path), a, "driver"))
		return -1;
	if (host_pci_link_name(path, name, len) && errno != ENOENT)
		return -1;
	return 0;
}

int host_pci_iommu_group(const struct pci_addr *a)
{
	char path[PATH_MAX], name[32], *end;
	long g;

	if (host_pci_dev_path(path, sizeof(path), a, "iommu_group") ||
	    host_pci_link_name(path, name, sizeof(name)))
		return -1;
	g = strtol(name, &end, 10);
	if (end == name || *end || g < 0 || g > 0x7fffffff)
		return -1;
	return (int)g;
}

bool host_pci_iommu_enabled(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	bool any = false;
	DIR *dir;

	if (host_pci_path_fmt(path, sizeof(path), "%s/kernel/iommu_groups", sysfs_root))
		return false;
	dir = opendir(path);
	if (!dir)
		return false;
	while (!any && (d = readdir(dir)))
		any = host_pci_not_dot(d);
	closedir(dir);
	return any;
}

int host_pci_list(struct pci_addr **out, size_t *n)
{
	char path[PATH_MAX], err[160];
	struct dirent **names = NULL;
	struct pci_addr *list;
	int i, count;

	*out = NULL;
	*n = 0;
	if (host_pci_path_fmt(path, sizeof(path), "%s/bus/pci/devices", sysfs_root))
		return -1;
	count = scandir(path, &names, host_pci_not_dot, alphasort);
	if (count < 0)
		return -1;
	list = calloc(count ? count : 1, sizeof(*list));
	if (!list)
		goto out;
	for (i = 0; i < count; i++) {
		if (pci_addr_parse(names[i]->d_name, &list[*n], err, sizeof(err)) == 0)
			(*n)++;
		else
			pr_debug("skipping PCI device %s: %s", names[i]->d_name, err);
	}
	*out = list;
out:
	host_pci_free_dirents(names, count);
	return list ? 0 : -1;
}

bool host_pci_is_bridge(uint32_t class_code)
{
	uint32_t cls = class_code >> 8;

	return cls == 0x0604 || cls == 0x0607 || cls == 0x0609;
}

bool host_pci_is_host_bridge(uint32_t class_code)
{
	return class_code >> 8 == 0x0600;
}
