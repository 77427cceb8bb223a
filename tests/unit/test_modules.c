/* Tests of the module directory (boot/modules.c, boot/module_read.c): a
 * fake directory in a temp dir (modules.dep, modules.alias,
 * modules.builtin, small fake modules compressed by the real xz, zstd and
 * gzip) for matching, load order, decompression and the errors; then the
 * host's own /lib/modules/$(uname -r) when it has one (host_modules: where
 * it has none, the test prints why and returns without checking). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "suites.h"
#include "../../boot/modules.h"

#define BODY_LEN (200 * 1024)

static char dir[] = "/tmp/conduit-modules-XXXXXX";
static struct modules m;

static const char dep_file[] =
	"kernel/drivers/char/virtio_console.ko.xz: kernel/drivers/virtio/virtio_ring.ko.zst"
	" kernel/drivers/virtio/virtio.ko.gz\n"
	"kernel/drivers/virtio/virtio_ring.ko.zst: kernel/drivers/virtio/virtio.ko.gz\n"
	"kernel/drivers/virtio/virtio.ko.gz:\n"
	"kernel/drivers/nvme/host/nvme.ko: kernel/drivers/nvme/host/nvme-core.ko.xz\n"
	"kernel/drivers/nvme/host/nvme-core.ko.xz:\n"
	"kernel/drivers/net/vmxnet3.ko.zst:\n"
	"kernel/drivers/x/cyc_a.ko: kernel/drivers/x/cyc-b.ko\n"
	"kernel/drivers/x/cyc_b.ko: kernel/drivers/x/cyc_a.ko\n"
	"kernel/drivers/x/needs_cycle.ko: kernel/drivers/x/cyc_a.ko\n"
	"kernel/drivers/x/broken.ko: kernel/drivers/x/missing.ko\n"
	"kernel/drivers/x/trunc.ko.xz:\n"
	"kernel/drivers/x/trunc2.ko.zst:\n"
	"kernel/drivers/x/trunc3.ko.gz:\n"
	"kernel/drivers/x/corrupt.ko.xz:\n"
	"kernel/drivers/x/absent.ko.gz:\n"
	"kernel/drivers/x/notelf.ko:\n"
	"kernel/drivers/x/notelf2.ko.gz:\n";

static const char alias_file[] =
	"# Aliases extracted from modules themselves.\n"
	"alias pci:v00001B36d00000010sv*sd*bc*sc*i* nvme\n"
	"alias pci:v*d*sv*sd*bc01sc08i02* nvme\n"
	"alias pci:v000015ADd000007B0sv*sd*bc*sc*i* vmxnet3\n"
	"alias virtio:d00000003v* virtio_console\n"
	"alias pci:v00001AF4d0000104[0-9]sv*sd*bc*sc*i* virtio-pci\n"
	"alias pci:v00008086d000010D?sv*sd*bc*sc*i* e1000e\n"
	"alias pci:v*d*sv*sd*bc01sc08i02* nvme_alt\n";

static const char builtin_file[] =
	"kernel/drivers/virtio/virtio_pci.ko\n"
	"kernel/drivers/base/firmware_loader/firmware_class.ko\n";

static void put_file(const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Run a shell command in the fake directory. */
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	int n = snprintf(cmd, sizeof(cmd), "cd %s && ", dir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

/* The body every fake module has: an ELF magic, then bytes that do not
 * compress to nothing, unique to the module (its name is in it). */
static uint8_t *body(const char *name)
{
	uint8_t *b = malloc(BODY_LEN);
	uint32_t x = 2463534242U;
	size_t i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < BODY_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)(i % 3 ? 'a' + x % 4 : x);
	}
	memcpy(b, "\x7f" "ELF", 4);
	snprintf((char *)b + 4, 64, "%s", name);
	return b;
}

/* kernel/.../NAME.ko, compressed with tool (NULL: none). */
static void fake_module(const char *sub, const char *name, const char *tool)
{
	char rel[PATH_MAX];
	uint8_t *b = body(name);

	snprintf(rel, sizeof(rel), "%s/%s.ko", sub, name);
	put_file(rel, b, BODY_LEN);
	free(b);
	if (!tool)
		return;
	if (!strcmp(tool, "xz"))
		sh("xz -q --check=crc32 %s && test -f %s.xz", rel, rel);
	else if (!strcmp(tool, "zstd"))
		sh("zstd -q --rm %s && test -f %s.zst", rel, rel);
	else
		sh("gzip -q -n %s && test -f %s.gz", rel, rel);
}

