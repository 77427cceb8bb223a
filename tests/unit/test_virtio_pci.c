/* Tests of the virtio-pci transport without KVM (devices/virtio_pci.c). */
#include <string.h>
#include "suites.h"
#include "../../devices/virtio_pci.h"
#include "../../vmm/log.h"

#define DEV_FEATURE_SEL 0x00
#define DEV_FEATURE     0x04
#define DRV_FEATURE_SEL 0x08
#define DRV_FEATURE     0x0c
#define MSIX_CONFIG     0x10
#define NUM_QUEUES      0x12
#define STATUS          0x14
#define CONFIG_GEN      0x15
#define QUEUE_SEL       0x16
#define QUEUE_SIZE      0x18
#define QUEUE_VECTOR    0x1a
#define QUEUE_ENABLE    0x1c
#define QUEUE_NOFF      0x1e
#define QUEUE_DESC      0x20
#define QUEUE_DRIVER    0x28
#define QUEUE_DEVICE    0x30

static struct virtio_pci vp;
static uint8_t devcfg[12];
static int notifies, last_queue, resets;
static int dev_cookie;

static void notify(struct virtio_pci *v, unsigned q)
{
	ck_assert_ptr_eq(v, &vp);
	notifies++;
	last_queue = (int)q;
}

static void reset_cb(struct virtio_pci *v)
{
	ck_assert_ptr_eq(v->dev, &dev_cookie);
	resets++;
}

static const struct virtio_device_ops ops = {
	.name = "vtest",
	.device_id = 3,
	.features = 1ULL << 1,
	.n_queues = 2,
	.config_len = sizeof(devcfg),
	.notify = notify,
	.reset = reset_cb,
};

static uint64_t rd(uint64_t off, unsigned size)
{
	return virtio_pci_bar_read(&vp, off, size);
}

static void wr(uint64_t off, unsigned size, uint64_t v)
{
	virtio_pci_bar_write(&vp, off, size, v);
}

static void setup(void)
{
	unsigned i;

	for (i = 0; i < sizeof(devcfg); i++)
		devcfg[i] = (uint8_t)(0x10 + i);
	notifies = resets = 0;
	last_queue = -1;
	ck_assert_int_eq(virtio_pci_init(&vp, NULL, &ops, &dev_cookie, devcfg), 0);
	/* The init reset counts too. */
	ck_assert_int_eq(resets, 1);
	resets = 0;
}

START_TEST(pci_identity)
{
	struct pci_device *d = &vp.pci;
	unsigned c;

	ck_assert_uint_eq(pci_cfg_read(d, PCI_VENDOR_ID, 4), 0x10431af4);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_REVISION_ID, 4), 0x07800001);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x00031af4);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_INTERRUPT_PIN, 1), 1);
	pci_cfg_write(d, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_BASE_ADDRESS_0, 4), 0xffff8000);
	ck_assert_uint_eq(pci_cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);

	/* MSI-X first, 3 vectors (2 queues + config), table/PBA in BAR0. */
	c = pci_cfg_read(d, PCI_CAPABILITY_LIST, 1);
	ck_assert_uint_eq(c, 0x40);
	ck_assert_uint_eq(pci_cfg_read(d, c, 4) & 0xffff00ff, 0x00020011);
	ck_assert_uint_eq(pci_cfg_read(d, c + 4, 4), 0x4000);
	ck_assert_uint_eq(pci_cfg_read(d, c + 8, 4), 0x5000);
	/* Then common, notify, ISR and device config, in that order. */
	c = pci_cfg_read(d, c + 1, 1);
	ck_assert_uint_eq(pci_cfg_read(d, c, 1), 0x09);
	ck_assert_uint_eq(pci_cfg_read(d, c + 3, 1), 1);
	ck_assert_uint_eq(pci_cfg_read(d, c + 4, 1), 0);
	ck_assert_uint_eq(pci_cfg_read(d, c + 8, 4), 0);
	ck_assert_uint_eq(pci_cfg_read(d, c + 12, 4), 0x38);
	c = pci_cfg_read(d, c + 1, 1);
	ck_assert_uint_eq(pci_cfg_read(d, c + 2, 1), 20);
	ck_assert_uint_eq(pci_cfg_read(d, c + 3, 1), 2);
	ck_assert_uint_eq(pci_cfg_read(d, c + 8, 4), 0x3000);
	ck_assert_uint_eq(pci_cfg_read(d, c + 12, 4), 8);
	ck_assert_uint_eq(pci_cfg_read(d, c + 16, 4), 4);
	c = pci_cfg_read(d, c + 1, 1);
	ck_assert_uint_eq(pci_cfg_read(d, c + 3, 1), 3);
	ck_assert_uint_eq(pci_cfg_read(d, c + 8, 4), 0x1000);
	ck_assert_uint_eq(pci_cfg_read(d, c + 12, 4), 1);
	c = pci_cfg_read(d, c + 1, 1);
	ck_assert_uint_eq(pci_cfg_read(d, c + 3, 1), 4);
	ck_assert_uint_eq(pci_cfg_read(d, c + 8, 4), 0x2000);
	ck_assert_uint_eq(pci_cfg_read(d, c + 12, 4), 12);
	ck_assert_uint_eq(pci_cfg_read(d, c + 1, 1), 0);
}
END_TEST

