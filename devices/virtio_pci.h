/* The virtio 1.x modern PCI transport: capabilities, common config, ISR,
 * notifications by ioeventfd and interrupts by MSI-X irqfd. */
#ifndef CONDUIT_VIRTIO_PCI_H
#define CONDUIT_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "msix.h"
#include "pci.h"
#include "virtqueue.h"
#include "../vmm/irq.h"

#define VIRTIO_MAX_QUEUES 8
/* What every virtio device on conduit's bus is: vendor 1af4, device
 * 1040 + the virtio type (modern only), class 07/80/00. */
#define VIRTIO_PCI_VENDOR      0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_CLASS       0x078000
#define VIRTIO_NO_VECTOR  0xffff
#define VIRTIO_F_VERSION_1 (1ULL << 32)

#define VIRTIO_STATUS_ACK         0x01
#define VIRTIO_STATUS_DRIVER      0x02
#define VIRTIO_STATUS_DRIVER_OK   0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

/* BAR0 layout. */
#define VIRTIO_BAR_SIZE    0x8000
#define VIRTIO_COMMON_OFF  0x0000
#define VIRTIO_COMMON_LEN  0x38
#define VIRTIO_ISR_OFF     0x1000
#define VIRTIO_DEVCFG_OFF  0x2000
#define VIRTIO_NOTIFY_OFF  0x3000
#define VIRTIO_NOTIFY_MULT 4
#define VIRTIO_MSIX_OFF    0x4000
#define VIRTIO_PBA_OFF     0x5000

struct vm;
struct virtio_pci;
struct snap_out;
struct snap_in;

struct virtio_device_ops {
	const char *name;
	uint16_t device_id;
	uint64_t features;              /* besides VIRTIO_F_VERSION_1 */
	unsigned n_queues;
	unsigned config_len;
	void (*notify)(struct virtio_pci *vp, unsigned queue);
	void (*reset)(struct virtio_pci *vp);
	/* Snapshot state of the device behind the transport (issue 15), after
	 * the transport's own; load checks every value (snap_in_fail) and
	 * returns 0 or -1. NULL: the device has none. */
	int (*save)(struct virtio_pci *vp, struct snap_out *out);
	int (*load)(struct virtio_pci *vp, struct snap_in *in);
};

struct virtio_pci {
	struct pci_device pci;
	struct msix msix;
	struct vm *vm;                  /* NULL in unit tests: no KVM calls */
	const struct virtio_device_ops *ops;
	void *dev;
	uint8_t *config;                /* device-specific config, ops->config_len */
	uint32_t dev_feature_sel, drv_feature_sel;
	uint64_t drv_features;
	uint16_t msix_config;
	uint8_t status;
	uint8_t config_gen;
	uint16_t queue_sel;
	uint8_t isr;
	struct virtq vq[VIRTIO_MAX_QUEUES];
	uint16_t vq_vector[VIRTIO_MAX_QUEUES];
	int notify_efd[VIRTIO_MAX_QUEUES];
	struct irq_vector vec[VIRTIO_MAX_QUEUES + 1];  /* MSI-X, always live */
	bool intx_level;
	uint64_t broken;                /* rings the guest broke */
};

int virtio_pci_init(struct virtio_pci *vp, struct vm *vm,
		    const struct virtio_device_ops *ops, void *dev, uint8_t *config);
/* Plug into the PCI bus and hook notify eventfds into the VM's event loop;
 * pci_bus_remove() (or pci_bus_destroy) undoes it. */
int virtio_pci_plug(struct virtio_pci *vp, struct pci_bus *bus);
void virtio_pci_cleanup(struct virtio_pci *vp);

uint64_t virtio_pci_bar_read(void *opaque, uint64_t off, unsigned size);
void virtio_pci_bar_write(void *opaque, uint64_t off, unsigned size, uint64_t v);

/* Tell the guest queue q has used buffers (respects NO_INTERRUPT). */
void virtio_pci_signal_queue(struct virtio_pci *vp, unsigned q);
/* The guest broke queue q: stop using it and ask for a reset. */
void virtio_pci_queue_broken(struct virtio_pci *vp, unsigned q, const char *why);
/* The device's queue q is usable (driver OK and queue enabled). */
bool virtio_pci_queue_live(const struct virtio_pci *vp, unsigned q);

/* The transport's snapshot state: the virtio kind's pci_device_ops save
 * and load (devices/virtio_pci_state.c has the layout and the checks). */
int virtio_pci_save(struct pci_device *d, struct snap_out *out);
int virtio_pci_load(struct pci_device *d, struct snap_in *in);

/* After a restore: every live queue handled as if the guest had just
 * kicked it (a kick the source took but had not acted on when the machine
 * was saved is not lost: the guest may be waiting for it). d must be a
 * virtio device. */
void virtio_pci_kick_all(struct pci_device *d);

/* The modaliases a guest kernel sees for virtio type device_id on
 * conduit's bus: the PCI transport's ("pci:v00001AF4d...") and the virtio
 * bus's ("virtio:d00000003v00001AF4"), for choosing guest modules. */
void virtio_pci_modaliases(unsigned device_id, char *pci, size_t pci_len,
			   char *virtio, size_t virtio_len);

#endif
