/* Passthrough as the machine sees it. Before the VM is created every
 * --passthrough device is checked (sysfs for a PCI device or an mdev, the
 * socket for a handed-over one) so that a wrong address, a missing IOMMU, a
 * device bound to a host driver or a group shared with host devices is a
 * one-line error and nothing is half-started. Then the IOMMU backend is
 * chosen and opened once, each device is attached to the guest's PCI bus,
 * and all guest RAM is mapped for DMA before any vCPU runs. Stopping undoes
 * it in reverse.
 *
 * Devices handed over a socket (fd:SOCKET) are received once per process
 * and kept: a guest reboot builds the machine again with the same fds. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include "../vmm/log.h"
#include "../vmm/ram.h"
#include "../vmm/vm.h"
#include "dma.h"
#include "host/fd_passing.h"
#include "host/host_pci.h"
#include "host/host_vfio.h"
#include "passthrough.h"
#include "passthrough_internal.h"
#include "vfio_pci.h"

/* Handed-over devices, by socket path: received once, kept for reboots. */
static struct held {
	char path[108];
	struct fdpass_handoff h;
} held[MAX_PASSTHROUGH];
static int n_held;

/* "SPEC[,option...]": the device part into addr, the options into *flags.
 * The one option: msix=off hides the MSI-X capability, so the guest driver
 * falls back to MSI or INTx (for devices whose MSI-X misbehaves). */
static int parse_options(const char *spec, char *addr, size_t len, unsigned *flags,
			 char *err, size_t errlen)
{
	const char *comma = strchr(spec, ',');
	const char *opt;
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);

	*flags = 0;
	if (n >= len)
		n = len - 1;    /* too long for an address: the parsers say so */
	memcpy(addr, spec, n);
	addr[n] = '\0';
	for (opt = comma; opt; opt = strchr(opt + 1, ',')) {
		const char *end = strchr(opt + 1, ',');
		size_t olen = end ? (size_t)(end - opt - 1) : strlen(opt + 1);

		if (olen == 8 && !strncmp(opt + 1, "msix=off", 8)) {
			*flags |= VFIO_PCI_NO_MSIX;
			continue;
		}
		snprintf(err, errlen, "--passthrough %s: unknown option '%.*s' (the one option is msix=off)",
			 spec, (int)olen, opt + 1);
		return -1;
	}
	return 0;
}

static int check_fd(const char *path, struct passthrough_dev *out, char *err, size_t errlen)
{
	char msg[HOST_PCI_ERR_LEN];
	struct held *k = NULL;
	int i;

	if (!*path) {
		snprintf(err, errlen, "--passthrough fd:: no socket path given: fd:SOCKET names the socket of a 'conduit bind BDF --serve SOCKET'");
		return -1;
	}
	for (i = 0; i < n_held && !k; i++)
		if (!strcmp(held[i].path, path))
			k = &held[i];
	if (!k) {
		if (n_held == MAX_PASSTHROUGH || strlen(path) >= sizeof(held[0].path)) {
			snprintf(err, errlen, "--passthrough fd:%s: too many handed-over devices or too long a path",
				 path);
			return -1;
		}
		k = &held[n_held];
		if (fdpass_receive(path, &k->h, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s%s", strncmp(msg, "--passthrough", 13) ?
				 "--passthrough fd: " : "", msg);
			return -1;
		}
		snprintf(k->path, sizeof(k->path), "%s", path);
		n_held++;
		pr_info("vfio: %s handed over on %s (device fd %d, iommufd %d)", k->h.name, path,
			k->h.device_fd, k->h.iommufd);
	}
	out->ref.kind = VFIO_DEV_FD;
	out->ref.fd = k->h.device_fd;
	out->iommufd = k->h.iommufd;
	snprintf(out->ref.name, sizeof(out->ref.name), "%s", k->h.name);
	return 0;
}

static int check_pci(const char *spec, const char *addr, struct passthrough_dev *out,
		     char *err, size_t errlen)
{
	char driver[HOST_PCI_NAME_LEN], msg[HOST_PCI_ERR_LEN];
	struct pci_addr a;

	if (pci_addr_parse(addr, &a, msg, sizeof(msg))) {
		snprintf(err, errlen, "--passthrough %s: %s", spec, msg);
		return -1;
	}
	pci_addr_format(&a, out->ref.name);
	if (!host_pci_exists(&a)) {
		snprintf(err, errlen, "%s", host_pci_msg_no_device(&a, msg, sizeof(msg)));
		return -1;
	}
	out->ref.group = host_pci_iommu_group(&a);
	if (out->ref.group < 0) {
		snprintf(err, errlen, "%s", host_pci_msg_no_iommu_group(&a, msg, sizeof(msg)));
		return -1;
	}
	if (host_pci_driver(&a, driver, sizeof(driver)) < 0)
		driver[0] = '\0';
	if (!host_pci_driver_is_vfio(driver)) {
		snprintf(err, errlen, "%s", host_pci_msg_other_driver(&a, driver, msg, sizeof(msg)));
		return -1;
	}
	if (host_pci_group_viable(out->ref.group, &a) <= 0) {
		snprintf(err, errlen, "%s",
			 host_pci_msg_group_not_viable(&a, out->ref.group, msg, sizeof(msg)));
		return -1;
	}
	out->ref.cdev = host_vfio_pci_cdev(&a);
	return 0;
}