START_TEST(init_too_many_queues)
{
	static struct virtio_pci v2;
	struct virtio_device_ops big = ops;

	big.n_queues = VIRTIO_MAX_QUEUES + 1;
	ck_assert_int_lt(virtio_pci_init(&v2, NULL, &big, NULL, devcfg), 0);
}
END_TEST

START_TEST(common_defaults)
{
	ck_assert_uint_eq(rd(NUM_QUEUES, 2), 2);
	ck_assert_uint_eq(rd(STATUS, 1), 0);
	ck_assert_uint_eq(rd(CONFIG_GEN, 1), 0);
	ck_assert_uint_eq(rd(MSIX_CONFIG, 2), 0xffff);
	ck_assert_uint_eq(rd(QUEUE_SEL, 2), 0);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 256);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 0xffff);
	ck_assert_uint_eq(rd(QUEUE_ENABLE, 2), 0);
	ck_assert_uint_eq(rd(QUEUE_NOFF, 2), 0);
	ck_assert_uint_eq(rd(QUEUE_DESC, 8), 0);
	wr(QUEUE_SEL, 2, 1);
	ck_assert_uint_eq(rd(QUEUE_SEL, 2), 1);
	ck_assert_uint_eq(rd(QUEUE_NOFF, 2), 1);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 256);
	/* A 4-byte read spanning num_queues and msix_config. */
	ck_assert_uint_eq(rd(MSIX_CONFIG, 4), 0x0002ffff);
	/* Reads past the common area's end return 0. */
	ck_assert_uint_eq(rd(0x36, 4), 0);
	ck_assert_uint_eq(rd(0x38, 1), 0);
}
END_TEST

START_TEST(device_features)
{
	ck_assert_uint_eq(rd(DEV_FEATURE, 4), 0x2);
	wr(DEV_FEATURE_SEL, 4, 1);
	ck_assert_uint_eq(rd(DEV_FEATURE_SEL, 4), 1);
	ck_assert_uint_eq(rd(DEV_FEATURE, 4), 0x1);     /* VERSION_1 is bit 32 */
	wr(DEV_FEATURE_SEL, 4, 2);
	ck_assert_uint_eq(rd(DEV_FEATURE, 4), 0);
	wr(DEV_FEATURE_SEL, 4, 0xffffffff);
	ck_assert_uint_eq(rd(DEV_FEATURE, 4), 0);
	/* Device features are read-only. */
	wr(DEV_FEATURE_SEL, 4, 0);
	wr(DEV_FEATURE, 4, 0xffffffff);
	ck_assert_uint_eq(rd(DEV_FEATURE, 4), 0x2);
}
END_TEST

