/* Host-side PCI through sysfs: parse and print PCI addresses; read a device's
 * ids, class, driver and IOMMU group; list group members and judge whether a
 * group can be handed to userspace; pick vfio-pci or a variant driver from
 * modules.alias; bind and unbind through driver_override and drivers_probe;
 * and word the errors that passthrough reports. All paths hang off
 * configurable roots so the unit tests run on a fake tree. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "../../vmm/log.h"
#include "host_pci.h"

#define BDF_HINT "a PCI address is DDDD:BB:DD.F or BB:DD.F in hex " \
		 "(domain:bus:device.function, device 00-1f, function 0-7), " \
		 "e.g. 0000:03:00.0"

static char sysfs_root[PATH_MAX] = "/sys";
static char modules_dir[PATH_MAX];      /* "" until first use: uname -r */
static char dev_dir[PATH_MAX] = "/dev";
static char state_dir[PATH_MAX] = "/run/conduit";

static int write_sysfs(const char *path, const char *value, char *err, size_t errlen);
static host_pci_writer writer = write_sysfs;

/* modules.alias lines of the form "alias vfio_pci:PATTERN MODULE". */
struct vfio_alias {
	char pattern[256];
	char module[HOST_PCI_NAME_LEN];
	int wildcards;
};

static struct vfio_alias *aliases;
static size_t n_aliases;
static bool aliases_loaded;

/* ---- where things are ---- */

static void set_dir(char *dst, const char *src, const char *def)
{
	snprintf(dst, PATH_MAX, "%s", src ? src : def);
}

static void forget_aliases(void)
{
	free(aliases);
	aliases = NULL;
	n_aliases = 0;
	aliases_loaded = false;
}