int passthrough_check(const char *spec, struct passthrough_dev *out,
		      char *err, size_t errlen)
{
	char addr[128];

	memset(out, 0, sizeof(*out));
	out->ref.kind = VFIO_DEV_PCI;
	out->ref.group = out->ref.cdev = out->ref.fd = out->iommufd = -1;
	if (parse_options(spec, addr, sizeof(addr), &out->flags, err, errlen))
		return -1;
	if (!strncmp(addr, "fd:", 3))
		return check_fd(addr + 3, out, err, errlen);
	if (!strncmp(addr, "mdev:", 5))
		return host_vfio_mdev_ref(addr + 5, &out->ref, err, errlen);
	return check_pci(spec, addr, out, err, errlen);
}

/* Which backend: forced, or auto (IOMMUFD where /dev/iommu and every
 * device's cdev exist, else legacy). A handed-over device needs IOMMUFD.
 * Returns the kind, or -1 with a one-line error naming what is missing. */
int passthrough_choose_backend(enum vfio_backend_kind want, const struct passthrough_dev *devs,
			       int n, bool have_iommufd, bool have_container,
			       char *why, size_t whylen)
{
	const char *no_cdev = NULL, *handed = NULL;
	bool iommu = have_iommufd;
	int i;

	for (i = 0; i < n; i++) {
		if (devs[i].ref.kind == VFIO_DEV_FD) {
			handed = devs[i].ref.name;
			iommu = true;
		} else if (devs[i].ref.cdev < 0 && !no_cdev) {
			no_cdev = devs[i].ref.name;
		}
	}
	if (want == VFIO_BACKEND_LEGACY) {
		if (handed) {
			snprintf(why, whylen, "--vfio-backend legacy: %s was handed over as a device cdev, which only the iommufd backend can use",
				 handed);
			return -1;
		}
		if (!have_container) {
			snprintf(why, whylen, "--vfio-backend legacy: this host has no /dev/vfio/vfio (a kernel without CONFIG_VFIO_CONTAINER, or vfio not loaded: modprobe vfio-pci)%s",
				 have_iommufd ? "; it has /dev/iommu: use --vfio-backend iommufd" : "");
			return -1;
		}
		snprintf(why, whylen, "legacy (type1), as asked");
		return VFIO_BACKEND_LEGACY;
	}
	if (iommu && !no_cdev) {
		snprintf(why, whylen, "iommufd (%s)", want == VFIO_BACKEND_IOMMUFD ? "as asked" :
			 "auto: /dev/iommu and every device's cdev are there");
		return VFIO_BACKEND_IOMMUFD;
	}
	if (want == VFIO_BACKEND_IOMMUFD) {
		if (!iommu)
			snprintf(why, whylen, "--vfio-backend iommufd: this host has no /dev/iommu (its kernel lacks CONFIG_IOMMUFD, or iommufd is not loaded: modprobe iommufd); use --vfio-backend legacy");
		else
			snprintf(why, whylen, "--vfio-backend iommufd: %s has no VFIO device cdev (/dev/vfio/devices/vfioN: the kernel lacks CONFIG_VFIO_DEVICE_CDEV); use --vfio-backend legacy",
				 no_cdev);
		return -1;
	}
	snprintf(why, whylen, "legacy (type1) (auto: %s)", !iommu ? "no /dev/iommu" :
		 "a device has no VFIO cdev");
	return VFIO_BACKEND_LEGACY;
}

int passthrough_check_backend(enum vfio_backend_kind want, const struct passthrough_dev *devs,
			      int n, char *why, size_t whylen)
{
	if (!n)
		return VFIO_BACKEND_AUTO;
	return passthrough_choose_backend(want, devs, n, host_vfio_has_iommufd(),
					  host_vfio_has_container(), why, whylen);
}