START_TEST(queue_select_out_of_range)
{
	wr(QUEUE_SEL, 2, 2);
	ck_assert_uint_eq(rd(QUEUE_SEL, 2), 2);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 0);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 0xffff);
	ck_assert_uint_eq(rd(QUEUE_ENABLE, 2), 0);
	ck_assert_uint_eq(rd(QUEUE_NOFF, 2), 0);
	ck_assert_uint_eq(rd(QUEUE_DESC, 8), 0);
	/* Writes go nowhere. */
	wr(QUEUE_SIZE, 2, 64);
	wr(QUEUE_VECTOR, 2, 0);
	wr(QUEUE_ENABLE, 2, 1);
	wr(QUEUE_DESC, 8, 0x1000);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 0);
	ck_assert_uint_eq(rd(QUEUE_DESC, 8), 0);
	wr(QUEUE_SEL, 2, 0xffff);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 0);
	wr(QUEUE_SEL, 2, VIRTIO_MAX_QUEUES - 1);   /* exists in the array, not in the device */
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 0);
	wr(QUEUE_SEL, 2, 0);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 256);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 0xffff);
	ck_assert_uint_eq(rd(QUEUE_DESC, 8), 0);
}
END_TEST

START_TEST(queue_size)
{
	static const uint16_t bad[] = { 0, 3, 100, 255, 257, 384, 512, 0x8000, 0xffff };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(QUEUE_SIZE, 2, bad[i]);
		ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 256);
	}
	wr(QUEUE_SIZE, 2, 64);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 64);
	wr(QUEUE_SIZE, 2, 1);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 1);
	wr(QUEUE_SIZE, 2, 100);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 1);
	/* The other queue is separate. */
	wr(QUEUE_SEL, 2, 1);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 256);
	wr(QUEUE_SIZE, 2, 128);
	wr(QUEUE_SEL, 2, 0);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 1);
	/* An enabled queue's size is fixed. (Enabling needs vm->mem, so the
	 * ready flag is set directly.) */
	vp.vq[0].ready = true;
	wr(QUEUE_SIZE, 2, 32);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 1);
	ck_assert_uint_eq(rd(QUEUE_ENABLE, 2), 1);
}
END_TEST

START_TEST(vectors)
{
	ck_assert_uint_eq(vp.msix.n, 3);
	wr(QUEUE_VECTOR, 2, 2);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 2);
	wr(QUEUE_VECTOR, 2, 3);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 0xffff);
	wr(QUEUE_VECTOR, 2, 0);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 0);
	wr(QUEUE_VECTOR, 2, 0x8000);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 0xffff);
	wr(QUEUE_SEL, 2, 1);
	wr(QUEUE_VECTOR, 2, 1);
	wr(QUEUE_SEL, 2, 0);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 0xffff);
	wr(QUEUE_SEL, 2, 1);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 1);

	wr(MSIX_CONFIG, 2, 1);
	ck_assert_uint_eq(rd(MSIX_CONFIG, 2), 1);
	wr(MSIX_CONFIG, 2, 3);
	ck_assert_uint_eq(rd(MSIX_CONFIG, 2), 0xffff);
	wr(MSIX_CONFIG, 2, 0);
	ck_assert_uint_eq(rd(MSIX_CONFIG, 2), 0);
}
END_TEST

static void drv_features(uint64_t f)
{
	wr(DRV_FEATURE_SEL, 4, 0);
	wr(DRV_FEATURE, 4, (uint32_t)f);
	wr(DRV_FEATURE_SEL, 4, 1);
	wr(DRV_FEATURE, 4, (uint32_t)(f >> 32));
}