void host_pci_set_root(const char *sysfs, const char *modules)
{
	set_dir(sysfs_root, sysfs, "/sys");
	set_dir(modules_dir, modules, "");
	forget_aliases();
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

void host_pci_set_writer(host_pci_writer fn)
{
	writer = fn ? fn : write_sysfs;
}

static const char *get_modules_dir(void)
{
	struct utsname u;

	if (!modules_dir[0] && uname(&u) == 0)
		snprintf(modules_dir, sizeof(modules_dir), "/lib/modules/%s", u.release);
	return modules_dir;
}

/* snprintf into a path buffer; -1 with ENAMETOOLONG when it does not fit. */
static int __attribute__((format(printf, 3, 4)))
path_fmt(char *out, size_t len, const char *fmt, ...)
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
static int dev_path(char *out, size_t len, const struct pci_addr *a, const char *attr)
{
	char bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	return path_fmt(out, len, "%s/bus/pci/devices/%s/%s", sysfs_root, bdf, attr);
}

/* ---- small file helpers ---- */

/* Read a small text file, without the trailing newline. */
static int read_text(const char *path, char *buf, size_t len)
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

	if (read_text(path, buf, sizeof(buf)))
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
static int link_name(const char *path, char *out, size_t len)
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

static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void free_dirents(struct dirent **list, int n)
{
	while (n > 0)
		free(list[--n]);
	free(list);
}

/* Module and driver names treat '-' and '_' alike. */
static void normalize(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = src[i] == '-' ? '_' : src[i];
	dst[i] = '\0';
}

static bool same_name(const char *x, const char *y)
{
	char nx[HOST_PCI_NAME_LEN], ny[HOST_PCI_NAME_LEN];

	normalize(nx, x, sizeof(nx));
	normalize(ny, y, sizeof(ny));
	return strcmp(nx, ny) == 0;
}

/* ---- PCI addresses ---- */

static bool hex_digits(const char **p, int n, unsigned *v)
{
	*v = 0;
	while (n--) {
		int c = (unsigned char)**p;

		if (!isxdigit(c))
			return false;
		*v = *v * 16 + (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
		(*p)++;
	}
	return true;
}

int pci_addr_parse(const char *s, struct pci_addr *a, char *err, size_t errlen)
{
	unsigned dom = 0, bus, dev, fn;
	const char *p = s;
	size_t len;

	if (!s || !*s) {
		snprintf(err, errlen, "no PCI address given: %s", BDF_HINT);
		return -1;
	}
	len = strlen(s);
	if (len == 12) {
		if (!hex_digits(&p, 4, &dom) || *p++ != ':')
			goto bad;
	} else if (len != 7) {
		goto bad;
	}
	if (!hex_digits(&p, 2, &bus) || *p++ != ':' ||
	    !hex_digits(&p, 2, &dev) || *p++ != '.' ||
	    !hex_digits(&p, 1, &fn) || *p)
		goto bad;
	if (dev > 0x1f) {
		snprintf(err, errlen, "'%s': device %02x is out of range: %s", s, dev, BDF_HINT);
		return -1;
	}
	if (fn > 7) {
		snprintf(err, errlen, "'%s': function %x is out of range: %s", s, fn, BDF_HINT);
		return -1;
	}
	a->domain = dom;
	a->bus = bus;
	a->dev = dev;
	a->fn = fn;
	return 0;
bad:
	snprintf(err, errlen, "'%.40s' is not a PCI address: %s", s, BDF_HINT);
	return -1;
}

void pci_addr_format(const struct pci_addr *a, char out[PCI_ADDR_STRLEN])
{
	snprintf(out, PCI_ADDR_STRLEN, "%04x:%02x:%02x.%x",
		 a->domain, a->bus, a->dev & 0x1f, a->fn & 7);
}

bool pci_addr_equal(const struct pci_addr *x, const struct pci_addr *y)
{
	return x->domain == y->domain && x->bus == y->bus &&
	       x->dev == y->dev && x->fn == y->fn;
}

/* ---- device queries ---- */

bool host_pci_exists(const struct pci_addr *a)
{
	char path[PATH_MAX];
	struct stat st;

	return dev_path(path, sizeof(path), a, "") == 0 &&
	       stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int read_dev_hex(const struct pci_addr *a, const char *attr, unsigned long *v)
{
	char path[PATH_MAX];

	if (dev_path(path, sizeof(path), a, attr))
		return -1;
	return read_hex(path, v);
}

int host_pci_ids(const struct pci_addr *a, uint16_t *vendor, uint16_t *device)
{
	unsigned long v, d;

	if (read_dev_hex(a, "vendor", &v) || read_dev_hex(a, "device", &d))
		return -1;
	*vendor = v;
	*device = d;
	return 0;
}

int host_pci_class(const struct pci_addr *a, uint32_t *class_code)
{
	unsigned long c;

	if (read_dev_hex(a, "class", &c))
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
	if (dev_path(path, sizeof(path), a, "driver"))
		return -1;
	if (link_name(path, name, len) && errno != ENOENT)
		return -1;
	return 0;
}

int host_pci_iommu_group(const struct pci_addr *a)
{
	char path[PATH_MAX], name[32], *end;
	long g;

	if (dev_path(path, sizeof(path), a, "iommu_group") ||
	    link_name(path, name, sizeof(name)))
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

	if (path_fmt(path, sizeof(path), "%s/kernel/iommu_groups", sysfs_root))
		return false;
	dir = opendir(path);
	if (!dir)
		return false;
	while (!any && (d = readdir(dir)))
		any = not_dot(d);
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
	if (path_fmt(path, sizeof(path), "%s/bus/pci/devices", sysfs_root))
		return -1;
	count = scandir(path, &names, not_dot, alphasort);
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
	free_dirents(names, count);
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

/* ---- modules.alias and driver names ---- */

static int count_wildcards(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '*';
	return n;
}

static int add_alias(const char *pattern, const char *module)
{
	struct vfio_alias *grown, *al;

	grown = realloc(aliases, (n_aliases + 1) * sizeof(*aliases));
	if (!grown)
		return -1;
	aliases = grown;
	al = &aliases[n_aliases++];
	snprintf(al->pattern, sizeof(al->pattern), "%s", pattern);
	snprintf(al->module, sizeof(al->module), "%s", module);
	al->wildcards = count_wildcards(pattern);
	return 0;
}

/* Read the "vfio_pci:" aliases once; a missing file means there are none. */
static void load_aliases(void)
{
	char path[PATH_MAX], pattern[256], module[HOST_PCI_NAME_LEN];
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	if (aliases_loaded)
		return;
	aliases_loaded = true;
	if (path_fmt(path, sizeof(path), "%s/modules.alias", get_modules_dir()))
		return;
	f = fopen(path, "re");
	if (!f) {
		pr_debug("%s: %s; using vfio-pci for every device", path, strerror(errno));
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "alias vfio_pci:", 15))
			continue;
		if (sscanf(line, "alias %255s %63s", pattern, module) != 2)
			continue;
		if (add_alias(pattern, module))
			break;
	}
	free(line);
	fclose(f);
}

/* The device's modalias in the vfio_pci namespace, as modules.alias spells
 * it: vfio_pci:vVVVVVVVVdDDDDDDDDsvSSSSSSSSsdSSSSSSSSbcBBscSSiII. */
static int vfio_modalias(const struct pci_addr *a, char *out, size_t len)
{
	unsigned long ven, dev, sven = 0, sdev = 0, cls;

	if (read_dev_hex(a, "vendor", &ven) || read_dev_hex(a, "device", &dev) ||
	    read_dev_hex(a, "class", &cls))
		return -1;
	read_dev_hex(a, "subsystem_vendor", &sven);
	read_dev_hex(a, "subsystem_device", &sdev);
	return path_fmt(out, len, "vfio_pci:v%08lXd%08lXsv%08lXsd%08lXbc%02lXsc%02lXi%02lX",
			ven, dev, sven, sdev, (cls >> 16) & 0xff, (cls >> 8) & 0xff, cls & 0xff);
}

int host_pci_choose_vfio_module(const struct pci_addr *a, char *module, size_t len)
{
	const struct vfio_alias *best = NULL;
	char modalias[128];
	size_t i;

	snprintf(module, len, "vfio_pci");
	load_aliases();
	if (vfio_modalias(a, modalias, sizeof(modalias)))
		return -1;
	for (i = 0; i < n_aliases; i++) {
		if (fnmatch(aliases[i].pattern, modalias, FNM_CASEFOLD))
			continue;
		if (!best || aliases[i].wildcards < best->wildcards)
			best = &aliases[i];
	}
	if (!best)
		return -1;
	snprintf(module, len, "%s", best->module);
	return best->wildcards;
}

/* A loaded module lists its drivers as /sys/module/M/drivers/pci:NAME. */
static int driver_of_module_dir(const char *module, char *driver, size_t len)
{
	char path[PATH_MAX], mod[HOST_PCI_NAME_LEN];
	struct dirent *d;
	int ret = -1;
	DIR *dir;

	normalize(mod, module, sizeof(mod));
	if (path_fmt(path, sizeof(path), "%s/module/%s/drivers", sysfs_root, mod))
		return -1;
	dir = opendir(path);
	if (!dir)
		return -1;
	while (ret && (d = readdir(dir))) {
		if (strncmp(d->d_name, "pci:", 4) || strlen(d->d_name + 4) >= len)
			continue;
		strcpy(driver, d->d_name + 4);
		ret = 0;
	}
	closedir(dir);
	return ret;
}

/* Otherwise, a PCI driver whose name is the module's, '-' and '_' alike. */
static int driver_of_same_name(const char *module, char *driver, size_t len)
{
	char path[PATH_MAX];
	struct dirent *d;
	int ret = -1;
	DIR *dir;

	if (path_fmt(path, sizeof(path), "%s/bus/pci/drivers", sysfs_root))
		return -1;
	dir = opendir(path);
	if (!dir)
		return -1;
	while (ret && (d = readdir(dir))) {
		if (!not_dot(d) || !same_name(d->d_name, module) || strlen(d->d_name) >= len)
			continue;
		strcpy(driver, d->d_name);
		ret = 0;
	}
	closedir(dir);
	return ret;
}

int host_pci_module_driver(const char *module, char *driver, size_t len)
{
	if (driver_of_module_dir(module, driver, len) == 0 ||
	    driver_of_same_name(module, driver, len) == 0)
		return 0;
	errno = ENOENT;
	return -1;
}

static bool is_vfio_module(const char *module)
{
	size_t i;

	load_aliases();
	for (i = 0; i < n_aliases; i++)
		if (same_name(aliases[i].module, module))
			return true;
	return false;
}

bool host_pci_driver_is_vfio(const char *driver)
{
	char norm[HOST_PCI_NAME_LEN], path[PATH_MAX], module[HOST_PCI_NAME_LEN];
	size_t len;

	if (!driver || !driver[0])
		return false;
	normalize(norm, driver, sizeof(norm));
	len = strlen(norm);
	if (!strcmp(norm, "vfio_pci") ||
	    (len > 9 && !strcmp(norm + len - 9, "_vfio_pci")))
		return true;
	if (path_fmt(path, sizeof(path), "%s/bus/pci/drivers/%s/module", sysfs_root, driver) ||
	    link_name(path, module, sizeof(module)))
		return false;
	return is_vfio_module(module);
}

/* ---- IOMMU groups ---- */

static int read_member(const char *dir, const char *name, struct host_pci_member *m)
{
	char path[PATH_MAX], err[160];

	memset(m, 0, sizeof(*m));
	memcpy(m->name, name, strnlen(name, sizeof(m->name) - 1));
	m->pci = pci_addr_parse(name, &m->addr, err, sizeof(err)) == 0;
	if (path_fmt(path, sizeof(path), "%s/%s/driver", dir, name))
		return -1;
	if (link_name(path, m->driver, sizeof(m->driver)) && errno != ENOENT)
		return -1;
	return 0;
}

int host_pci_group_members(int group, struct host_pci_member **out, size_t *n)
{
	struct dirent **names = NULL;
	struct host_pci_member *list;
	char dir[PATH_MAX];
	int i, count;

	*out = NULL;
	*n = 0;
	if (path_fmt(dir, sizeof(dir), "%s/kernel/iommu_groups/%d/devices", sysfs_root, group))
		return -1;
	count = scandir(dir, &names, not_dot, alphasort);
	if (count < 0)
		return -1;
	list = calloc(count ? count : 1, sizeof(*list));
	if (!list)
		goto out;
	for (i = 0; i < count; i++) {
		if (read_member(dir, names[i]->d_name, &list[i])) {
			free(list);
			list = NULL;
			goto out;
		}
	}
	*out = list;
	*n = count;
out:
	free_dirents(names, count);
	return list ? 0 : -1;
}

bool host_pci_member_ok(const struct host_pci_member *m)
{
	return !m->driver[0] || host_pci_driver_is_vfio(m->driver) ||
	       !strcmp(m->driver, "pci-stub") || !strcmp(m->driver, "pcieport");
}

static bool is_self(const struct host_pci_member *m, const struct pci_addr *a)
{
	return a && m->pci && pci_addr_equal(&m->addr, a);
}

int host_pci_group_viable(int group, const struct pci_addr *except)
{
	struct host_pci_member *m;
	size_t i, n;
	int viable = 1;

	if (host_pci_group_members(group, &m, &n))
		return -1;
	for (i = 0; i < n; i++)
		if (!is_self(&m[i], except) && !host_pci_member_ok(&m[i]))
			viable = 0;
	free(m);
	return viable;
}

int host_pci_vfio_dev_access(int group)
{
	char path[PATH_MAX];

	if (path_fmt(path, sizeof(path), "%s/vfio/%d", dev_dir, group))
		return -ENAMETOOLONG;
	if (access(path, R_OK | W_OK))
		return -errno;
	return 0;
}

/* Append to a message buffer; never overflows, keeps it NUL-terminated. */
static void __attribute__((format(printf, 3, 4)))
append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static const char *driver_or_none(const char *driver)
{
	return driver[0] ? driver : "no driver";
}

/* "0000:00:1f.2 (ahci), 0000:00:1f.3 (no driver)" for the members other
 * than a; only those that block the group when blockers_only. */
static int describe_members(const struct host_pci_member *m, size_t n,
			    const struct pci_addr *a, bool blockers_only,
			    char *buf, size_t len)
{
	int count = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (is_self(&m[i], a) || (blockers_only && host_pci_member_ok(&m[i])))
			continue;
		append(buf, len, "%s%s (%s)", count ? ", " : "", m[i].name,
		       driver_or_none(m[i].driver));
		count++;
	}
	return count;
}

/* For a bindable device whose vfio driver is not loaded: what to load. */
static void bindable_hint(const struct pci_addr *a, char *why, size_t whylen)
{
	char module[HOST_PCI_NAME_LEN], driver[HOST_PCI_NAME_LEN];

	host_pci_choose_vfio_module(a, module, sizeof(module));
	if (host_pci_module_driver(module, driver, sizeof(driver)))
		snprintf(why, whylen, "after 'modprobe %s'", module);
}

enum host_pci_verdict host_pci_verdict(const struct pci_addr *a, char *why, size_t whylen)
{
	char drv[HOST_PCI_NAME_LEN], blockers[512];
	struct host_pci_member *m;
	uint32_t cls;
	size_t n;
	int group, nblock, acc;

	why[0] = '\0';
	if (!host_pci_exists(a)) {
		snprintf(why, whylen, "no such device");
		return HOST_PCI_NO;
	}
	if (host_pci_class(a, &cls) == 0 &&
	    (host_pci_is_bridge(cls) || host_pci_is_host_bridge(cls))) {
		snprintf(why, whylen, "it is %s", host_pci_is_bridge(cls) ?
			 "a PCI bridge" : "the host bridge");
		return HOST_PCI_NO;
	}
	group = host_pci_iommu_group(a);
	if (group < 0) {
		snprintf(why, whylen, "no IOMMU group (the IOMMU is off)");
		return HOST_PCI_NO;
	}
	if (host_pci_group_members(group, &m, &n)) {
		snprintf(why, whylen, "cannot read IOMMU group %d: %s", group, strerror(errno));
		return HOST_PCI_NO;
	}
	nblock = describe_members(m, n, a, true, blockers, sizeof(blockers));
	free(m);
	if (nblock) {
		snprintf(why, whylen, "IOMMU group %d is shared with devices on host "
			 "drivers: %s", group, blockers);
		return HOST_PCI_NO;
	}
	host_pci_driver(a, drv, sizeof(drv));
	if (!host_pci_driver_is_vfio(drv)) {
		bindable_hint(a, why, whylen);
		return HOST_PCI_BINDABLE;
	}
	acc = host_pci_vfio_dev_access(group);
	if (acc) {
		snprintf(why, whylen, "%s/vfio/%d: %s", dev_dir, group, strerror(-acc));
		return HOST_PCI_NO;
	}
	return HOST_PCI_READY;
}

/* ---- messages ---- */

char *host_pci_msg_no_iommu_group(const struct pci_addr *a, char *buf, size_t len)
{
	char bdf[PCI_ADDR_STRLEN];

	buf[0] = '\0';
	if (a) {
		pci_addr_format(a, bdf);
		append(buf, len, "%s has no IOMMU group, so ", bdf);
	} else {
		append(buf, len, "there are no IOMMU groups, so ");
	}
	append(buf, len, "the IOMMU is off: boot the host kernel with intel_iommu=on "
	       "(Intel) or amd_iommu=on (AMD), optionally with iommu=pt, and check "
	       "that VT-d / AMD-Vi (IOMMU) is enabled in the firmware setup");
	return buf;
}

/* The fix for one blocking member: conduit bind, or unbinding a driver
 * that vfio-pci cannot replace (bridges, non-PCI devices). */
static void suggest_fix(const struct host_pci_member *m, bool first, char *buf, size_t len)
{
	uint32_t cls = 0;

	if (m->pci && host_pci_class(&m->addr, &cls) == 0 && !host_pci_is_bridge(cls))
		append(buf, len, "%s'conduit bind %s'", first ? "" : ", ", m->name);
	else
		append(buf, len, "%sunbind %s from %s", first ? "" : ", ", m->name, m->driver);
}

char *host_pci_msg_group_not_viable(const struct pci_addr *a, int group,
				    char *buf, size_t len)
{
	char bdf[PCI_ADDR_STRLEN], others[512];
	struct host_pci_member *m;
	bool first = true;
	size_t i, n;

	pci_addr_format(a, bdf);
	if (host_pci_group_members(group, &m, &n)) {
		snprintf(buf, len, "%s: IOMMU group %d is not viable and cannot be read: %s",
			 bdf, group, strerror(errno));
		return buf;
	}
	describe_members(m, n, a, false, others, sizeof(others));
	snprintf(buf, len, "%s: IOMMU group %d is not viable: it also holds %s; "
		 "every device in a group must be bound to vfio-pci or to no driver: run ",
		 bdf, group, others[0] ? others : "no other device");
	for (i = 0; i < n; i++) {
		if (is_self(&m[i], a) || host_pci_member_ok(&m[i]))
			continue;
		suggest_fix(&m[i], first, buf, len);
		first = false;
	}
	append(buf, len, ", or move the card to a slot with an IOMMU group of its own");
	free(m);
	return buf;
}

char *host_pci_msg_other_driver(const struct pci_addr *a, const char *driver,
				char *buf, size_t len)
{
	char bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	if (!driver[0])
		snprintf(buf, len, "%s has no driver, not vfio-pci: run 'conduit bind %s' "
			 "to give it to vfio-pci", bdf, bdf);
	else
		snprintf(buf, len, "%s is bound to %s, not to vfio-pci: run 'conduit bind %s' "
			 "to take it from %s and give it to vfio-pci", bdf, driver, bdf, driver);
	return buf;
}

char *host_pci_msg_no_device(const struct pci_addr *a, char *buf, size_t len)
{
	char bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	snprintf(buf, len, "there is no PCI device %s on this host: 'conduit devices' "
		 "lists the devices and whether each can be passed through", bdf);
	return buf;
}

char *host_pci_msg_vfio_dev(int group, int errnum, char *buf, size_t len)
{
	switch (errnum) {
	case ENOENT:
		snprintf(buf, len, "%s/vfio/%d does not exist: vfio creates it once a device "
			 "of IOMMU group %d is bound to vfio-pci ('conduit bind BDF'); if one "
			 "is, check that devtmpfs or udev populates %s", dev_dir, group, group,
			 dev_dir);
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, len, "cannot open %s/vfio/%d: %s: run conduit as root, or give "
			 "your user the group with a udev rule (SUBSYSTEM==\"vfio\", "
			 "OWNER=\"you\") or 'chown you %s/vfio/%d'",
			 dev_dir, group, strerror(errnum), dev_dir, group);
		break;
	case EBUSY:
		snprintf(buf, len, "%s/vfio/%d is busy: another process (another VM?) has "
			 "IOMMU group %d open", dev_dir, group, group);
		break;
	default:
		snprintf(buf, len, "cannot open %s/vfio/%d: %s", dev_dir, group, strerror(errnum));
	}
	return buf;
}