static void build_tree(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	sh("mkdir -p kernel/drivers/char kernel/drivers/virtio kernel/drivers/nvme/host "
	   "kernel/drivers/net kernel/drivers/x");
	put_file("modules.dep", dep_file, strlen(dep_file));
	put_file("modules.alias", alias_file, strlen(alias_file));
	put_file("modules.builtin", builtin_file, strlen(builtin_file));
	fake_module("kernel/drivers/char", "virtio_console", "xz");
	fake_module("kernel/drivers/virtio", "virtio_ring", "zstd");
	fake_module("kernel/drivers/virtio", "virtio", "gzip");
	fake_module("kernel/drivers/nvme/host", "nvme", NULL);
	fake_module("kernel/drivers/nvme/host", "nvme-core", "xz");
	fake_module("kernel/drivers/net", "vmxnet3", "zstd");
	fake_module("kernel/drivers/x", "trunc", "xz");
	fake_module("kernel/drivers/x", "trunc2", "zstd");
	fake_module("kernel/drivers/x", "trunc3", "gzip");
	fake_module("kernel/drivers/x", "corrupt", "xz");
	sh("cd kernel/drivers/x && truncate -s 5000 trunc.ko.xz trunc2.ko.zst trunc3.ko.gz");
	sh("cd kernel/drivers/x && printf 'XXXXXXXX' | "
	   "dd of=corrupt.ko.xz bs=1 seek=3000 conv=notrunc status=none");
	put_file("kernel/drivers/x/notelf.ko", "#!/bin/sh\n", 10);
	sh("cd kernel/drivers/x && printf 'plain text' | gzip -n > notelf2.ko.gz");
}