START_TEST(features_ok)
{
	wr(STATUS, 1, VIRTIO_STATUS_ACK);
	ck_assert_uint_eq(rd(STATUS, 1), 0x01);
	wr(STATUS, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
	ck_assert_uint_eq(rd(STATUS, 1), 0x03);

	/* Without VERSION_1: refused. */
	drv_features(1ULL << 1);
	wr(STATUS, 1, 0x0b);
	ck_assert_uint_eq(rd(STATUS, 1), 0x03);
	/* With a feature the device did not offer: refused. */
	drv_features(VIRTIO_F_VERSION_1 | 1ULL << 1 | 1ULL << 5);
	wr(STATUS, 1, 0x0b);
	ck_assert_uint_eq(rd(STATUS, 1), 0x03);
	drv_features(VIRTIO_F_VERSION_1 | 1ULL << 33);
	wr(STATUS, 1, 0x0b);
	ck_assert_uint_eq(rd(STATUS, 1), 0x03);
	/* A subset of what was offered: accepted. */
	drv_features(VIRTIO_F_VERSION_1 | 1ULL << 1);
	wr(DRV_FEATURE_SEL, 4, 0);
	ck_assert_uint_eq(rd(DRV_FEATURE, 4), 0x2);
	wr(DRV_FEATURE_SEL, 4, 1);
	ck_assert_uint_eq(rd(DRV_FEATURE, 4), 0x1);
	wr(DRV_FEATURE_SEL, 4, 2);
	ck_assert_uint_eq(rd(DRV_FEATURE, 4), 0);
	wr(DRV_FEATURE, 4, 0xffffffff);
	wr(STATUS, 1, 0x0b);
	ck_assert_uint_eq(rd(STATUS, 1), 0x0b);
	ck_assert_uint_eq(vp.drv_features, VIRTIO_F_VERSION_1 | 1ULL << 1);
	/* After FEATURES_OK the driver features are frozen. */
	drv_features(VIRTIO_F_VERSION_1);
	ck_assert_uint_eq(vp.drv_features, VIRTIO_F_VERSION_1 | 1ULL << 1);
	wr(STATUS, 1, 0x0f);
	ck_assert_uint_eq(rd(STATUS, 1), 0x0f);
}
END_TEST

START_TEST(features_version_only)
{
	drv_features(VIRTIO_F_VERSION_1);
	wr(STATUS, 1, 0x0b);
	ck_assert_uint_eq(rd(STATUS, 1), 0x0b);
}
END_TEST

START_TEST(status_reset)
{
	drv_features(VIRTIO_F_VERSION_1);
	wr(STATUS, 1, 0x0b);
	wr(DEV_FEATURE_SEL, 4, 1);
	wr(MSIX_CONFIG, 2, 0);
	wr(QUEUE_SEL, 2, 1);
	wr(QUEUE_SIZE, 2, 16);
	wr(QUEUE_VECTOR, 2, 1);
	wr(QUEUE_DESC, 8, 0x10000);
	ck_assert_int_eq(resets, 0);

	wr(STATUS, 1, 0);
	ck_assert_int_eq(resets, 1);
	ck_assert_uint_eq(rd(STATUS, 1), 0);
	ck_assert_uint_eq(rd(DEV_FEATURE_SEL, 4), 0);
	ck_assert_uint_eq(rd(DRV_FEATURE_SEL, 4), 0);
	ck_assert_uint_eq(rd(DRV_FEATURE, 4), 0);
	ck_assert_uint_eq(vp.drv_features, 0);
	ck_assert_uint_eq(rd(MSIX_CONFIG, 2), 0xffff);
	ck_assert_uint_eq(rd(QUEUE_SEL, 2), 0);
	wr(QUEUE_SEL, 2, 1);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 256);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 0xffff);
	ck_assert_uint_eq(rd(QUEUE_DESC, 8), 0);
	/* Driver features can be written again. */
	drv_features(VIRTIO_F_VERSION_1 | 2);
	ck_assert_uint_eq(vp.drv_features, VIRTIO_F_VERSION_1 | 2);
}
END_TEST

