/* Shared between the files that implement host_pci.h (pci_addr.c, sysfs.c,
 * driver_match.c, iommu_group.c, messages.c, bind.c) and nothing else: the
 * state directory, the sysfs file helpers, the member helpers that both the
 * verdict and the messages use, and message building. */
#ifndef CONDUIT_HOST_PCI_INTERNAL_H
#define CONDUIT_HOST_PCI_INTERNAL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include "host_pci.h"

/* sysfs.c: where bind remembers the previous driver ("/run/conduit"). */
const char *host_pci_state_dir(void);

/* sysfs.c: snprintf into a path buffer; -1 with ENAMETOOLONG when it does
 * not fit. */
int __attribute__((format(printf, 3, 4)))
host_pci_path_fmt(char *out, size_t len, const char *fmt, ...);
/* sysfs.c: ROOT/bus/pci/devices/BDF/attr ("" for the directory itself). */
int host_pci_dev_path(char *out, size_t len, const struct pci_addr *a, const char *attr);
/* sysfs.c: read a small text file, without the trailing newline. */
int host_pci_read_text(const char *path, char *buf, size_t len);
/* sysfs.c: a hex attribute of the device ("vendor", "class"...). */
int host_pci_read_dev_hex(const struct pci_addr *a, const char *attr, unsigned long *v);
/* sysfs.c: the last component of a symlink's target. */
int host_pci_link_name(const char *path, char *out, size_t len);
/* sysfs.c: scandir() helpers: skip "." entries, free the list. */
int host_pci_not_dot(const struct dirent *d);
void host_pci_free_dirents(struct dirent **list, int n);

/* driver_match.c: host_pci_set_root()'s modules.alias directory (NULL or
 * "": /lib/modules/$(uname -r)); forgets the aliases read so far. */
void host_pci_set_modules_dir(const char *modules);

/* iommu_group.c: whether member m is the device a (a may be NULL). */
bool host_pci_is_self(const struct host_pci_member *m, const struct pci_addr *a);
/* iommu_group.c: "0000:00:1f.2 (ahci), 0000:00:1f.3 (no driver)" for the
 * members other than a; only those that block the group when
 * blockers_only. Returns how many it named. */
int host_pci_describe_members(const struct host_pci_member *m, size_t n,
			      const struct pci_addr *a, bool blockers_only,
			      char *buf, size_t len);

/* messages.c: append to a message buffer; never overflows, keeps it
 * NUL-terminated. */
void __attribute__((format(printf, 3, 4)))
host_pci_append(char *buf, size_t len, const char *fmt, ...);
/* messages.c: the driver's name, or "no driver". */
const char *host_pci_driver_or_none(const char *driver);

#endif