/* ---- the previous driver, kept across runs ---- */

static int state_path(const struct pci_addr *a, char *out, size_t len)
{
	char bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	return path_fmt(out, len, "%s/%s.driver", state_dir, bdf);
}

static void remember_driver(const struct pci_addr *a, const char *driver)
{
	char path[PATH_MAX];
	FILE *f;

	if (state_path(a, path, sizeof(path)))
		return;
	if (mkdir(state_dir, 0755) && errno != EEXIST)
		goto fail;
	f = fopen(path, "we");
	if (!f)
		goto fail;
	fprintf(f, "%s\n", driver);
	if (fclose(f) == 0)
		return;
fail:
	pr_debug("cannot remember the driver of the device in %s: %s", path, strerror(errno));
}

static void recall_driver(const struct pci_addr *a, char *driver, size_t len)
{
	char path[PATH_MAX];

	driver[0] = '\0';
	if (state_path(a, path, sizeof(path)) == 0 && read_text(path, driver, len))
		driver[0] = '\0';
}

static void forget_driver(const struct pci_addr *a)
{
	char path[PATH_MAX];

	if (state_path(a, path, sizeof(path)) == 0)
		unlink(path);
}

/* ---- plans: the sysfs writes of bind and unbind ---- */

static int write_sysfs(const char *path, const char *value, char *err, size_t errlen)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	n = write(fd, value, len);
	if (n < 0 || (size_t)n != len) {
		if (n >= 0)
			errno = EIO;
		close(fd);
		goto fail;
	}
	if (close(fd))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot write '%s' to %s: %s%s",
		 strcmp(value, "\n") ? value : "\\n", path, strerror(errno),
		 errno == EACCES || errno == EPERM ? " (run as root)" : "");
	return -1;
}

