/* Tests of the host-side PCI and VFIO sysfs code (vfio/host/host_pci.h) on a
 * fake sysfs tree: PCI address parsing, device and group queries, viability
 * verdicts, the variant-driver choice, the bind/unbind write sequences (with
 * a writer that acts like the kernel) and the error texts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "suites.h"
#include "../../vfio/host/host_pci.h"
#include "../../vfio/host/commands.h"
#include "../../vmm/log.h"
#include "../support/fake_sysfs.h"

static char base[FAKE_SYSFS_PATH - 64]; /* mkdtemp(): removed after the last test */
static struct fake_sysfs T;             /* this test's tree, under base */
static char err[HOST_PCI_ERR_LEN];

/* ---- the fake tree ---- */

static const struct fake_sysfs_dev devs[] = {
	{ "0000:00:00.0", 0x8086, 0x29c0, 0x1af4, 0x1100, 0x060000, NULL, 0, NULL, NULL },
	{ "0000:00:01.0", 0x8086, 0x7450, 0, 0, 0x060400, "pcieport", 1, "pcieport", NULL },
	{ "0000:00:03.0", 0x1b36, 0x0010, 0x1af4, 0x1100, 0x010802, "nvme", 3, "nvme", NULL },
	{ "0000:00:04.0", 0x1af4, 0x1041, 0x1af4, 0x1100, 0x020000, "vfio-pci", 4, NULL, NULL },
	{ "0000:00:05.0", 0x1af4, 0x1042, 0x1af4, 0x1100, 0x010000, "vfio-pci", 10, NULL, NULL },
	{ "0000:00:06.0", 0x1af4, 0x1043, 0x1af4, 0x1100, 0x078000, "virtio-pci", -1, "virtio-pci", NULL },
	{ "0000:00:1c.0", 0x8086, 0x2940, 0, 0, 0x060400, "shpchp", 11, "shpchp", NULL },
	{ "0000:00:1f.0", 0x8086, 0x2918, 0x1af4, 0x1100, 0x060100, "lpc_ich", 5, "lpc_ich", NULL },
	{ "0000:00:1f.2", 0x8086, 0x2922, 0x1af4, 0x1100, 0x010601, "ahci", 5, "ahci", NULL },
	{ "0000:00:1f.3", 0x8086, 0x2930, 0x1af4, 0x1100, 0x0c0500, "i801_smbus", 5, "i801_smbus", NULL },
	{ "0000:02:00.0", 0x10de, 0x1b80, 0x10de, 0x119d, 0x030000, "vfio-pci", 6, NULL, NULL },
	{ "0000:02:00.1", 0x10de, 0x10f0, 0x10de, 0x119d, 0x040300, "snd_hda_intel", 6, "snd_hda_intel", NULL },
	{ "0000:03:00.0", 0x15b3, 0x101e, 0x15b3, 0x0002, 0x020000, "mlx5_core", 7, "mlx5_core", NULL },
	{ "0000:03:00.1", 0x15b3, 0x1017, 0x15b3, 0x0002, 0x020000, "mlx5_core", 12, "mlx5_core", NULL },
	{ "0000:03:00.2", 0x15b3, 0x101e, 0x15b3, 0x0001, 0x020000, "mlx5_core", 13, "mlx5_core", NULL },
	{ "0000:04:00.0", 0x1dd8, 0x1003, 0x1dd8, 0x0001, 0x120000, NULL, 8, NULL, NULL },
	{ "0000:05:00.0", 0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000, "pci-stub", 9, NULL, NULL },
	{ "0000:05:00.1", 0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000, NULL, 9, NULL, NULL },
	{ "0000:06:00.0", 0xabcd, 0x0001, 0, 0, 0xff0000, "xvf", 11, NULL, NULL },
	{ "0000:07:00.0", 0x1234, 0x5678, 0, 0, 0x058000, "oddball", 14, NULL, NULL },
};

static const char *const loaded[][2] = {
	{ "vfio-pci", "vfio_pci" }, { "mlx5_vfio_pci", "mlx5_vfio_pci" },
	{ "nvme", "nvme" }, { "ahci", "ahci" }, { "lpc_ich", "lpc_ich" },
	{ "i801_smbus", "i2c_i801" }, { "pcieport", NULL }, { "shpchp", NULL },
	{ "snd_hda_intel", "snd_hda_intel" }, { "mlx5_core", "mlx5_core" },
	{ "pci-stub", "pci_stub" }, { "virtio-pci", "virtio_pci" },
	{ "xvf", "xvf_mod" }, { "oddball", "oddball" },
};

/* Aliases of differing specificity; the vendor-wide mlx5 one comes first so
 * that the order in the file cannot be what decides. */
static const char modules_alias[] =
	"alias pci:v00001B36d00000010sv*sd*bc*sc*i* nvme\n"
	"alias vfio_pci:v000015B3d*sv*sd*bc*sc*i* mlx5_any_vfio_pci\n"
	"alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
	"alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
	"alias vfio_pci:v000015B3d0000101Esv000015B3sd00000001bc*sc*i* mlx5_sub_vfio_pci\n"
	"alias vfio_pci:v00001DD8d00001003sv*sd*bc*sc*i* pds_vfio_pci\n"
	"alias vfio_pci:v00001DD8d*sv*sd*bc12sc*i* pds_tie_vfio_pci\n"
	"alias vfio_pci:v0000ABCDd*sv*sd*bc*sc*i* xvf_mod\n"
	"alias pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_core\n";

static void build_tree(void)
{
	size_t i;

	fake_sysfs_create(&T, base);
	fake_sysfs_set_aliases(&T, modules_alias);
	fake_sysfs_put(&T, "", "sys/bus/pci/drivers_probe");
	for (i = 0; i < sizeof(loaded) / sizeof(loaded[0]); i++)
		fake_sysfs_add_driver(&T, loaded[i][0], loaded[i][1]);
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		fake_sysfs_add_device(&T, &devs[i]);
	/* vfio has group 4 and 6 open; group 10's node is missing. */
	fake_sysfs_add_group_node(&T, 4);
	fake_sysfs_add_group_node(&T, 6);
	host_pci_set_root(T.sys, T.mod);
	host_pci_set_dirs(T.dev, T.run);
	host_pci_set_writer(NULL);
}

static void remove_tree(void)
{
	fake_sysfs_remove(&T);
	host_pci_set_root(NULL, NULL);
	host_pci_set_dirs(NULL, NULL);
	host_pci_set_writer(NULL);
}

/* In the runner, around all the tree tests: a failed test exits before its
 * own teardown, so base is what gets everything removed. */
