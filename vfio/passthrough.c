/* Passthrough as the machine sees it. Before the VM is created every
 * --passthrough device is checked with sysfs (vfio/host_pci.c) so that a
 * wrong BDF, a missing IOMMU, a device bound to a host driver or a group
 * shared with host devices is a one-line error and nothing is half-started.
 * Then the IOMMU backend is opened once, each device is attached to the
 * guest's PCI bus, and all guest RAM is mapped for DMA before any vCPU
 * runs. Stopping undoes it in reverse. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include "../vmm/log.h"
#include "../vmm/ram.h"
#include "../vmm/vm.h"
#include "dma.h"
#include "host_pci.h"
#include "passthrough.h"
#include "vfio_pci.h"

#define FIRST_BAR_SLOT 8        /* KVM memory slots 0..n_ram-1 are RAM */

/* "BDF[,option...]": the address into addr, the options into *flags. The
 * one option: msix=off hides the MSI-X capability, so the guest driver
 * falls back to MSI or INTx (for devices whose MSI-X misbehaves). */
static int parse_options(const char *spec, char *addr, size_t len, unsigned *flags,
			 char *err, size_t errlen)
{
	const char *comma = strchr(spec, ',');
	const char *opt;
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);

	*flags = 0;
	if (n >= len)
		n = len - 1;    /* too long for an address: pci_addr_parse says so */
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

int passthrough_check(const char *spec, struct passthrough_dev *out,
		      char *err, size_t errlen)
{
	char driver[HOST_PCI_NAME_LEN], msg[HOST_PCI_ERR_LEN], addr[32];
	struct pci_addr a;

	if (parse_options(spec, addr, sizeof(addr), &out->flags, err, errlen))
		return -1;
	if (pci_addr_parse(addr, &a, msg, sizeof(msg))) {
		snprintf(err, errlen, "--passthrough %s: %s", spec, msg);
		return -1;
	}
	pci_addr_format(&a, out->bdf);
	if (!host_pci_exists(&a)) {
		snprintf(err, errlen, "%s", host_pci_msg_no_device(&a, msg, sizeof(msg)));
		return -1;
	}
	out->group = host_pci_iommu_group(&a);
	if (out->group < 0) {
		snprintf(err, errlen, "%s", host_pci_msg_no_iommu_group(&a, msg, sizeof(msg)));
		return -1;
	}
	if (host_pci_driver(&a, driver, sizeof(driver)) < 0)
		driver[0] = '\0';
	if (!host_pci_driver_is_vfio(driver)) {
		snprintf(err, errlen, "%s", host_pci_msg_other_driver(&a, driver, msg, sizeof(msg)));
		return -1;
	}
	if (host_pci_group_viable(out->group, &a) <= 0) {
		snprintf(err, errlen, "%s",
			 host_pci_msg_group_not_viable(&a, out->group, msg, sizeof(msg)));
		return -1;
	}
	return 0;
}

int passthrough_start(struct vm *vm, const struct passthrough_dev *devs, int n,
		      char *err, size_t errlen)
{
	uint32_t slot = FIRST_BAR_SLOT;
	uint64_t ns, pf_ns;
	int i, threads;

	if (!n)
		return 0;
	vm->iommu = vfio_type1_open(err, errlen);
	if (!vm->iommu)
		return -1;
	for (i = 0; i < n; i++)
		if (vfio_pci_attach(vm, vm->iommu, devs[i].bdf, devs[i].group, devs[i].flags,
				    &slot, err, errlen))
			goto fail;
	/* Faulting pages in is most of pinning's cost, and unlike pinning it
	 * runs in parallel. */
	threads = ram_prefault(&vm->mem, RAM_PREFAULT_MAX_THREADS, &pf_ns);
	if (threads < 0) {
		snprintf(err, errlen, "cannot fault in %llu MiB of guest RAM: %s",
			 (unsigned long long)(vm->mem.ram_size >> 20), strerror(-threads));
		goto fail;
	}
	if (dma_map_guest(vm->iommu, &vm->mem, &ns, err, errlen))
		goto fail;
	vm->dma_mapped = true;
	for (i = 0; i < vm->n_vfio; i++) {
		vm->vfio[i]->stats.dma_map_ns = ns;
		vm->vfio[i]->stats.prefault_ns = pf_ns;
		vm->vfio[i]->stats.prefault_threads = (unsigned)threads;
	}
	pr_info("vfio: %llu MiB of guest RAM prefaulted in %.1f ms (%d threads), mapped for DMA in %.1f ms",
		(unsigned long long)(vm->mem.ram_size >> 20), pf_ns / 1e6, threads, ns / 1e6);
	return 0;
fail:
	passthrough_stop(vm);
	return -1;
}

void passthrough_stop(struct vm *vm)
{
	int i;

	for (i = vm->n_vfio - 1; i >= 0; i--)
		vfio_pci_detach(vm->vfio[i]);
	vm->n_vfio = 0;
	if (vm->iommu && vm->dma_mapped)
		dma_unmap_guest(vm->iommu, &vm->mem);
	vm->dma_mapped = false;
	if (vm->iommu)
		vm->iommu->ops->close(vm->iommu);
	vm->iommu = NULL;
}

void passthrough_print_stats(const struct vm *vm)
{
	int i;

	for (i = 0; i < vm->n_vfio; i++) {
		vfio_pci_print_stats(vm->vfio[i]);
		fprintf(stderr, "conduit: stats %s: guest RAM prefaulted in %.2f ms (%u threads)\r\n",
			vm->vfio[i]->bdf, vm->vfio[i]->stats.prefault_ns / 1e6,
			vm->vfio[i]->stats.prefault_threads);
		fprintf(stderr, "conduit: stats %s: guest RAM DMA-mapped in %.2f ms\r\n",
			vm->vfio[i]->bdf, vm->vfio[i]->stats.dma_map_ns / 1e6);
	}
}
