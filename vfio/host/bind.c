/* Binding a device to vfio-pci (or its variant) and giving it back: the
 * sysfs writes (driver_override, driver/unbind, drivers_probe) planned
 * first and then applied through a writer the tests replace, the previous
 * driver kept in the state directory across runs, and the checks that the
 * kernel did what was asked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../vmm/log.h"
#include "host_pci_internal.h"

static int write_sysfs(const char *path, const char *value, char *err, size_t errlen);
static host_pci_writer writer = write_sysfs;

void host_pci_set_writer(host_pci_writer fn)
{
	writer = fn ? fn : write_sysfs;
}

/* ---- the previous driver, kept across runs ---- */

static int state_path(const struct pci_addr *a, char *out, size_t len)
{
	char bdf[PCI_ADDR_STRLEN];

	pci_addr_format(a, bdf);
	return host_pci_path_fmt(out, len, "%s/%s.driver", host_pci_state_dir(), bdf);
}

static void remember_driver(const struct pci_addr *a, const char *driver)
{
	char path[PATH_MAX];
	FILE *f;

	if (state_path(a, path, sizeof(path)))
		return;
	if (mkdir(host_pci_state_dir(), 0755) && errno != EEXIST)
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
	if (state_path(a, path, sizeof(path)) == 0 && host_pci_read_text(path, driver, len))
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

	if (host_pci_dev_path(path, sizeof(path), a, attr))
		return -1;
	return plan_add(p, path, value);
}

static int plan_add_probe(struct host_pci_plan *p, const char *bdf)
{
	char path[PATH_MAX];

	if (host_pci_path_fmt(path, sizeof(path), "%s/bus/pci/drivers_probe",
			      host_pci_sysfs_root()))
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
	snprintf(err, errlen, "%s: sysfs path too long under %s", bdf,
		 host_pci_sysfs_root());
	return -1;
}

/* driver_override reads "(null)" when unset. */
static bool has_override(const struct pci_addr *a)
{
	char path[PATH_MAX], val[HOST_PCI_NAME_LEN];

	return host_pci_dev_path(path, sizeof(path), a, "driver_override") == 0 &&
	       host_pci_read_text(path, val, sizeof(val)) == 0 &&
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
		snprintf(err, errlen, "%s: sysfs path too long under %s", bdf,
			 host_pci_sysfs_root());
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
	if (host_pci_path_fmt(path, sizeof(path), "%s/bus/pci/drivers/%s/bind",
			      host_pci_sysfs_root(), driver)) {
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
				 "log (dmesg) says why", bdf, p.driver,
				 host_pci_driver_or_none(now));
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
			 host_pci_driver_or_none(p.prev), why);
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
			 p.driver, bdf, host_pci_sysfs_root(), p.driver);
		return -1;
	}
	return 0;
}