struct vfio_backend *passthrough_open_backend(enum vfio_backend_kind want,
					 const struct passthrough_dev *devs, int n,
					 char *err, size_t errlen)
{
	char why[HOST_PCI_ERR_LEN];
	int kind, i, iommufd = -1;

	kind = passthrough_check_backend(want, devs, n, why, sizeof(why));
	if (kind < 0) {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	pr_info("vfio: backend %s", why);
	if (kind == VFIO_BACKEND_LEGACY)
		return vfio_type1_open(err, errlen);
	/* One IOAS for all: on the first handed-over iommufd, if any. */
	for (i = 0; i < n && iommufd < 0; i++)
		if (devs[i].ref.kind == VFIO_DEV_FD)
			iommufd = devs[i].iommufd;
	return vfio_iommufd_open(iommufd, err, errlen);
}

int passthrough_start(struct passthrough *pt, struct vm *vm, struct pci_bus *bus,
		      const struct passthrough_dev *devs, int n,
		      enum vfio_backend_kind backend, char *err, size_t errlen)
{
	int i;

	memset(pt, 0, sizeof(*pt));
	pt->vm = vm;
	pt->bus = bus;
	if (!n)
		return 0;
	/* Guest RAM is faulted in while the devices are opened and set up
	 * (the kernel resets each at open, which mostly sleeps). */
	ram_prefault_start(&pt->prefault, &vm->mem, ram_prefault_threads(RAM_PREFAULT_MAX_THREADS));
	pt->backend = passthrough_open_backend(backend, devs, n, err, errlen);
	if (!pt->backend)
		goto fail;
	for (i = 0; i < n; i++) {
		pt->dev[i] = vfio_pci_attach(vm, bus, pt->backend, &devs[i].ref, devs[i].flags,
					     -1, err, errlen);
		if (!pt->dev[i])
			goto fail;
		pt->ref[i] = devs[i].ref;
		pt->n_dev++;
	}
	return 0;
fail:
	passthrough_stop(pt);
	return -1;
}

int passthrough_map_ram(struct passthrough *pt, char *err, size_t errlen)
{
	struct guest_mem *mem = &pt->vm->mem;
	uint64_t ns, pf_ns, waited;
	int i, threads;

	if (!pt->backend)
		return 0;
	/* Faulting pages in is most of pinning's cost, and unlike pinning it
	 * runs in parallel: this thread joins the prefault's threads. */
	threads = ram_prefault_wait(&pt->prefault, &pf_ns, &waited);
	if (threads < 0) {
		snprintf(err, errlen, "cannot fault in %llu MiB of guest RAM: %s",
			 (unsigned long long)(mem->ram_size >> 20), strerror(-threads));
		goto fail;
	}
	if (dma_map_guest(pt->backend, mem, &ns, err, errlen))
		goto fail;
	pt->dma_mapped = true;
	for (i = 0; i < pt->n_dev; i++) {
		pt->dev[i]->stats.dma_map_ns = ns;
		pt->dev[i]->stats.prefault_ns = pf_ns;
		pt->dev[i]->stats.prefault_threads = (unsigned)threads;
		pt->dev[i]->stats.prefault_wait_ns = waited;
	}
	pr_info("vfio: %llu MiB of guest RAM prefaulted in %.1f ms (%d threads, %.1f ms of it after device set-up), mapped for DMA in %.1f ms",
		(unsigned long long)(mem->ram_size >> 20), pf_ns / 1e6, threads, waited / 1e6,
		ns / 1e6);
	return 0;
fail:
	passthrough_stop(pt);
	return -1;
}

void passthrough_stop(struct passthrough *pt)
{
	uint64_t done;
	int i;

	if (pt->prefault.running) {
		done = ram_prefault_stop(&pt->prefault);
		pr_info("vfio: guest RAM prefault stopped: %llu of %llu MiB handed out",
			(unsigned long long)(done >> 20),
			(unsigned long long)(pt->vm->mem.ram_size >> 20));
	}
	for (i = pt->n_dev - 1; i >= 0; i--)
		pci_bus_remove(pt->bus, &pt->dev[i]->pci);
	pt->n_dev = 0;
	if (pt->backend && pt->dma_mapped)
		dma_unmap_guest(pt->backend, &pt->vm->mem);
	pt->dma_mapped = false;
	if (pt->backend)
		pt->backend->ops->close(pt->backend);
	pt->backend = NULL;
}

void passthrough_print_stats(const struct passthrough *pt)
{
	int i;

	for (i = 0; i < pt->n_dev; i++) {
		const struct vfio_pci *v = pt->dev[i];

		vfio_pci_print_stats(v);
		fprintf(stderr, "conduit: stats %s: device opened and set up in %.2f ms\r\n",
			v->bdf, v->stats.attach_ns / 1e6);
		fprintf(stderr, "conduit: stats %s: guest RAM prefaulted in %.2f ms (%u threads, %.2f ms of it after device set-up)\r\n",
			v->bdf, v->stats.prefault_ns / 1e6, v->stats.prefault_threads,
			v->stats.prefault_wait_ns / 1e6);
		fprintf(stderr, "conduit: stats %s: guest RAM DMA-mapped in %.2f ms\r\n",
			v->bdf, v->stats.dma_map_ns / 1e6);
	}
}