static void remove_tree(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void setup(void)
{
	ck_assert_msg(modules_open(&m, dir) == 0, "%s", m.err);
}

static void teardown(void)
{
	modules_close(&m);
}

START_TEST(index_read)
{
	const struct module_info *mod;

	ck_assert_uint_eq(m.n_mods, 17);
	ck_assert_uint_eq(m.n_aliases, 7);
	ck_assert_uint_eq(m.n_builtin, 2);
	mod = modules_find(&m, "nvme-core");
	ck_assert_ptr_nonnull(mod);
	ck_assert_str_eq(mod->name, "nvme_core");
	ck_assert_str_eq(mod->path, "kernel/drivers/nvme/host/nvme-core.ko.xz");
	ck_assert_ptr_eq(modules_find(&m, "nvme_core"), mod);
	mod = modules_find(&m, "virtio_console");
	ck_assert_uint_eq(mod->n_deps, 2);
	ck_assert_str_eq(mod->deps[0], "virtio_ring");
	ck_assert_str_eq(mod->deps[1], "virtio");
	ck_assert_ptr_null(modules_find(&m, "virtio_pci"));
	ck_assert(modules_is_builtin(&m, "virtio-pci"));
	ck_assert(modules_is_builtin(&m, "firmware_class"));
	ck_assert(!modules_is_builtin(&m, "nvme"));
}
END_TEST

static void expect_match(const char *modalias, const char *const *want, size_t n)
{
	struct module_names got;
	size_t i;

	ck_assert_int_eq(modules_match(&m, modalias, &got), 0);
	ck_assert_msg(got.n == n, "%s: %zu matches, want %zu", modalias, got.n, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(got.name[i], want[i]);
	module_names_free(&got);
}

START_TEST(match)
{
	static const char *const nvme[] = { "nvme", "nvme_alt" };
	static const char *const nvme_class[] = { "nvme", "nvme_alt" };
	static const char *const vmxnet3[] = { "vmxnet3" };
	static const char *const vpci[] = { "virtio_pci" };
	static const char *const vcons[] = { "virtio_console" };
	static const char *const e1000e[] = { "e1000e" };

	/* two nvme lines match, nvme is named once */
	expect_match("pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02", nvme, 2);
	expect_match("pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02", nvme_class, 2);
	expect_match("pci:v000015ADd000007B0sv000015ADsd000007B0bc02sc00i00", vmxnet3, 1);
	expect_match("pci:v00001AF4d00001043sv00001AF4sd00001100bc07sc80i00", vpci, 1);
	expect_match("virtio:d00000003v00001AF4", vcons, 1);
	expect_match("pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00", e1000e, 1);
	/* no match: [0-9] and ? are one character, case counts */
	expect_match("pci:v00001AF4d0000104Asv00001AF4sd00001100bc07sc80i00", NULL, 0);
	expect_match("pci:v00008086d000010E3sv00008086sd0000A01Fbc02sc00i00", NULL, 0);
	expect_match("pci:v00001b36d00000010sv00001af4sd00001100bc02sc08i02", NULL, 0);
	expect_match("virtio:d00000005v00001AF4", NULL, 0);
	expect_match("", NULL, 0);
}
END_TEST

/* modules.builtin.modinfo: a built-in driver's aliases match too (and it
 * then loads as nothing); its other keys are not aliases. */
START_TEST(builtin_aliases)
{
	static const char modinfo[] =
		"virtio_pci.alias=pci:v00001AF4d*sv*sd*bc*sc*i*\0virtio_pci.license=GPL\0"
		"firmware_class.description=loader\0nvme_x.aliasnot=pci:*\0";
	static const char *const vpci[] = { "virtio_pci" };
	struct module_order order;
	char path[PATH_MAX];
	const char *name = "virtio_pci";

	put_file("modules.builtin.modinfo", modinfo, sizeof(modinfo) - 1);
	modules_close(&m);
	ck_assert_msg(modules_open(&m, dir) == 0, "%s", m.err);
	snprintf(path, sizeof(path), "%s/modules.builtin.modinfo", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_uint_eq(m.n_aliases, 8);
	expect_match("pci:v00001AF4d00001050sv00001AF4sd00001100bc03sc80i00", vpci, 1);
	ck_assert_msg(modules_load_order(&m, &name, 1, &order) == 0, "%s", m.err);
	ck_assert_uint_eq(order.n, 0);
	module_order_free(&order);
}
END_TEST

static void expect_order(const char *const *names, size_t n, const char *const *want,
			 size_t n_want)
{
	struct module_order got;
	size_t i;

	ck_assert_msg(modules_load_order(&m, names, n, &got) == 0, "%s", m.err);
	ck_assert_uint_eq(got.n, n_want);
	for (i = 0; i < n_want; i++)
		ck_assert_str_eq(got.mod[i]->name, want[i]);
	module_order_free(&got);
}

START_TEST(load_order)
{
	static const char *const vc[] = { "virtio_console" };
	static const char *const many[] = {
		"nvme", "virtio-console", "nvme_core", "virtio", "nvme", "virtio_pci",
	};
	static const char *const builtin[] = { "virtio_pci", "firmware-class" };

	/* virtio_ring's own line puts virtio first */
	expect_order(vc, 1, (const char *const[]){ "virtio", "virtio_ring", "virtio_console" }, 3);
	expect_order(many, 6, (const char *const[]){
		"nvme_core", "nvme", "virtio", "virtio_ring", "virtio_console" }, 5);
	expect_order(builtin, 2, NULL, 0);
	expect_order(NULL, 0, NULL, 0);
}
END_TEST

static void expect_order_error(const char *name, const char *want)
{
	struct module_order got;

	ck_assert_int_eq(modules_load_order(&m, &name, 1, &got), -1);
	ck_assert_ptr_null(got.mod);
	ck_assert_msg(strstr(m.err, want) != NULL, "error \"%s\" lacks \"%s\"", m.err, want);
	ck_assert_ptr_null(strchr(m.err, '\n'));
	ck_assert(!strncmp(m.err, dir, strlen(dir)));
}

START_TEST(load_order_errors)
{
	expect_order_error("cyc_a", "/modules.dep: dependency cycle through cyc_a");
	expect_order_error("needs_cycle", "dependency cycle through cyc_a");
	expect_order_error("broken", "/modules.dep: missing (needed by broken) has no line of its own");
	expect_order_error("nosuch", "/modules.dep: no module nosuch (nor in modules.builtin)");
}
END_TEST

/* name as modules_find() takes it, file_name as the file has it. */
static void expect_read(const char *name, const char *file_name)
{
	const struct module_info *mod = modules_find(&m, name);
	uint8_t *data = NULL, *want = body(file_name);
	size_t len = 0;

	ck_assert_ptr_nonnull(mod);
	ck_assert_msg(modules_read(&m, mod, &data, &len) == 0, "%s", m.err);
	ck_assert_uint_eq(len, BODY_LEN);
	ck_assert(!memcmp(data, want, BODY_LEN));
	free(data);
	free(want);
}

START_TEST(read_each_format)
{
	expect_read("nvme", "nvme");                            /* .ko */
	expect_read("virtio_console", "virtio_console");        /* .ko.xz */
	expect_read("nvme_core", "nvme-core");                  /* .ko.xz */
	expect_read("virtio_ring", "virtio_ring");              /* .ko.zst */
	expect_read("vmxnet3", "vmxnet3");                      /* .ko.zst */
	expect_read("virtio", "virtio");                        /* .ko.gz */
}
END_TEST

static void expect_read_error(const char *name, const char *want)
{
	const struct module_info *mod = modules_find(&m, name);
	uint8_t *data = (uint8_t *)"untouched";
	size_t len = 12345;
	char path[PATH_MAX];

	ck_assert_ptr_nonnull(mod);
	ck_assert_int_eq(modules_read(&m, mod, &data, &len), -1);
	ck_assert_str_eq((char *)data, "untouched");
	ck_assert_uint_eq(len, 12345);
	snprintf(path, sizeof(path), "%s/%s: %s", dir, mod->path, want);
	ck_assert_msg(!strncmp(m.err, path, strlen(path)), "error \"%s\", want \"%s\"",
		      m.err, path);
	ck_assert_ptr_null(strchr(m.err, '\n'));
}

START_TEST(read_errors)
{
	expect_read_error("trunc", "truncated xz data");
	expect_read_error("trunc2", "truncated zstd data");
	expect_read_error("trunc3", "truncated gzip data");
	expect_read_error("corrupt", "corrupt xz data");
	expect_read_error("absent", "No such file or directory");
	expect_read_error("notelf", "not a kernel module (no ELF header)");
	expect_read_error("notelf2", "not a kernel module (no ELF header after decompression)");
}
END_TEST

START_TEST(read_file_errors)
{
	uint8_t *data;
	size_t len;

	ck_assert_int_eq(modules_read_file(&m, dir, &data, &len), -1);
	ck_assert(strstr(m.err, ": not a regular file"));
	ck_assert_int_eq(modules_read_file(&m, "/dev/null", &data, &len), -1);
	ck_assert_str_eq(m.err, "/dev/null: not a regular file");
}
END_TEST

/* Broken directories: each a one-line error naming the file. */
static void expect_open_error(const char *dep, const char *alias, const char *want)
{
	char sub[256], file[PATH_MAX];
	struct modules bad;
	FILE *f;

	snprintf(sub, sizeof(sub), "%s/bad", dir);
	mkdir(sub, 0755);
	snprintf(file, sizeof(file), "%s/modules.dep", sub);
	unlink(file);
	if (dep) {
		f = fopen(file, "we");
		fputs(dep, f);
		fclose(f);
	}
	snprintf(file, sizeof(file), "%s/modules.alias", sub);
	unlink(file);
	if (alias) {
		f = fopen(file, "we");
		fputs(alias, f);
		fclose(f);
	}
	ck_assert_int_eq(modules_open(&bad, sub), -1);
	snprintf(file, sizeof(file), "%s/%s", sub, want);
	ck_assert_msg(!strcmp(bad.err, file), "error \"%s\", want \"%s\"", bad.err, file);
	ck_assert_ptr_null(bad.mods);
	ck_assert_ptr_null(bad.aliases);
}

START_TEST(open_errors)
{
	expect_open_error(NULL, "", "modules.dep: No such file or directory");
	expect_open_error("a.ko:\n", NULL, "modules.alias: No such file or directory");
	expect_open_error("a.ko:\nb.ko c.ko\n", "",
			  "modules.dep: line 2: no ':' after the module's file");
	expect_open_error("a.ko:\nb.txt:\n", "",
			  "modules.dep: line 2: b.txt is not a module file (NAME.ko[.xz|.zst|.gz])");
	expect_open_error("a.ko: b.o\n", "",
			  "modules.dep: line 1: a dependency of a is not a module file");
	expect_open_error("a.ko:\n", "alias x a\nalias y\n",
			  "modules.alias: line 2: not \"alias PATTERN MODULE\"");
	expect_open_error("a.ko:\n", "softdep a pre: b\n",
			  "modules.alias: line 1: not \"alias PATTERN MODULE\"");
}
END_TEST

/* host_modules: the host's own module directory, when there is one: it
 * opens, a PCI alias matches, the first 500 modules' dependencies resolve,
 * and three modules read back as ELF whatever their compression; also the
 * vmxnet3 PCI id matches vmxnet3 where the directory has that module.
 * CONDUIT_TEST_MODULES=DIR tests DIR instead (e.g. a modules_install tree
 * or an unpacked Debian kernel after depmod -b). A host without one prints
 * why and returns: Check counts that as run, not as a check of anything. */
static bool pattern_to_modalias(const char *pattern, char *out, size_t len)
{
	size_t i, o = 0;

	if (strncmp(pattern, "pci:", 4) || strpbrk(pattern, "?[\\"))
		return false;
	for (i = 0; pattern[i] && o + 1 < len; i++)
		if (pattern[i] != '*')
			out[o++] = pattern[i];
	out[o] = '\0';
	return true;
}

/* The host's module directory (CONDUIT_TEST_MODULES, else the running
 * kernel's), when it has a modules.dep. */
static bool host_modules_dir(char *dir_out, size_t len)
{
	char path[PATH_MAX + 16];
	struct utsname u;

	if (getenv("CONDUIT_TEST_MODULES"))
		snprintf(dir_out, len, "%s", getenv("CONDUIT_TEST_MODULES"));
	else if (uname(&u) == 0)
		snprintf(dir_out, len, "/lib/modules/%s", u.release);
	else
		return false;
	snprintf(path, sizeof(path), "%s/modules.dep", dir_out);
	return access(path, R_OK) == 0;
}

START_TEST(host_modules)
{
	char hostdir[PATH_MAX], modalias[256];
	struct module_names names;
	struct module_order order;
	struct modules h;
	uint8_t *data;
	size_t i, len, tried = 0;
	bool found = false;

	ck_assert(host_modules_dir(hostdir, sizeof(hostdir)));
	ck_assert_msg(modules_open(&h, hostdir) == 0, "%s", h.err);
	ck_assert_uint_gt(h.n_mods, 0);
	for (i = 0; i < h.n_aliases && !found; i++) {
		if (!pattern_to_modalias(h.aliases[i].pattern, modalias, sizeof(modalias)))
			continue;
		ck_assert_int_eq(modules_match(&h, modalias, &names), 0);
		found = names.n > 0;
		ck_assert_msg(found, "%s matches nothing", modalias);
		module_names_free(&names);
	}
	ck_assert_msg(found, "%s/modules.alias: no plain pci: alias", hostdir);
	if (modules_find(&h, "vmxnet3")) {
		ck_assert_int_eq(modules_match(&h, "pci:v000015ADd000007B0sv000015ADsd000007B0"
					       "bc02sc00i00", &names), 0);
		ck_assert_uint_eq(names.n, 1);
		ck_assert_str_eq(names.name[0], "vmxnet3");
		module_names_free(&names);
	}
	for (i = 0; i < h.n_mods && i < 500; i++) {
		const char *name = h.mods[i].name;

		ck_assert_msg(modules_load_order(&h, &name, 1, &order) == 0, "%s", h.err);
		ck_assert_ptr_eq(order.mod[order.n - 1], &h.mods[i]);
		module_order_free(&order);
	}
	for (i = 0; i < h.n_mods && tried < 3; i += h.n_mods / 3 + 1, tried++) {
		ck_assert_msg(modules_read(&h, &h.mods[i], &data, &len) == 0, "%s", h.err);
		ck_assert_uint_gt(len, 4);
		free(data);
	}
	modules_close(&h);
}
END_TEST

Suite *modules_suite(void)
{
	Suite *s = suite_create("modules");
	TCase *tc = tcase_create("fake");
	TCase *host;
	char hostdir[PATH_MAX];

	tcase_add_unchecked_fixture(tc, build_tree, remove_tree);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, index_read);
	tcase_add_test(tc, match);
	tcase_add_test(tc, load_order);
	tcase_add_test(tc, load_order_errors);
	tcase_add_test(tc, read_each_format);
	tcase_add_test(tc, read_errors);
	tcase_add_test(tc, read_file_errors);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, builtin_aliases);
	suite_add_tcase(s, tc);
	/* Only where there is a module tree to read: not counted otherwise. */
	if (!host_modules_dir(hostdir, sizeof(hostdir))) {
		printf("modules: host_modules not run and not counted: no %s/modules.dep "
		       "(CONDUIT_TEST_MODULES=DIR names one)\n", hostdir);
		return s;
	}
	host = tcase_create("host");
	tcase_set_timeout(host, 60);
	tcase_add_test(host, host_modules);
	suite_add_tcase(s, host);
	return s;
}