static void make_base(void)
{
	snprintf(base, sizeof(base), "/tmp/conduit-host-pci-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
}

static void remove_base(void)
{
	fake_sysfs_remove_dir(base);
}

static struct pci_addr A(const char *s)
{
	struct pci_addr a;

	ck_assert_msg(pci_addr_parse(s, &a, err, sizeof(err)) == 0, "%s: %s", s, err);
	return a;
}

static void dev_file(const char *bdf, const char *attr, char *buf, size_t len)
{
	fake_sysfs_read(&T, buf, len, "sys/bus/pci/devices/%s/%s", bdf, attr);
}

static void drv(const char *bdf, char *buf, size_t len)
{
	struct pci_addr a = A(bdf);

	ck_assert_int_eq(host_pci_driver(&a, buf, len), 0);
}

/* ---- a writer that acts like the kernel ---- */

#define MAX_LOG 16

static struct {
	int n;
	char path[MAX_LOG][PATH_MAX];
	char value[MAX_LOG][HOST_PCI_NAME_LEN];
} wlog;

static bool ends_with(const char *s, const char *tail)
{
	size_t ls = strlen(s), lt = strlen(tail);

	return ls >= lt && !strcmp(s + ls - lt, tail);
}

static const struct fake_sysfs_dev *find_dev(const char *bdf)
{
	size_t i;

	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (!strcmp(devs[i].bdf, bdf))
			return &devs[i];
	return NULL;
}

static void set_driver(const char *bdf, const char *driver)
{
	char path[PATH_MAX + 64], target[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", T.sys, driver);
	if (access(path, F_OK))
		return;         /* not loaded: nothing binds */
	snprintf(target, sizeof(target), "../../drivers/%s", driver);
	fake_sysfs_link(&T, target, "sys/bus/pci/devices/%s/driver", bdf);
}

static void kernel_probe(const char *bdf)
{
	const struct fake_sysfs_dev *d = find_dev(bdf);
	char override[HOST_PCI_NAME_LEN], path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", T.sys, bdf);
	if (!d || access(path, F_OK) == 0)
		return;         /* already bound: probing does nothing */
	dev_file(bdf, "driver_override", override, sizeof(override));
	override[strcspn(override, "\n")] = '\0';
	if (strcmp(override, "(null)"))
		set_driver(bdf, override);
	else if (d->native)
		set_driver(bdf, d->native);
}

static int fake_kernel(const char *path, const char *value, char *e, size_t elen)
{
	char dir[PATH_MAX];

	ck_assert_int_lt(wlog.n, MAX_LOG);
	snprintf(wlog.path[wlog.n], PATH_MAX, "%s", path);
	snprintf(wlog.value[wlog.n], HOST_PCI_NAME_LEN, "%s", value);
	wlog.n++;
	if (ends_with(path, "/driver_override")) {
		fake_sysfs_put_at(path, strcmp(value, "\n") ? value : "(null)\n");
	} else if (ends_with(path, "/driver/unbind")) {
		snprintf(dir, sizeof(dir), "%.*s/driver", (int)(strlen(path) - 14), path);
		unlink(dir);
	} else if (ends_with(path, "/drivers_probe")) {
		kernel_probe(value);
	} else if (ends_with(path, "/bind")) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(strlen(path) - 5), path);
		set_driver(value, strrchr(dir, '/') + 1);
	} else {
		snprintf(e, elen, "unexpected write to %s", path);
		return -1;
	}
	return 0;
}

static void use_fake_kernel(void)
{
	memset(&wlog, 0, sizeof(wlog));
	host_pci_set_writer(fake_kernel);
}

static void expect_write(int i, const char *tail, const char *value)
{
	ck_assert_int_lt(i, wlog.n);
	ck_assert_msg(ends_with(wlog.path[i], tail), "write %d went to %s, want *%s",
		      i, wlog.path[i], tail);
	ck_assert_str_eq(wlog.value[i], value);
}

static void expect_plan(const struct host_pci_plan *p, int i, const char *tail,
			const char *value)
{
	ck_assert_int_lt(i, p->n);
	ck_assert_msg(ends_with(p->w[i].path, tail), "write %d goes to %s, want *%s",
		      i, p->w[i].path, tail);
	ck_assert_msg(!strncmp(p->w[i].path, T.sys, strlen(T.sys)),
		      "write %d outside the fake tree: %s", i, p->w[i].path);
	ck_assert_str_eq(p->w[i].value, value);
}

static void assert_one_line(const char *s)
{
	ck_assert_msg(s[0] != '\0', "empty message");
	ck_assert_msg(strchr(s, '\n') == NULL, "message has a newline: %s", s);
}

#define assert_has(s, sub) \
	ck_assert_msg(strstr((s), (sub)) != NULL, "'%s' lacks '%s'", (s), (sub))
#define assert_lacks(s, sub) \
	ck_assert_msg(strstr((s), (sub)) == NULL, "'%s' has '%s'", (s), (sub))

/* ---- PCI addresses ---- */

static void addr_ok(const char *s, unsigned dom, unsigned bus, unsigned dev, unsigned fn)
{
	struct pci_addr a;

	ck_assert_msg(pci_addr_parse(s, &a, err, sizeof(err)) == 0, "'%s' rejected: %s", s, err);
	ck_assert_uint_eq(a.domain, dom);
	ck_assert_uint_eq(a.bus, bus);
	ck_assert_uint_eq(a.dev, dev);
	ck_assert_uint_eq(a.fn, fn);
}

static void addr_bad(const char *s, const char *why)
{
	struct pci_addr a = { 0x1111, 0x22, 0x03, 0x4 };

	err[0] = '\0';
	ck_assert_msg(pci_addr_parse(s, &a, err, sizeof(err)) == -1, "'%s' accepted", s ? s : "NULL");
	assert_has(err, "DDDD:BB:DD.F");
	assert_has(err, "0000:03:00.0");
	assert_has(err, why);
	assert_one_line(err);
	ck_assert_uint_eq(a.domain, 0x1111);    /* untouched on error */
	ck_assert_uint_eq(a.bus, 0x22);
	ck_assert_uint_eq(a.dev, 0x03);
	ck_assert_uint_eq(a.fn, 0x4);
}