static int plan_add(struct host_pci_plan *p, const char *path, const char *value)
{
	if (p->n >= HOST_PCI_MAX_WRITES || strlen(path) >= sizeof(p->w[0].path))
		return -1;
	strcpy(p->w[p->n].path, path);
	snprintf(p->w[p->n].value, sizeof(p->w[0].value), "%s", value);
	p->n++;
	return 0;
}

static int plan_add_dev(struct host_pci_plan *p, const struct pci_addr *a,
			const char *attr, const char *value)
{
	char path[PATH_MAX];

	if (dev_path(path, sizeof(path), a, attr))
		return -1;
	return plan_add(p, path, value);
}

static int plan_add_probe(struct host_pci_plan *p, const char *bdf)
{
	char path[PATH_MAX];

	if (path_fmt(path, sizeof(path), "%s/bus/pci/drivers_probe", sysfs_root))
		return -1;
	return plan_add(p, path, bdf);
}

/* Refuse what cannot be bound: missing devices, bridges, no IOMMU group. */
static int check_bindable(const struct pci_addr *a, char *err, size_t errlen)
{
	char bdf[PCI_ADDR_STRLEN];
	uint32_t cls;

	pci_addr_format(a, bdf);
	if (!host_pci_exists(a)) {
		host_pci_msg_no_device(a, err, errlen);
		return -1;
	}
	if (host_pci_class(a, &cls)) {
		snprintf(err, errlen, "%s: cannot read its class: %s", bdf, strerror(errno));
		return -1;
	}
	if (host_pci_is_bridge(cls) || host_pci_is_host_bridge(cls)) {
		snprintf(err, errlen, "%s is a %s bridge (class %06x): bridges cannot be "
			 "passed through; pass through the devices behind it", bdf,
			 host_pci_is_bridge(cls) ? "PCI" : "host", cls);
		return -1;
	}
	if (host_pci_iommu_group(a) < 0) {
		host_pci_msg_no_iommu_group(a, err, errlen);
		return -1;
	}
	return 0;
}