START_TEST(wrong_width_ignored)
{
	wr(STATUS, 2, 0x03);
	wr(STATUS, 4, 0x03);
	ck_assert_uint_eq(rd(STATUS, 1), 0);
	wr(QUEUE_SEL, 4, 1);
	wr(QUEUE_SEL, 1, 1);
	ck_assert_uint_eq(rd(QUEUE_SEL, 2), 0);
	wr(QUEUE_SIZE, 4, 64);
	wr(QUEUE_SIZE, 1, 64);
	ck_assert_uint_eq(rd(QUEUE_SIZE, 2), 256);
	wr(DEV_FEATURE_SEL, 2, 1);
	wr(DEV_FEATURE_SEL, 8, 1);
	ck_assert_uint_eq(rd(DEV_FEATURE_SEL, 4), 0);
	wr(MSIX_CONFIG, 4, 0);
	ck_assert_uint_eq(rd(MSIX_CONFIG, 2), 0xffff);
	wr(QUEUE_VECTOR, 4, 0);
	ck_assert_uint_eq(rd(QUEUE_VECTOR, 2), 0xffff);
	wr(DRV_FEATURE, 2, 0xffff);
	ck_assert_uint_eq(vp.drv_features, 0);
	/* Read-only fields. */
	wr(NUM_QUEUES, 2, 7);
	wr(CONFIG_GEN, 1, 7);
	wr(QUEUE_NOFF, 2, 7);
	ck_assert_uint_eq(rd(NUM_QUEUES, 2), 2);
	ck_assert_uint_eq(rd(CONFIG_GEN, 1), 0);
	ck_assert_uint_eq(rd(QUEUE_NOFF, 2), 0);
	ck_assert_int_eq(resets, 0);
}
END_TEST

START_TEST(ring_addresses)
{
	wr(QUEUE_DESC, 4, 0x12345000);
	wr(QUEUE_DESC + 4, 4, 0x1);
	ck_assert_uint_eq(rd(QUEUE_DESC, 8), 0x112345000ULL);
	ck_assert_uint_eq(rd(QUEUE_DESC + 4, 4), 0x1);
	wr(QUEUE_DESC, 4, 0x6000);
	ck_assert_uint_eq(rd(QUEUE_DESC, 8), 0x100006000ULL);
	wr(QUEUE_DRIVER, 8, 0xabcdef000ULL);
	wr(QUEUE_DEVICE, 8, 0xfffffffffffff000ULL);
	ck_assert_uint_eq(vp.vq[0].avail_gpa, 0xabcdef000ULL);
	ck_assert_uint_eq(rd(QUEUE_DEVICE, 8), 0xfffffffffffff000ULL);
	/* Wrong width or misaligned: dropped. */
	wr(QUEUE_DESC, 2, 0);
	wr(QUEUE_DESC + 2, 4, 0);
	wr(QUEUE_DESC + 4, 8, 0);
	wr(QUEUE_DRIVER + 1, 1, 0);
	ck_assert_uint_eq(vp.vq[0].desc_gpa, 0x100006000ULL);
	ck_assert_uint_eq(vp.vq[0].avail_gpa, 0xabcdef000ULL);
	/* Per queue. */
	wr(QUEUE_SEL, 2, 1);
	ck_assert_uint_eq(rd(QUEUE_DESC, 8), 0);
	wr(QUEUE_DEVICE + 4, 4, 0x2);
	ck_assert_uint_eq(vp.vq[1].used_gpa, 0x200000000ULL);
	ck_assert_uint_eq(vp.vq[0].used_gpa, 0xfffffffffffff000ULL);
	/* An enabled queue's rings are fixed. */
	wr(QUEUE_SEL, 2, 0);
	vp.vq[0].ready = true;
	wr(QUEUE_DESC, 8, 0x8000);
	ck_assert_uint_eq(vp.vq[0].desc_gpa, 0x100006000ULL);
}
END_TEST