START_TEST(addr_good_forms)
{
	addr_ok("0000:03:00.0", 0, 3, 0, 0);
	addr_ok("03:00.0", 0, 3, 0, 0);
	addr_ok("0001:ff:1f.7", 1, 0xff, 0x1f, 7);
	addr_ok("ABCD:EF:1F.7", 0xabcd, 0xef, 0x1f, 7);
	addr_ok("abcd:eF:0a.3", 0xabcd, 0xef, 0x0a, 3);
	addr_ok("ffff:00:00.0", 0xffff, 0, 0, 0);
	addr_ok("00:1f.3", 0, 0, 0x1f, 3);
}
END_TEST

START_TEST(addr_bad_forms)
{
	addr_bad(NULL, "no PCI address");
	addr_bad("", "no PCI address");
	addr_bad("zz", "'zz' is not a PCI address");
	addr_bad("3:0.0", "not a PCI address");          /* short fields are rejected */
	addr_bad("0:03:00.0", "not a PCI address");
	addr_bad("0000:3:00.0", "not a PCI address");
	addr_bad("0000:03:0.0", "not a PCI address");
	addr_bad("03:00", "not a PCI address");
	addr_bad("03:00.", "not a PCI address");
	addr_bad("0000:03:00", "not a PCI address");
	addr_bad("0000:03:00.00", "not a PCI address");
	addr_bad("00000:03:00.0", "not a PCI address");
	addr_bad("0000:03:00.0 ", "not a PCI address");
	addr_bad(" 03:00.0", "not a PCI address");
	addr_bad("0000:03:00.0x", "not a PCI address");
	addr_bad("0000-03-00.0", "not a PCI address");
	addr_bad("0000:03.00:0", "not a PCI address");
	addr_bad("03:00:0", "not a PCI address");
	addr_bad("g000:03:00.0", "not a PCI address");
	addr_bad("0000:0g:00.0", "not a PCI address");
	addr_bad("+3:00.0", "not a PCI address");
	addr_bad("0x03:00.0", "not a PCI address");
	addr_bad("0000:03:20.0", "device 20 is out of range");
	addr_bad("0000:00:99.0", "device 99 is out of range");
	addr_bad("03:ff.0", "device ff is out of range");
	addr_bad("0000:03:00.8", "function 8 is out of range");
	addr_bad("03:00.f", "function f is out of range");
}
END_TEST

START_TEST(addr_format)
{
	struct pci_addr a = { 0, 3, 0, 0 }, b = { 0xabcd, 0xef, 0x1f, 7 };
	char out[PCI_ADDR_STRLEN];

	pci_addr_format(&a, out);
	ck_assert_str_eq(out, "0000:03:00.0");
	pci_addr_format(&b, out);
	ck_assert_str_eq(out, "abcd:ef:1f.7");
	ck_assert(pci_addr_equal(&b, &b));
	ck_assert(!pci_addr_equal(&a, &b));
	b = A("03:00.0");
	ck_assert(pci_addr_equal(&a, &b));
}
END_TEST

/* ---- queries ---- */