/* Common start of a bind or unbind plan: the device exists and its current
 * driver (into p->prev) can be read. */
static int plan_start(const struct pci_addr *a, struct host_pci_plan *p,
		      char bdf[PCI_ADDR_STRLEN], char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	pci_addr_format(a, bdf);
	if (!host_pci_exists(a)) {
		host_pci_msg_no_device(a, err, errlen);
		return -1;
	}
	if (host_pci_driver(a, p->prev, sizeof(p->prev))) {
		snprintf(err, errlen, "%s: cannot read its driver: %s", bdf, strerror(errno));
		return -1;
	}
	return 0;
}

int host_pci_plan_bind(const struct pci_addr *a, struct host_pci_plan *p,
		       char *err, size_t errlen)
{
	char bdf[PCI_ADDR_STRLEN];

	if (plan_start(a, p, bdf, err, errlen))
		return -1;
	if (host_pci_driver_is_vfio(p->prev)) {
		strcpy(p->driver, p->prev);
		return 0;
	}
	if (check_bindable(a, err, errlen))
		return -1;
	host_pci_choose_vfio_module(a, p->module, sizeof(p->module));
	if (host_pci_module_driver(p->module, p->driver, sizeof(p->driver))) {
		snprintf(err, errlen, "%s: its vfio driver, module %s, is not loaded: run "
			 "'modprobe %s' and try again", bdf, p->module, p->module);
		return -1;
	}
	if (plan_add_dev(p, a, "driver_override", p->driver) ||
	    (p->prev[0] && plan_add_dev(p, a, "driver/unbind", bdf)) ||
	    plan_add_probe(p, bdf))
		goto too_long;
	return 0;
too_long:
	snprintf(err, errlen, "%s: sysfs path too long under %s", bdf, sysfs_root);
	return -1;
}

