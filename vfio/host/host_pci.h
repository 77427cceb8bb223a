/* Host-side PCI and VFIO through sysfs: PCI addresses (pci_addr.c), device
 * queries (sysfs.c), IOMMU groups and their viability (iommu_group.c),
 * choosing the vfio-pci (or variant) driver from modules.alias
 * (driver_match.c), binding it (bind.c), and the one-line error texts that
 * passthrough failures print (messages.c). Nothing here opens a VFIO fd;
 * the passthrough core does that. */
#ifndef CONDUIT_HOST_PCI_H
#define CONDUIT_HOST_PCI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_ADDR_STRLEN     13      /* "0000:03:00.0" and its NUL */
#define HOST_PCI_NAME_LEN   64      /* driver and module names */
#define HOST_PCI_ERR_LEN    1024    /* enough for every message below */
#define HOST_PCI_MAX_WRITES 4

struct pci_addr {
	uint16_t domain;
	uint8_t bus, dev, fn;
};

/* Where to look. NULL restores a default: "/sys", "/lib/modules/$(uname -r)",
 * "/dev" and "/run/conduit" (where bind remembers the previous driver). */
void host_pci_set_root(const char *sysfs_root, const char *modules_dir);
void host_pci_set_dirs(const char *dev_dir, const char *state_dir);
/* The roots in force ("/sys", "/dev" unless a test moved them). */
const char *host_pci_sysfs_root(void);
const char *host_pci_dev_dir(void);

/* Write one value to one sysfs file; returns 0 or -1 with a message. The
 * default writes the file; tests install one that acts like the kernel. */
typedef int (*host_pci_writer)(const char *path, const char *value,
			       char *err, size_t errlen);
void host_pci_set_writer(host_pci_writer fn);

/* "0000:03:00.0" or "03:00.0": hex, either case, exactly 4:2:2.1 digits
 * (2:2.1 without the domain, which is then 0), device <= 1f, function <= 7.
 * Short forms such as "3:0.0" are rejected. Returns 0 or -1 with a message
 * that shows what an address looks like; *a is untouched on error. */
int pci_addr_parse(const char *s, struct pci_addr *a, char *err, size_t errlen);
void pci_addr_format(const struct pci_addr *a, char out[PCI_ADDR_STRLEN]);
bool pci_addr_equal(const struct pci_addr *x, const struct pci_addr *y);

/* Device queries. Each returns 0 or -1 (errno set) unless noted. */
bool host_pci_exists(const struct pci_addr *a);
int host_pci_ids(const struct pci_addr *a, uint16_t *vendor, uint16_t *device);
int host_pci_class(const struct pci_addr *a, uint32_t *class_code);
/* The bound driver's name, "" when none. */
int host_pci_driver(const struct pci_addr *a, char *name, size_t len);
/* The IOMMU group number, or -1 when the device has none (IOMMU off). */
int host_pci_iommu_group(const struct pci_addr *a);
/* Whether any IOMMU group exists on the host (false: the IOMMU is off). */
bool host_pci_iommu_enabled(void);
/* Every PCI device on the host, sorted; the caller frees *out. */
int host_pci_list(struct pci_addr **out, size_t *n);

/* The device's modalias as the kernel spells it for prefix ("pci" or
 * "vfio_pci"): prefix:vVVVVVVVVdDDDDDDDDsvSSSSSSSSsdSSSSSSSSbcBBscSSiII,
 * built from its sysfs ids. 0 or -1 (errno set). */
int host_pci_modalias(const struct pci_addr *a, const char *prefix, char *out, size_t len);

/* PCI-to-PCI and CardBus bridges (class 06/04, 06/07, 06/09): vfio-pci
 * refuses them. The host bridge (06/00) is never worth passing through. */
bool host_pci_is_bridge(uint32_t class_code);
bool host_pci_is_host_bridge(uint32_t class_code);

/* vfio-pci or a variant: the name, '-' and '_' alike, is "vfio_pci" or ends
 * in "_vfio_pci", or its module has a "vfio_pci:" alias in modules.alias. */
bool host_pci_driver_is_vfio(const char *driver);

/* One member of an IOMMU group. Non-PCI members (rare on x86) keep their
 * sysfs name and have pci == false. */
struct host_pci_member {
	char name[HOST_PCI_NAME_LEN];
	bool pci;
	struct pci_addr addr;
	char driver[HOST_PCI_NAME_LEN];     /* "" when none */
};

/* The members of group N, sorted; the caller frees *out. */
int host_pci_group_members(int group, struct host_pci_member **out, size_t *n);

/* The group rule (as the kernel enforces it since 5.19, when VFIO_GROUP_
 * SET_CONTAINER claims DMA ownership of the whole group): a member is fine
 * when it has no driver, or its driver manages DMA for userspace or does no
 * DMA: vfio-pci and its variants, pci-stub, and pcieport (the bridge port
 * driver). A bridge bound to anything else (shpchp, say) blocks the group,
 * as it does in the kernel; older kernels let any bridge through. */