START_TEST(notify_not_live)
{
	wr(VIRTIO_NOTIFY_OFF, 2, 0);
	wr(VIRTIO_NOTIFY_OFF + 4, 2, 1);
	ck_assert_int_eq(notifies, 0);
	drv_features(VIRTIO_F_VERSION_1);
	wr(STATUS, 1, 0x0f);
	wr(VIRTIO_NOTIFY_OFF, 2, 0);
	wr(VIRTIO_NOTIFY_OFF + 4, 2, 1);
	ck_assert_int_eq(notifies, 0);
	ck_assert(!virtio_pci_queue_live(&vp, 0));
}
END_TEST

START_TEST(notify_live)
{
	/* Positive control: enabling needs vm->mem, so mark queue 0 ready. */
	drv_features(VIRTIO_F_VERSION_1);
	wr(STATUS, 1, 0x0f);
	vp.vq[0].ready = true;
	ck_assert(virtio_pci_queue_live(&vp, 0));
	ck_assert(!virtio_pci_queue_live(&vp, 1));
	ck_assert(!virtio_pci_queue_live(&vp, 2));
	wr(VIRTIO_NOTIFY_OFF, 2, 0);
	ck_assert_int_eq(notifies, 1);
	ck_assert_int_eq(last_queue, 0);
	wr(VIRTIO_NOTIFY_OFF + 4, 2, 1);
	wr(VIRTIO_NOTIFY_OFF + 8, 2, 2);        /* past the last queue */
	wr(VIRTIO_NOTIFY_OFF - 2, 2, 0);
	ck_assert_int_eq(notifies, 1);
	wr(VIRTIO_NOTIFY_OFF + 2, 2, 0);        /* still queue 0's slot */
	ck_assert_int_eq(notifies, 2);

	/* DRIVER_OK cleared: not live. */
	wr(STATUS, 1, 0x0b);
	wr(VIRTIO_NOTIFY_OFF, 2, 0);
	ck_assert_int_eq(notifies, 2);
	/* Reset: not ready any more. */
	wr(STATUS, 1, 0);
	ck_assert(!vp.vq[0].ready);
	wr(STATUS, 1, 0x0f);
	wr(VIRTIO_NOTIFY_OFF, 2, 0);
	ck_assert_int_eq(notifies, 2);
}
END_TEST