/* driver_override reads "(null)" when unset. */
static bool has_override(const struct pci_addr *a)
{
	char path[PATH_MAX], val[HOST_PCI_NAME_LEN];

	return dev_path(path, sizeof(path), a, "driver_override") == 0 &&
	       read_text(path, val, sizeof(val)) == 0 &&
	       val[0] && strcmp(val, "(null)");
}

int host_pci_plan_unbind(const struct pci_addr *a, struct host_pci_plan *p,
			 char *err, size_t errlen)
{
	char bdf[PCI_ADDR_STRLEN];
	bool vfio;

	if (plan_start(a, p, bdf, err, errlen))
		return -1;
	recall_driver(a, p->driver, sizeof(p->driver));
	vfio = host_pci_driver_is_vfio(p->prev);
	if (!vfio && !has_override(a))
		return 0;
	if ((vfio && plan_add_dev(p, a, "driver/unbind", bdf)) ||
	    plan_add_dev(p, a, "driver_override", "\n") ||
	    ((vfio || !p->prev[0]) && plan_add_probe(p, bdf))) {
		snprintf(err, errlen, "%s: sysfs path too long under %s", bdf, sysfs_root);
		return -1;
	}
	return 0;
}

int host_pci_plan_apply(const struct host_pci_plan *p, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < p->n; i++) {
		pr_debug("write '%s' to %s", p->w[i].value, p->w[i].path);
		if (writer(p->w[i].path, p->w[i].value, err, errlen))
			return -1;
	}
	return 0;
}