bool host_pci_member_ok(const struct host_pci_member *m);

/* 1 viable, 0 not, -1 the group cannot be read. A member equal to *except
 * (may be NULL) is counted as fine: it is the one about to be bound. */
int host_pci_group_viable(int group, const struct pci_addr *except);

/* /dev/vfio/N: 0 when it exists and is readable and writable, else -errno
 * (-ENOENT: nothing in the group is bound to vfio, -EACCES: permission). */
int host_pci_vfio_dev_access(int group);

enum host_pci_verdict { HOST_PCI_READY, HOST_PCI_BINDABLE, HOST_PCI_NO };

/* Whether the device can be passed through now (READY: bound to vfio, group
 * viable, /dev/vfio/N accessible), after "conduit bind" (BINDABLE; why says
 * which module to load first when its vfio driver is not loaded, else ""),
 * or not (NO, with the reason in why). */
enum host_pci_verdict host_pci_verdict(const struct pci_addr *a,
				       char *why, size_t whylen);

/* The vfio_pci module for a device: the modules.alias "vfio_pci:" alias
 * that matches its modalias with the fewest '*' wins (the first one in the
 * file on a tie). Writes "vfio_pci" when nothing matches or there is no
 * modules.alias. Returns the winner's wildcard count, or -1 for no match. */
int host_pci_choose_vfio_module(const struct pci_addr *a, char *module, size_t len);

/* The PCI driver name a loaded module registered ("vfio_pci" -> "vfio-pci").
 * Returns 0, or -1 when the module is not loaded. */
int host_pci_module_driver(const char *module, char *driver, size_t len);

/* A sequence of sysfs writes, in order; bind and unbind build one, then
 * apply it. Tests check the sequence without a kernel. */
struct host_pci_plan {
	int n;
	struct {
		char path[PATH_MAX];
		char value[HOST_PCI_NAME_LEN];
	} w[HOST_PCI_MAX_WRITES];
	char driver[HOST_PCI_NAME_LEN];     /* bind: the driver it should end on */
	char module[HOST_PCI_NAME_LEN];     /* bind: that driver's module */
	char prev[HOST_PCI_NAME_LEN];       /* the driver before the change */
};

/* bind: driver_override <- driver, driver/unbind <- BDF (if bound),
 * drivers_probe <- BDF. n == 0 when it is already bound to vfio. Fails when
 * the device is missing, a bridge, has no IOMMU group, or the chosen driver
 * is not loaded (the message names the module to modprobe). */
int host_pci_plan_bind(const struct pci_addr *a, struct host_pci_plan *p,
		       char *err, size_t errlen);
/* unbind: driver/unbind <- BDF (if bound), driver_override <- "\n",
 * drivers_probe <- BDF. n == 0 when it is not bound to vfio and has no
 * override. */
int host_pci_plan_unbind(const struct pci_addr *a, struct host_pci_plan *p,
			 char *err, size_t errlen);
int host_pci_plan_apply(const struct host_pci_plan *p, char *err, size_t errlen);

/* Bind to vfio-pci or its variant and check that it took. *chosen_driver
 * (may be NULL) gets a malloc'd copy of the driver's name; free it. The
 * previous driver is remembered in the state directory. On failure the
 * device is given back to its host driver. */
int host_pci_bind_vfio(const struct pci_addr *a, char **chosen_driver,
		       char *err, size_t errlen);
/* Release it from vfio: clear driver_override and let the host driver (the
 * remembered one if the kernel picks none) take it back. host_pci_driver()
 * then tells who owns it. Fails if it is left with no driver although a
 * driver was remembered and that driver would not take it back. */
int host_pci_unbind_vfio(const struct pci_addr *a, char *err, size_t errlen);

/* One-line messages for passthrough errors; each writes buf and returns it.
 * no_iommu_group with a == NULL words it for the whole host. */
char *host_pci_msg_no_iommu_group(const struct pci_addr *a, char *buf, size_t len);
char *host_pci_msg_group_not_viable(const struct pci_addr *a, int group,
				    char *buf, size_t len);
char *host_pci_msg_other_driver(const struct pci_addr *a, const char *driver,
				char *buf, size_t len);
char *host_pci_msg_no_device(const struct pci_addr *a, char *buf, size_t len);
/* errnum: what opening /dev/vfio/N failed with (EACCES, EPERM, ENOENT...). */
char *host_pci_msg_vfio_dev(int group, int errnum, char *buf, size_t len);
/* A device vfio-pci has but whose VFIO cdev cannot be had: cdev < 0 when
 * sysfs has no vfio-dev/vfioN, else its number (Linux 6.1-6.5 name it in
 * sysfs without the /dev/vfio/devices/vfioN node). */
char *host_pci_msg_no_cdev(const struct pci_addr *a, int cdev, char *buf, size_t len);

#endif
