/* Which driver a device should be bound to: the vfio_pci variant whose
 * modules.alias "vfio_pci:" alias matches the device's modalias most
 * closely (plain vfio_pci when none does), the PCI driver a loaded module
 * registered, and whether a driver is vfio-pci or one of its variants.
 * Module and driver names treat '-' and '_' alike. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "../../vmm/log.h"
#include "host_pci_internal.h"

/* modules.alias lines of the form "alias vfio_pci:PATTERN MODULE". */
struct vfio_alias {
	char pattern[256];
	char module[HOST_PCI_NAME_LEN];
	int wildcards;
};

static struct vfio_alias *aliases;
static size_t n_aliases;
static bool aliases_loaded;

static char modules_dir[PATH_MAX];      /* "" until first use: uname -r */

static void forget_aliases(void)
{
	free(aliases);
	aliases = NULL;
	n_aliases = 0;
	aliases_loaded = false;
}

/* host_pci_set_root()'s modules half: "" is /lib/modules/$(uname -r). */
void host_pci_set_modules_dir(const char *modules)
{
	snprintf(modules_dir, sizeof(modules_dir), "%s", modules ? modules : "");
	forget_aliases();
}

static const char *get_modules_dir(void)
{
	struct utsname u;

	if (!modules_dir[0] && uname(&u) == 0)
		snprintf(modules_dir, sizeof(modules_dir), "/lib/modules/%s", u.release);
	return modules_dir;
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
	if (host_pci_path_fmt(path, sizeof(path), "%s/modules.alias", get_modules_dir()))
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

int host_pci_modalias(const struct pci_addr *a, const char *prefix, char *out, size_t len)
{
	unsigned long ven, dev, sven = 0, sdev = 0, cls;

	if (host_pci_read_dev_hex(a, "vendor", &ven) ||
	    host_pci_read_dev_hex(a, "device", &dev) ||
	    host_pci_read_dev_hex(a, "class", &cls))
		return -1;
	host_pci_read_dev_hex(a, "subsystem_vendor", &sven);
	host_pci_read_dev_hex(a, "subsystem_device", &sdev);
	return host_pci_path_fmt(out, len,
				 "%s:v%08lXd%08lXsv%08lXsd%08lXbc%02lXsc%02lXi%02lX",
				 prefix, ven, dev, sven, sdev, (cls >> 16) & 0xff, (cls >> 8) & 0xff,
				 cls & 0xff);
}

int host_pci_choose_vfio_module(const struct pci_addr *a, char *module, size_t len)
{
	const struct vfio_alias *best = NULL;
	char modalias[128];
	size_t i;

	snprintf(module, len, "vfio_pci");
	load_aliases();
	if (host_pci_modalias(a, "vfio_pci", modalias, sizeof(modalias)))
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
	if (host_pci_path_fmt(path, sizeof(path), "%s/module/%s/drivers",
			      host_pci_sysfs_root(), mod))
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

	if (host_pci_path_fmt(path, sizeof(path), "%s/bus/pci/drivers",
			      host_pci_sysfs_root()))
		return -1;
	dir = opendir(path);
	if (!dir)
		return -1;
	while (ret && (d = readdir(dir))) {
		if (!host_pci_not_dot(d) || !same_name(d->d_name, module) ||
		    strlen(d->d_name) >= len)
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
	if (host_pci_path_fmt(path, sizeof(path), "%s/bus/pci/drivers/%s/module",
			      host_pci_sysfs_root(), driver) ||
	    host_pci_link_name(path, module, sizeof(module)))
		return false;
	return is_vfio_module(module);
}