/* Explicitly bind to a named driver (drivers/NAME/bind). */
static int bind_to(const struct pci_addr *a, const char *driver, char *err, size_t errlen)
{
	char path[PATH_MAX], bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	if (path_fmt(path, sizeof(path), "%s/bus/pci/drivers/%s/bind", sysfs_root, driver)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	return writer(path, bdf, err, errlen);
}

/* Best effort after a failed bind: clear the override and let the previous
 * driver have the device again. Errors are only logged. */
static void give_back(const struct pci_addr *a, const char *prev)
{
	struct host_pci_plan p;
	char err[HOST_PCI_ERR_LEN], now[HOST_PCI_NAME_LEN];

	if (host_pci_plan_unbind(a, &p, err, sizeof(err)) == 0 &&
	    host_pci_plan_apply(&p, err, sizeof(err)))
		pr_debug("giving the device back: %s", err);
	if (prev[0] && host_pci_driver(a, now, sizeof(now)) == 0 && !now[0] &&
	    bind_to(a, prev, err, sizeof(err)))
		pr_debug("giving the device back to %s: %s", prev, err);
	forget_driver(a);
}

int host_pci_bind_vfio(const struct pci_addr *a, char **chosen_driver,
		       char *err, size_t errlen)
{
	char bdf[PCI_ADDR_STRLEN], now[HOST_PCI_NAME_LEN], why[HOST_PCI_ERR_LEN];
	struct host_pci_plan p;

	if (chosen_driver)
		*chosen_driver = NULL;
	pci_addr_format(a, bdf);
	if (host_pci_plan_bind(a, &p, err, errlen))
		return -1;
	if (p.n) {
		remember_driver(a, p.prev);
		if (host_pci_plan_apply(&p, why, sizeof(why))) {
			snprintf(err, errlen, "%s: binding to %s failed: %s", bdf, p.driver, why);
			goto fail;
		}
		host_pci_driver(a, now, sizeof(now));
		if (strcmp(now, p.driver)) {
			snprintf(err, errlen, "%s did not bind to %s (it now has %s): the kernel "
				 "log (dmesg) says why", bdf, p.driver, driver_or_none(now));
			goto fail;
		}
	}
	if (chosen_driver && !(*chosen_driver = strdup(p.driver))) {
		snprintf(err, errlen, "%s: out of memory", bdf);
		return -1;
	}
	return 0;
fail:
	give_back(a, p.prev);
	return -1;
}

int host_pci_unbind_vfio(const struct pci_addr *a, char *err, size_t errlen)
{
	char bdf[PCI_ADDR_STRLEN], now[HOST_PCI_NAME_LEN], why[HOST_PCI_ERR_LEN];
	struct host_pci_plan p;

	pci_addr_format(a, bdf);
	if (host_pci_plan_unbind(a, &p, err, errlen))
		return -1;
	if (!p.n)
		return 0;
	if (host_pci_plan_apply(&p, why, sizeof(why))) {
		snprintf(err, errlen, "%s: releasing it from %s failed: %s", bdf,
			 driver_or_none(p.prev), why);
		return -1;
	}
	host_pci_driver(a, now, sizeof(now));
	if (!now[0] && p.driver[0] && bind_to(a, p.driver, why, sizeof(why)) == 0)
		host_pci_driver(a, now, sizeof(now));
	forget_driver(a);
	if (host_pci_driver_is_vfio(now)) {
		snprintf(err, errlen, "%s is still bound to %s after unbinding: the kernel "
			 "log (dmesg) says why", bdf, now);
		return -1;
	}
	if (p.driver[0] && !now[0]) {
		snprintf(err, errlen, "%s was released from vfio, but its previous driver %s "
			 "did not take it back and it has no driver now: try 'modprobe %s' and "
			 "'echo %s > %s/bus/pci/drivers/%s/bind'", bdf, p.driver,
			 p.driver, bdf, sysfs_root, p.driver);
		return -1;
	}
	return 0;
}