START_TEST(query_device)
{
	struct pci_addr a = A("0000:00:03.0"), missing = A("00:1e.0");
	char name[HOST_PCI_NAME_LEN];
	uint16_t ven, dev;
	uint32_t cls;

	ck_assert(host_pci_exists(&a));
	ck_assert(!host_pci_exists(&missing));
	ck_assert_int_eq(host_pci_ids(&a, &ven, &dev), 0);
	ck_assert_uint_eq(ven, 0x1b36);
	ck_assert_uint_eq(dev, 0x0010);
	ck_assert_int_eq(host_pci_class(&a, &cls), 0);
	ck_assert_uint_eq(cls, 0x010802);
	ck_assert_int_eq(host_pci_driver(&a, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "nvme");
	ck_assert_int_eq(host_pci_iommu_group(&a), 3);
	ck_assert_int_eq(host_pci_ids(&missing, &ven, &dev), -1);
	ck_assert_int_eq(host_pci_driver(&missing, name, sizeof(name)), -1);
	ck_assert_int_eq(host_pci_iommu_group(&missing), -1);
}
END_TEST

START_TEST(query_no_driver_no_group)
{
	char name[HOST_PCI_NAME_LEN] = "junk";
	struct pci_addr a = A("04:00.0"), b = A("00:06.0");

	ck_assert_int_eq(host_pci_driver(&a, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "");
	ck_assert_int_eq(host_pci_iommu_group(&b), -1);
	ck_assert(host_pci_iommu_enabled());
}
END_TEST

START_TEST(query_list)
{
	struct pci_addr *list;
	char bdf[PCI_ADDR_STRLEN];
	size_t n, i;

	ck_assert_int_eq(host_pci_list(&list, &n), 0);
	ck_assert_uint_eq(n, sizeof(devs) / sizeof(devs[0]));
	for (i = 0; i < n; i++) {
		pci_addr_format(&list[i], bdf);
		ck_assert_str_eq(bdf, devs[i].bdf);     /* devs[] is sorted */
	}
	free(list);
}
END_TEST

START_TEST(query_iommu_off)
{
	char path[PATH_MAX + 64];
	struct pci_addr *list;
	size_t n;

	/* A host with devices but no /sys/kernel/iommu_groups. */
	fake_sysfs_mkdir(&T, "off/bus/pci/devices/0000:00:01.0");
	snprintf(path, sizeof(path), "%s/off", T.root);
	host_pci_set_root(path, T.mod);
	ck_assert(!host_pci_iommu_enabled());
	ck_assert_int_eq(host_pci_list(&list, &n), 0);
	ck_assert_uint_eq(n, 1);
	free(list);
	snprintf(path, sizeof(path), "%s/nothing", T.root);
	host_pci_set_root(path, T.mod);
	ck_assert_int_eq(host_pci_list(&list, &n), -1);
}
END_TEST

START_TEST(query_group_members)
{
	struct host_pci_member *m;
	size_t n;

	ck_assert_int_eq(host_pci_group_members(5, &m, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(m[0].name, "0000:00:1f.0");
	ck_assert_str_eq(m[0].driver, "lpc_ich");
	ck_assert_str_eq(m[1].name, "0000:00:1f.2");
	ck_assert_str_eq(m[1].driver, "ahci");
	ck_assert_str_eq(m[2].name, "0000:00:1f.3");
	ck_assert_str_eq(m[2].driver, "i801_smbus");
	ck_assert(m[2].pci);
	ck_assert_uint_eq(m[2].addr.dev, 0x1f);
	ck_assert_uint_eq(m[2].addr.fn, 3);
	free(m);
	ck_assert_int_eq(host_pci_group_members(9, &m, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(m[0].driver, "pci-stub");
	ck_assert_str_eq(m[1].driver, "");
	free(m);
	ck_assert_int_eq(host_pci_group_members(99, &m, &n), -1);
}
END_TEST

START_TEST(query_vfio_dev_node)
{
	ck_assert_int_eq(host_pci_vfio_dev_access(4), 0);
	ck_assert_int_eq(host_pci_vfio_dev_access(10), -ENOENT);
}
END_TEST

START_TEST(query_vfio_dev_permission)
{
	char path[PATH_MAX + 64];

	if (geteuid() == 0)
		return;         /* root may open anything */
	snprintf(path, sizeof(path), "%s/vfio/4", T.dev);
	chmod(path, 0400);
	ck_assert_int_eq(host_pci_vfio_dev_access(4), -EACCES);
}
END_TEST

START_TEST(query_vfio_drivers)
{
	ck_assert(host_pci_driver_is_vfio("vfio-pci"));
	ck_assert(host_pci_driver_is_vfio("vfio_pci"));
	ck_assert(host_pci_driver_is_vfio("mlx5_vfio_pci"));
	ck_assert(host_pci_driver_is_vfio("hisi-acc-vfio-pci"));
	ck_assert(host_pci_driver_is_vfio("xvf"));       /* its module has a vfio_pci alias */
	ck_assert(!host_pci_driver_is_vfio("nvme"));
	ck_assert(!host_pci_driver_is_vfio("pci-stub"));
	ck_assert(!host_pci_driver_is_vfio("vfio"));
	ck_assert(!host_pci_driver_is_vfio("notvfio_pcix"));
	ck_assert(!host_pci_driver_is_vfio(""));
	ck_assert(!host_pci_driver_is_vfio(NULL));
}
END_TEST

START_TEST(query_bridges)
{
	ck_assert(host_pci_is_bridge(0x060400));
	ck_assert(host_pci_is_bridge(0x060401));
	ck_assert(host_pci_is_bridge(0x060700));
	ck_assert(host_pci_is_bridge(0x060900));
	ck_assert(!host_pci_is_bridge(0x060000));
	ck_assert(!host_pci_is_bridge(0x060100));
	ck_assert(!host_pci_is_bridge(0x010802));
	ck_assert(host_pci_is_host_bridge(0x060000));
	ck_assert(!host_pci_is_host_bridge(0x060400));
}
END_TEST

/* ---- group viability and verdicts ---- */

START_TEST(viable_groups)
{
	struct pci_addr ahci = A("00:1f.2"), audio = A("02:00.1");

	ck_assert_int_eq(host_pci_group_viable(3, NULL), 0);     /* nvme bound */
	ck_assert_int_eq(host_pci_group_viable(4, NULL), 1);     /* vfio-pci */
	ck_assert_int_eq(host_pci_group_viable(0, NULL), 1);     /* no driver */
	ck_assert_int_eq(host_pci_group_viable(1, NULL), 1);     /* pcieport */
	ck_assert_int_eq(host_pci_group_viable(9, NULL), 1);     /* pci-stub + none */
	ck_assert_int_eq(host_pci_group_viable(5, NULL), 0);
	ck_assert_int_eq(host_pci_group_viable(5, &ahci), 0);    /* two others bound */
	ck_assert_int_eq(host_pci_group_viable(6, NULL), 0);     /* audio on snd_hda_intel */
	ck_assert_int_eq(host_pci_group_viable(6, &audio), 1);   /* ...which is the one to bind */
	ck_assert_int_eq(host_pci_group_viable(11, NULL), 0);    /* bridge on shpchp */
	ck_assert_int_eq(host_pci_group_viable(99, NULL), -1);
}
END_TEST

START_TEST(member_rule)
{
	struct host_pci_member m = { .pci = true };

	ck_assert(host_pci_member_ok(&m));
	strcpy(m.driver, "vfio-pci");
	ck_assert(host_pci_member_ok(&m));
	strcpy(m.driver, "mlx5_vfio_pci");
	ck_assert(host_pci_member_ok(&m));
	strcpy(m.driver, "pci-stub");
	ck_assert(host_pci_member_ok(&m));
	strcpy(m.driver, "pcieport");
	ck_assert(host_pci_member_ok(&m));
	strcpy(m.driver, "shpchp");
	ck_assert(!host_pci_member_ok(&m));
	strcpy(m.driver, "nvme");
	ck_assert(!host_pci_member_ok(&m));
}
END_TEST

static enum host_pci_verdict verdict(const char *bdf, char *why, size_t len)
{
	struct pci_addr a = A(bdf);

	return host_pci_verdict(&a, why, len);
}

START_TEST(verdicts)
{
	char why[HOST_PCI_ERR_LEN];

	ck_assert_int_eq(verdict("00:04.0", why, sizeof(why)), HOST_PCI_READY);
	ck_assert_int_eq(verdict("00:03.0", why, sizeof(why)), HOST_PCI_BINDABLE);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(verdict("04:00.0", why, sizeof(why)), HOST_PCI_BINDABLE);
	ck_assert_str_eq(why, "after 'modprobe pds_vfio_pci'");
	ck_assert_int_eq(verdict("05:00.0", why, sizeof(why)), HOST_PCI_BINDABLE);
	ck_assert_int_eq(verdict("05:00.1", why, sizeof(why)), HOST_PCI_BINDABLE);
	ck_assert_int_eq(verdict("02:00.1", why, sizeof(why)), HOST_PCI_BINDABLE);

	ck_assert_int_eq(verdict("00:01.0", why, sizeof(why)), HOST_PCI_NO);
	assert_has(why, "PCI bridge");
	ck_assert_int_eq(verdict("00:00.0", why, sizeof(why)), HOST_PCI_NO);
	assert_has(why, "host bridge");
	ck_assert_int_eq(verdict("00:06.0", why, sizeof(why)), HOST_PCI_NO);
	assert_has(why, "no IOMMU group");
	ck_assert_int_eq(verdict("00:1e.0", why, sizeof(why)), HOST_PCI_NO);
	assert_has(why, "no such device");
	ck_assert_int_eq(verdict("00:05.0", why, sizeof(why)), HOST_PCI_NO);
	assert_has(why, "vfio/10");
	assert_has(why, "No such file");

	ck_assert_int_eq(verdict("00:1f.2", why, sizeof(why)), HOST_PCI_NO);
	assert_has(why, "IOMMU group 5");
	assert_has(why, "0000:00:1f.0 (lpc_ich)");
	assert_has(why, "0000:00:1f.3 (i801_smbus)");
	assert_lacks(why, "0000:00:1f.2");
	ck_assert_int_eq(verdict("02:00.0", why, sizeof(why)), HOST_PCI_NO);
	assert_has(why, "0000:02:00.1 (snd_hda_intel)");
	ck_assert_int_eq(verdict("06:00.0", why, sizeof(why)), HOST_PCI_NO);
	assert_has(why, "0000:00:1c.0 (shpchp)");
	assert_one_line(why);
}
END_TEST

/* ---- choosing the vfio driver ---- */

static int choose(const char *bdf, char *module, size_t len)
{
	struct pci_addr a = A(bdf);

	return host_pci_choose_vfio_module(&a, module, len);
}

START_TEST(choose_most_specific)
{
	char mod[HOST_PCI_NAME_LEN];

	ck_assert_int_eq(choose("03:00.0", mod, sizeof(mod)), 5);
	ck_assert_str_eq(mod, "mlx5_vfio_pci");         /* beats vendor-wide and generic */
	ck_assert_int_eq(choose("03:00.2", mod, sizeof(mod)), 3);
	ck_assert_str_eq(mod, "mlx5_sub_vfio_pci");     /* subsystem ids match too */
	ck_assert_int_eq(choose("03:00.1", mod, sizeof(mod)), 6);
	ck_assert_str_eq(mod, "mlx5_any_vfio_pci");     /* only the vendor matches */
	ck_assert_int_eq(choose("04:00.0", mod, sizeof(mod)), 5);
	ck_assert_str_eq(mod, "pds_vfio_pci");          /* tie: the first in the file */
	ck_assert_int_eq(choose("00:03.0", mod, sizeof(mod)), 7);
	ck_assert_str_eq(mod, "vfio_pci");              /* only the catch-all */
}
END_TEST

START_TEST(choose_without_aliases)
{
	char mod[HOST_PCI_NAME_LEN], path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/none", T.root);
	host_pci_set_root(T.sys, path);
	ck_assert_int_eq(choose("03:00.0", mod, sizeof(mod)), -1);
	ck_assert_str_eq(mod, "vfio_pci");
	/* Aliases exist but none is a catch-all and none matches. */
	fake_sysfs_set_aliases(&T, "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
		  "alias pci:v*d*sv*sd*bc*sc*i* something\n");
	host_pci_set_root(T.sys, T.mod);
	ck_assert_int_eq(choose("00:03.0", mod, sizeof(mod)), -1);
	ck_assert_str_eq(mod, "vfio_pci");
	ck_assert_int_eq(choose("03:00.0", mod, sizeof(mod)), 5);
	ck_assert_str_eq(mod, "mlx5_vfio_pci");
}
END_TEST

START_TEST(module_driver_names)
{
	char name[HOST_PCI_NAME_LEN];

	ck_assert_int_eq(host_pci_module_driver("vfio_pci", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "vfio-pci");
	ck_assert_int_eq(host_pci_module_driver("vfio-pci", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "vfio-pci");
	ck_assert_int_eq(host_pci_module_driver("mlx5_vfio_pci", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "mlx5_vfio_pci");
	ck_assert_int_eq(host_pci_module_driver("pcieport", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "pcieport");             /* built in: by name */
	ck_assert_int_eq(host_pci_module_driver("pds_vfio_pci", name, sizeof(name)), -1);
}
END_TEST

/* ---- the write sequences ---- */

START_TEST(plan_bind_bound_device)
{
	struct host_pci_plan p;
	struct pci_addr a = A("00:03.0");

	ck_assert_int_eq(host_pci_plan_bind(&a, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(p.n, 3);
	expect_plan(&p, 0, "/bus/pci/devices/0000:00:03.0/driver_override", "vfio-pci");
	expect_plan(&p, 1, "/bus/pci/devices/0000:00:03.0/driver/unbind", "0000:00:03.0");
	expect_plan(&p, 2, "/bus/pci/drivers_probe", "0000:00:03.0");
	ck_assert_str_eq(p.driver, "vfio-pci");
	ck_assert_str_eq(p.module, "vfio_pci");
	ck_assert_str_eq(p.prev, "nvme");
}
END_TEST

START_TEST(plan_bind_variant_and_unbound)
{
	struct host_pci_plan p;
	struct pci_addr mlx = A("03:00.0"), none = A("05:00.1");

	ck_assert_int_eq(host_pci_plan_bind(&mlx, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(p.n, 3);
	expect_plan(&p, 0, "/driver_override", "mlx5_vfio_pci");
	ck_assert_str_eq(p.prev, "mlx5_core");
	ck_assert_int_eq(host_pci_plan_bind(&none, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(p.n, 2);                       /* nothing to unbind */
	expect_plan(&p, 0, "/bus/pci/devices/0000:05:00.1/driver_override", "vfio-pci");
	expect_plan(&p, 1, "/bus/pci/drivers_probe", "0000:05:00.1");
	ck_assert_str_eq(p.prev, "");
}
END_TEST

START_TEST(plan_bind_nothing_to_do)
{
	struct host_pci_plan p;
	struct pci_addr a = A("00:04.0"), x = A("06:00.0");

	ck_assert_int_eq(host_pci_plan_bind(&a, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(p.n, 0);
	ck_assert_str_eq(p.driver, "vfio-pci");
	ck_assert_int_eq(host_pci_plan_bind(&x, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(p.n, 0);
	ck_assert_str_eq(p.driver, "xvf");
}
END_TEST

static void bind_fails(const char *bdf, const char *want1, const char *want2)
{
	struct host_pci_plan p;
	struct pci_addr a = A(bdf);
	char *chosen = (char *)"untouched";

	err[0] = '\0';
	ck_assert_int_eq(host_pci_plan_bind(&a, &p, err, sizeof(err)), -1);
	assert_has(err, want1);
	assert_has(err, want2);
	assert_one_line(err);
	ck_assert_int_eq(host_pci_bind_vfio(&a, &chosen, err, sizeof(err)), -1);
	ck_assert_ptr_null(chosen);
	assert_has(err, want1);
}

START_TEST(plan_bind_refusals)
{
	use_fake_kernel();
	bind_fails("00:1e.0", "no PCI device 0000:00:1e.0", "conduit devices");
	bind_fails("00:01.0", "0000:00:01.0 is a PCI bridge", "behind it");
	bind_fails("00:00.0", "host bridge", "060000");
	bind_fails("00:06.0", "0000:00:06.0 has no IOMMU group", "intel_iommu=on");
	bind_fails("04:00.0", "pds_vfio_pci", "modprobe pds_vfio_pci");
	bind_fails("03:00.2", "0000:03:00.2", "modprobe mlx5_sub_vfio_pci");
	ck_assert_int_eq(wlog.n, 0);                    /* nothing was written */
}
END_TEST

START_TEST(plan_unbind_sequences)
{
	struct host_pci_plan p;
	struct pci_addr v = A("00:04.0"), n = A("00:03.0");

	ck_assert_int_eq(host_pci_plan_unbind(&v, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(p.n, 3);
	expect_plan(&p, 0, "/bus/pci/devices/0000:00:04.0/driver/unbind", "0000:00:04.0");
	expect_plan(&p, 1, "/bus/pci/devices/0000:00:04.0/driver_override", "\n");
	expect_plan(&p, 2, "/bus/pci/drivers_probe", "0000:00:04.0");
	ck_assert_str_eq(p.prev, "vfio-pci");
	ck_assert_str_eq(p.driver, "");                 /* nothing remembered */

	ck_assert_int_eq(host_pci_plan_unbind(&n, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(p.n, 0);                       /* nvme: not ours */

	/* A stale override on a driverless device is cleared and probed. */
	fake_sysfs_put(&T, "vfio-pci\n", "sys/bus/pci/devices/0000:05:00.1/driver_override");
	n = A("05:00.1");
	ck_assert_int_eq(host_pci_plan_unbind(&n, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(p.n, 2);
	expect_plan(&p, 0, "/driver_override", "\n");
	expect_plan(&p, 1, "/drivers_probe", "0000:05:00.1");
}
END_TEST

/* With the default writer the fake tree's files are plain files: the writes
 * land, nothing binds, and bind gives the device back. */
START_TEST(bind_plain_files_rolls_back)
{
	struct pci_addr a = A("00:03.0");
	char buf[256], path[PATH_MAX + 64], *chosen = NULL;

	ck_assert_int_eq(host_pci_bind_vfio(&a, &chosen, err, sizeof(err)), -1);
	ck_assert_ptr_null(chosen);
	assert_has(err, "0000:00:03.0 did not bind to vfio-pci");
	assert_has(err, "nvme");
	assert_has(err, "dmesg");
	assert_one_line(err);
	fake_sysfs_read(&T, buf, sizeof(buf), "sys/bus/pci/drivers/nvme/unbind");
	ck_assert_str_eq(buf, "0000:00:03.0");
	fake_sysfs_read(&T, buf, sizeof(buf), "sys/bus/pci/drivers_probe");
	ck_assert_str_eq(buf, "0000:00:03.0");
	dev_file("0000:00:03.0", "driver_override", buf, sizeof(buf));
	ck_assert_str_eq(buf, "\n");                    /* the override was cleared */
	snprintf(path, sizeof(path), "%s/0000:00:03.0.driver", T.run);
	ck_assert_int_ne(access(path, F_OK), 0);        /* and nothing is remembered */
}
END_TEST

START_TEST(bind_then_unbind)
{
	struct pci_addr a = A("00:03.0");
	char buf[HOST_PCI_NAME_LEN], path[PATH_MAX + 64], *chosen = NULL;

	use_fake_kernel();
	ck_assert_int_eq(host_pci_bind_vfio(&a, &chosen, err, sizeof(err)), 0);
	ck_assert_str_eq(chosen, "vfio-pci");
	free(chosen);
	ck_assert_int_eq(wlog.n, 3);
	expect_write(0, "/0000:00:03.0/driver_override", "vfio-pci");
	expect_write(1, "/0000:00:03.0/driver/unbind", "0000:00:03.0");
	expect_write(2, "/drivers_probe", "0000:00:03.0");
	drv("00:03.0", buf, sizeof(buf));
	ck_assert_str_eq(buf, "vfio-pci");
	fake_sysfs_read(&T, buf, sizeof(buf), "run/0000:00:03.0.driver");
	ck_assert_str_eq(buf, "nvme\n");                /* the previous driver */

	/* A second bind has nothing to do. */
	ck_assert_int_eq(host_pci_bind_vfio(&a, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(wlog.n, 3);

	ck_assert_int_eq(host_pci_unbind_vfio(&a, err, sizeof(err)), 0);
	ck_assert_int_eq(wlog.n, 6);
	expect_write(3, "/0000:00:03.0/driver/unbind", "0000:00:03.0");
	expect_write(4, "/0000:00:03.0/driver_override", "\n");
	expect_write(5, "/drivers_probe", "0000:00:03.0");
	drv("00:03.0", buf, sizeof(buf));
	ck_assert_str_eq(buf, "nvme");
	ck_assert_int_ne(access(path, F_OK), 0);        /* forgotten */

	/* A second unbind has nothing to do. */
	ck_assert_int_eq(host_pci_unbind_vfio(&a, err, sizeof(err)), 0);
	ck_assert_int_eq(wlog.n, 6);
}
END_TEST

START_TEST(bind_variant_driver)
{
	struct pci_addr a = A("03:00.0");
	char buf[HOST_PCI_NAME_LEN], *chosen = NULL;

	use_fake_kernel();
	ck_assert_int_eq(host_pci_bind_vfio(&a, &chosen, err, sizeof(err)), 0);
	ck_assert_str_eq(chosen, "mlx5_vfio_pci");
	free(chosen);
	drv("03:00.0", buf, sizeof(buf));
	ck_assert_str_eq(buf, "mlx5_vfio_pci");
	ck_assert_int_eq(host_pci_unbind_vfio(&a, err, sizeof(err)), 0);
	drv("03:00.0", buf, sizeof(buf));
	ck_assert_str_eq(buf, "mlx5_core");
}
END_TEST

/* oddball was bound by hand (no id match): drivers_probe does not bring it
 * back, so unbind binds the remembered driver explicitly. */
START_TEST(unbind_restores_remembered_driver)
{
	struct pci_addr a = A("07:00.0");
	char buf[HOST_PCI_NAME_LEN];

	use_fake_kernel();
	ck_assert_int_eq(host_pci_bind_vfio(&a, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(host_pci_unbind_vfio(&a, err, sizeof(err)), 0);
	ck_assert_int_eq(wlog.n, 7);
	expect_write(6, "/bus/pci/drivers/oddball/bind", "0000:07:00.0");
	drv("07:00.0", buf, sizeof(buf));
	ck_assert_str_eq(buf, "oddball");
}
END_TEST

START_TEST(unbind_reports_missing_host_driver)
{
	struct pci_addr a = A("07:00.0");
	char path[PATH_MAX + 64], buf[HOST_PCI_NAME_LEN];

	use_fake_kernel();
	ck_assert_int_eq(host_pci_bind_vfio(&a, NULL, err, sizeof(err)), 0);
	/* Its driver went away in the meantime (rmmod). */
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/oddball/bind", T.sys);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/oddball/unbind", T.sys);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/oddball/module", T.sys);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/oddball", T.sys);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(host_pci_unbind_vfio(&a, err, sizeof(err)), -1);
	assert_has(err, "0000:07:00.0");
	assert_has(err, "oddball");
	assert_has(err, "modprobe oddball");
	assert_one_line(err);
	drv("07:00.0", buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(unbind_unknown_device)
{
	struct pci_addr a = A("00:1e.0");

	ck_assert_int_eq(host_pci_unbind_vfio(&a, err, sizeof(err)), -1);
	assert_has(err, "conduit devices");
}
END_TEST

/* ---- error texts ---- */

START_TEST(msg_texts)
{
	struct pci_addr a = A("0000:00:1f.2"), n = A("00:03.0");
	char buf[HOST_PCI_ERR_LEN];

	host_pci_msg_no_iommu_group(&n, buf, sizeof(buf));
	assert_has(buf, "0000:00:03.0 has no IOMMU group");
	assert_has(buf, "intel_iommu=on");
	assert_has(buf, "amd_iommu=on");
	assert_has(buf, "iommu=pt");
	assert_has(buf, "firmware");
	assert_one_line(buf);
	host_pci_msg_no_iommu_group(NULL, buf, sizeof(buf));
	assert_has(buf, "no IOMMU groups");
	assert_has(buf, "intel_iommu=on");

	ck_assert_ptr_eq(host_pci_msg_group_not_viable(&a, 5, buf, sizeof(buf)), buf);
	assert_has(buf, "0000:00:1f.2: IOMMU group 5 is not viable");
	assert_has(buf, "0000:00:1f.0 (lpc_ich)");
	assert_has(buf, "0000:00:1f.3 (i801_smbus)");
	assert_has(buf, "'conduit bind 0000:00:1f.0'");
	assert_has(buf, "'conduit bind 0000:00:1f.3'");
	assert_lacks(buf, "conduit bind 0000:00:1f.2");
	assert_has(buf, "move the card");
	assert_one_line(buf);

	a = A("06:00.0");
	host_pci_msg_group_not_viable(&a, 11, buf, sizeof(buf));
	assert_has(buf, "0000:00:1c.0 (shpchp)");
	assert_has(buf, "unbind 0000:00:1c.0 from shpchp");   /* a bridge: not conduit bind */
	assert_lacks(buf, "conduit bind 0000:00:1c.0");

	host_pci_msg_other_driver(&n, "nvme", buf, sizeof(buf));
	assert_has(buf, "0000:00:03.0 is bound to nvme");
	assert_has(buf, "'conduit bind 0000:00:03.0'");
	assert_one_line(buf);
	host_pci_msg_other_driver(&n, "", buf, sizeof(buf));
	assert_has(buf, "0000:00:03.0 has no driver, not vfio-pci: run 'conduit bind 0000:00:03.0'");
	assert_lacks(buf, "bound to");
	assert_one_line(buf);

	a = A("00:1e.0");
	host_pci_msg_no_device(&a, buf, sizeof(buf));
	assert_has(buf, "no PCI device 0000:00:1e.0");
	assert_has(buf, "'conduit devices'");
	assert_one_line(buf);

	host_pci_msg_vfio_dev(7, EACCES, buf, sizeof(buf));
	assert_has(buf, "/vfio/7");
	assert_has(buf, "Permission denied");
	assert_has(buf, "root");
	assert_has(buf, "udev");
	assert_has(buf, "chown");
	assert_one_line(buf);
	host_pci_msg_vfio_dev(7, ENOENT, buf, sizeof(buf));
	assert_has(buf, "does not exist");
	assert_has(buf, "conduit bind");
	host_pci_msg_vfio_dev(7, EBUSY, buf, sizeof(buf));
	assert_has(buf, "busy");

	/* No cdev in sysfs; one named there without its /dev node (6.1-6.5). */
	host_pci_msg_no_cdev(&n, -1, buf, sizeof(buf));
	assert_has(buf, "0000:00:03.0 has no VFIO device cdev (vfio-dev/vfioN in sysfs): the kernel needs CONFIG_VFIO_DEVICE_CDEV");
	assert_one_line(buf);
	host_pci_msg_no_cdev(&n, 0, buf, sizeof(buf));
	assert_has(buf, "0000:00:03.0 has no VFIO device cdev (");
	assert_has(buf, "/vfio/devices/vfio0 does not exist): the kernel needs CONFIG_VFIO_DEVICE_CDEV (Linux 6.6 or later)");
	assert_one_line(buf);
}
END_TEST

START_TEST(msg_small_buffers)
{
	struct pci_addr a = A("0000:00:1f.2");
	char buf[16];

	/* Truncated, never overrun, always terminated. */
	host_pci_msg_group_not_viable(&a, 5, buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
	host_pci_msg_no_iommu_group(&a, buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
	ck_assert_int_eq(pci_addr_parse("zz", &a, buf, sizeof(buf)), -1);
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
}
END_TEST

/* ---- the subcommands on the fake tree ---- */

/* Run "conduit ARGS..." with stdout (and stderr) into out. */
static int run_command(char *out, size_t len, int argc, char **argv)
{
	char path[PATH_MAX + 64];
	int saved_out, saved_err, fd, code;

	snprintf(path, sizeof(path), "%s/stdout", T.root);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	code = command_run(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	fake_sysfs_read_at(path, out, len);
	return code;
}

/* The line of the table that starts with bdf. */
static const char *table_line(const char *out, const char *bdf, char *line, size_t len)
{
	char start[PCI_ADDR_STRLEN + 1];
	const char *p;

	snprintf(start, sizeof(start), "\n%s", bdf);
	p = strstr(out, start);
	ck_assert_msg(p != NULL, "no line for %s in:\n%s", bdf, out);
	p++;
	snprintf(line, len, "%.*s", (int)strcspn(p, "\n"), p);
	return line;
}

START_TEST(command_devices)
{
	static char out[16384];
	char line[1024], *argv[] = { (char *)"devices", NULL };

	ck_assert(command_exists("devices"));
	ck_assert(command_exists("bind"));
	ck_assert(command_exists("unbind"));
	ck_assert(!command_exists("--kernel"));
	ck_assert(!command_exists(NULL));
	ck_assert_int_eq(run_command(out, sizeof(out), 1, argv), 0);
	assert_has(out, "ADDRESS");
	assert_has(out, "VERDICT");
	table_line(out, "0000:00:03.0", line, sizeof(line));
	assert_has(line, "1b36:0010");
	assert_has(line, "0108");
	assert_has(line, "nvme");
	ck_assert_msg(ends_with(line, "bindable"), "%s", line);
	ck_assert_msg(ends_with(table_line(out, "0000:00:04.0", line, sizeof(line)), "ready"),
		      "%s", line);
	table_line(out, "0000:00:1f.2", line, sizeof(line));
	assert_has(line, "0000:00:1f.0,0000:00:1f.3");
	assert_has(line, "no: IOMMU group 5 is shared with");
	table_line(out, "0000:00:06.0", line, sizeof(line));
	assert_has(line, "no: no IOMMU group");
	assert_lacks(out, "the IOMMU is off: boot");    /* there are groups */
	table_line(out, "0000:04:00.0", line, sizeof(line));
	ck_assert_msg(ends_with(line, "bindable (after 'modprobe pds_vfio_pci')"), "%s", line);
}
END_TEST

START_TEST(command_devices_iommu_off)
{
	static char out[4096];
	char path[PATH_MAX + 64], *argv[] = { (char *)"devices", NULL };

	fake_sysfs_mkdir(&T, "off/bus/pci/devices/0000:00:01.0");
	snprintf(path, sizeof(path), "%s/off", T.root);
	host_pci_set_root(path, T.mod);
	ck_assert_int_eq(run_command(out, sizeof(out), 1, argv), 0);
	assert_has(out, "0000:00:01.0");
	assert_has(out, "there are no IOMMU groups, so the IOMMU is off");
	assert_has(out, "intel_iommu=on");
}
END_TEST

START_TEST(command_bind_unbind)
{
	static char out[4096];
	char *bind[] = { (char *)"bind", (char *)"0000:00:03.0", NULL };
	char *unbind[] = { (char *)"unbind", (char *)"00:03.0", NULL };

	use_fake_kernel();
	log_verbosity = LOG_WARN;       /* another suite may have lowered it */
	ck_assert_int_eq(run_command(out, sizeof(out), 2, bind), 0);
	assert_has(out, "0000:00:03.0: bound to vfio-pci (was: nvme); IOMMU group 3");
	/* the fake tree has no /dev/vfio/3: bind warns about it */
	assert_has(out, "warning: ");
	assert_has(out, "vfio/3 does not exist");
	ck_assert_int_eq(run_command(out, sizeof(out), 2, bind), 0);
	assert_has(out, "already bound to vfio-pci");
	ck_assert_int_eq(run_command(out, sizeof(out), 2, unbind), 0);
	assert_has(out, "0000:00:03.0: released from vfio-pci; now bound to nvme");
	ck_assert_int_eq(run_command(out, sizeof(out), 2, unbind), 0);
	assert_has(out, "nothing to release");
}
END_TEST

START_TEST(command_exit_codes)
{
	static char out[4096];
	char *bad[] = { (char *)"bind", (char *)"zz", NULL };
	char *none[] = { (char *)"bind", NULL };
	char *extra[] = { (char *)"unbind", (char *)"00:03.0", (char *)"x", NULL };
	char *opt[] = { (char *)"devices", (char *)"--frob", NULL };
	char *help[] = { (char *)"bind", (char *)"--help", NULL };
	char *missing[] = { (char *)"bind", (char *)"00:1e.0", NULL };

	ck_assert_int_eq(run_command(out, sizeof(out), 2, bad), 2);
	assert_has(out, "'zz' is not a PCI address");
	ck_assert_int_eq(run_command(out, sizeof(out), 1, none), 2);
	assert_has(out, "missing BDF");
	ck_assert_int_eq(run_command(out, sizeof(out), 3, extra), 2);
	assert_has(out, "unexpected argument 'x'");
	ck_assert_int_eq(run_command(out, sizeof(out), 2, opt), 2);
	assert_has(out, "unknown option '--frob'");
	ck_assert_int_eq(run_command(out, sizeof(out), 2, help), 0);
	assert_has(out, "usage: conduit bind");
	ck_assert_int_eq(run_command(out, sizeof(out), 2, missing), 1);
	assert_has(out, "no PCI device 0000:00:1e.0");
}
END_TEST

Suite *host_pci_suite(void)
{
	Suite *s = suite_create("host_pci");
	TCase *addr = tcase_create("address");
	TCase *tree = tcase_create("sysfs");

	tcase_add_test(addr, addr_good_forms);
	tcase_add_test(addr, addr_bad_forms);
	tcase_add_test(addr, addr_format);
	suite_add_tcase(s, addr);

	tcase_add_unchecked_fixture(tree, make_base, remove_base);
	tcase_add_checked_fixture(tree, build_tree, remove_tree);
	tcase_add_test(tree, query_device);
	tcase_add_test(tree, query_no_driver_no_group);
	tcase_add_test(tree, query_list);
	tcase_add_test(tree, query_iommu_off);
	tcase_add_test(tree, query_group_members);
	tcase_add_test(tree, query_vfio_dev_node);
	tcase_add_test(tree, query_vfio_dev_permission);
	tcase_add_test(tree, query_vfio_drivers);
	tcase_add_test(tree, query_bridges);
	tcase_add_test(tree, viable_groups);
	tcase_add_test(tree, member_rule);
	tcase_add_test(tree, verdicts);
	tcase_add_test(tree, choose_most_specific);
	tcase_add_test(tree, choose_without_aliases);
	tcase_add_test(tree, module_driver_names);
	tcase_add_test(tree, plan_bind_bound_device);
	tcase_add_test(tree, plan_bind_variant_and_unbound);
	tcase_add_test(tree, plan_bind_nothing_to_do);
	tcase_add_test(tree, plan_bind_refusals);
	tcase_add_test(tree, plan_unbind_sequences);
	tcase_add_test(tree, bind_plain_files_rolls_back);
	tcase_add_test(tree, bind_then_unbind);
	tcase_add_test(tree, bind_variant_driver);
	tcase_add_test(tree, unbind_restores_remembered_driver);
	tcase_add_test(tree, unbind_reports_missing_host_driver);
	tcase_add_test(tree, unbind_unknown_device);
	tcase_add_test(tree, msg_texts);
	tcase_add_test(tree, msg_small_buffers);
	tcase_add_test(tree, command_devices);
	tcase_add_test(tree, command_devices_iommu_off);
	tcase_add_test(tree, command_bind_unbind);
	tcase_add_test(tree, command_exit_codes);
	suite_add_tcase(s, tree);
	return s;
}