START_TEST(broken_queue_needs_reset)
{
	log_verbosity = LOG_ERROR;      /* the warning is expected */
	drv_features(VIRTIO_F_VERSION_1);
	wr(STATUS, 1, 0x0f);
	vp.vq[0].ready = true;
	virtio_pci_queue_broken(&vp, 0, "test");
	ck_assert_uint_eq(vp.broken, 1);
	ck_assert(!vp.vq[0].ready);
	ck_assert_uint_eq(rd(STATUS, 1), 0x4f);
	/* MSI-X is off, so the config change goes out on INTx. */
	ck_assert_uint_eq(pci_cfg_read(&vp.pci, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT,
			  PCI_STATUS_INTERRUPT);
	/* NEEDS_RESET sticks through status writes, but not a reset. */
	wr(STATUS, 1, 0x0f);
	ck_assert_uint_eq(rd(STATUS, 1), 0x4f);
	vp.vq[0].ready = true;
	ck_assert(!virtio_pci_queue_live(&vp, 0));
	/* Reading the ISR returns and clears it, and lowers INTx. */
	ck_assert_uint_eq(rd(VIRTIO_ISR_OFF, 1), 0x2);
	ck_assert_uint_eq(pci_cfg_read(&vp.pci, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
	ck_assert_uint_eq(rd(VIRTIO_ISR_OFF, 1), 0);
	wr(STATUS, 1, 0);
	ck_assert_uint_eq(rd(STATUS, 1), 0);
	/* Signalling a queue the device does not have does nothing, nor
	 * does signalling one the guest never enabled (it has no rings). */
	virtio_pci_signal_queue(&vp, 2);
	ck_assert_uint_eq(rd(VIRTIO_ISR_OFF, 1), 0);
	vp.vq[1].ready = false;
	virtio_pci_signal_queue(&vp, 1);
	ck_assert_uint_eq(rd(VIRTIO_ISR_OFF, 1), 0);
}
END_TEST

START_TEST(device_config_area)
{
	ck_assert_uint_eq(rd(VIRTIO_DEVCFG_OFF, 4), 0x13121110);
	ck_assert_uint_eq(rd(VIRTIO_DEVCFG_OFF + 8, 4), 0x1b1a1918);
	ck_assert_uint_eq(rd(VIRTIO_DEVCFG_OFF + 4, 8), 0x1b1a191817161514ULL);
	ck_assert_uint_eq(rd(VIRTIO_DEVCFG_OFF + 11, 1), 0x1b);
	ck_assert_uint_eq(rd(VIRTIO_DEVCFG_OFF + 10, 4), 0);
	ck_assert_uint_eq(rd(VIRTIO_DEVCFG_OFF + 12, 1), 0);
	/* Unused parts of the BAR read as zero. */
	ck_assert_uint_eq(rd(0x7ffc, 4), 0);
	ck_assert_uint_eq(rd(VIRTIO_NOTIFY_OFF, 2), 0);
}
END_TEST

START_TEST(msix_through_bar)
{
	wr(VIRTIO_MSIX_OFF + 16, 4, 0xfee00000);
	wr(VIRTIO_MSIX_OFF + 24, 8, 0x41);
	ck_assert_uint_eq(rd(VIRTIO_MSIX_OFF + 16, 4), 0xfee00000);
	ck_assert_uint_eq(rd(VIRTIO_MSIX_OFF + 24, 8), 0x41);
	ck_assert_uint_eq(rd(VIRTIO_MSIX_OFF + 12, 4), MSIX_VEC_MASKED);
	/* Past the three entries. */
	wr(VIRTIO_MSIX_OFF + 48, 4, 0x1234);
	ck_assert_uint_eq(rd(VIRTIO_MSIX_OFF + 48, 4), 0);
	ck_assert_uint_eq(rd(VIRTIO_PBA_OFF, 8), 0);
	/* The capability's enable bit, through config space. */
	pci_guest_cfg_write(&vp.pci, vp.msix.cap + 2, 2, MSIX_CTRL_ENABLE);
	ck_assert(msix_enabled(&vp.msix));
	ck_assert(msix_fire(&vp.msix, 1));
	ck_assert(!msix_fire(&vp.msix, 0));
	ck_assert_uint_eq(rd(VIRTIO_PBA_OFF, 4), 1);
}
END_TEST

Suite *virtio_pci_suite(void)
{
	Suite *s = suite_create("virtio_pci");
	TCase *tc = tcase_create("common_config");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, pci_identity);
	tcase_add_test(tc, init_too_many_queues);
	tcase_add_test(tc, common_defaults);
	tcase_add_test(tc, device_features);
	tcase_add_test(tc, queue_select_out_of_range);
	tcase_add_test(tc, queue_size);
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, features_ok);
	tcase_add_test(tc, features_version_only);
	tcase_add_test(tc, status_reset);
	tcase_add_test(tc, wrong_width_ignored);
	tcase_add_test(tc, ring_addresses);
	tcase_add_test(tc, notify_not_live);
	tcase_add_test(tc, notify_live);
	tcase_add_test(tc, broken_queue_needs_reset);
	tcase_add_test(tc, device_config_area);
	tcase_add_test(tc, msix_through_bar);
	suite_add_tcase(s, tc);
	return s;
}
