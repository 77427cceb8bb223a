/* Tests of size parsing, config_set() and config file parsing (vmm/config.c). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "suites.h"
#include "../../vmm/config.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static char err[CONFIG_ERR_LEN];

static uint64_t size_ok(const char *s, uint64_t unit)
{
	uint64_t v = 0xdeadbeef;

	err[0] = '\0';
	ck_assert_msg(parse_size(s, unit, &v, err, sizeof(err)) == 0,
		      "'%s' rejected: %s", s, err);
	return v;
}

static void size_bad(const char *s)
{
	uint64_t v = 0x1234;

	err[0] = '\0';
	ck_assert_msg(parse_size(s, MiB, &v, err, sizeof(err)) == -1,
		      "'%s' accepted", s);
	ck_assert_msg(err[0] != '\0', "no message for '%s'", s);
	ck_assert_uint_eq(v, 0x1234);   /* output untouched on error */
}

START_TEST(size_suffixes)
{
	ck_assert_uint_eq(size_ok("4096K", MiB), 4096ULL << 10);
	ck_assert_uint_eq(size_ok("4096k", MiB), 4096ULL << 10);
	ck_assert_uint_eq(size_ok("512M", 1), 512 * MiB);
	ck_assert_uint_eq(size_ok("2G", 1), 2 * GiB);
	ck_assert_uint_eq(size_ok("3T", 1), 3ULL << 40);
	ck_assert_uint_eq(size_ok("1073741824B", MiB), 1073741824ULL);
	ck_assert_uint_eq(size_ok("0", MiB), 0);
}
END_TEST

START_TEST(size_long_suffixes)
{
	ck_assert_uint_eq(size_ok("2GiB", 1), 2 * GiB);
	ck_assert_uint_eq(size_ok("2GB", 1), 2 * GiB);
	ck_assert_uint_eq(size_ok("2gib", 1), 2 * GiB);
	ck_assert_uint_eq(size_ok("64MiB", 1), 64 * MiB);
	ck_assert_uint_eq(size_ok("8KB", 1), 8192);
	size_bad("2GiBx");
	size_bad("2GBB");
	size_bad("5Bi");
}
END_TEST

START_TEST(size_default_unit)
{
	ck_assert_uint_eq(size_ok("512", MiB), 512 * MiB);
	ck_assert_uint_eq(size_ok("512", 1), 512);
	ck_assert_uint_eq(size_ok("3", GiB), 3 * GiB);
}
END_TEST

START_TEST(size_overflow)
{
	size_bad("99999999999T");
	size_bad("16777216T");                  /* 2^64 exactly */
	size_bad("99999999999999999999999");    /* beyond strtoull */
	/* The largest value that fits is accepted. */
	ck_assert_uint_eq(size_ok("16777215T", 1), 16777215ULL << 40);
	ck_assert_uint_eq(size_ok("18446744073709551615", 1), UINT64_MAX);
	size_bad("18446744073709551615K");
}
END_TEST

START_TEST(size_malformed)
{
	size_bad("");
	size_bad("-1");
	size_bad("+1");
	size_bad(" 1G");
	size_bad("12Q");
	size_bad("1.5G");
	size_bad("G");
	size_bad("1G ");
	size_bad("1 G");
}
END_TEST

START_TEST(size_null)
{
	uint64_t v = 7;

	ck_assert_int_eq(parse_size(NULL, 1, &v, err, sizeof(err)), -1);
	ck_assert_uint_eq(v, 7);
	ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(set_defaults_and_strings)
{
	struct vm_config cfg;

	config_init(&cfg);
	ck_assert_uint_eq(cfg.mem_size, 256 * MiB);
	ck_assert_int_eq(cfg.cpus, 1);
	ck_assert_int_eq(cfg.console, CONSOLE_VIRTIO);
	ck_assert_ptr_null(cfg.kernel);

	ck_assert_int_eq(config_set(&cfg, "kernel", "/boot/vmlinuz", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.kernel, "/boot/vmlinuz");
	ck_assert_int_eq(config_set(&cfg, "kernel", "other", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.kernel, "other");
	ck_assert_int_eq(config_set(&cfg, "initrd", "initrd.img", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.initrd, "initrd.img");
	ck_assert_int_eq(config_set(&cfg, "cmdline", "console=hvc0 quiet", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.cmdline, "console=hvc0 quiet");
	config_free(&cfg);
	ck_assert_ptr_null(cfg.kernel);
}
END_TEST

START_TEST(set_memory)
{
	struct vm_config cfg;

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "memory", "2G", err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.mem_size, 2 * GiB);
	/* A bare number is in MiB. */
	ck_assert_int_eq(config_set(&cfg, "memory", "1024", err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.mem_size, 1 * GiB);
	ck_assert_int_eq(config_set(&cfg, "memory", "16M", err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.mem_size, 16 * MiB);

	err[0] = '\0';
	ck_assert_int_eq(config_set(&cfg, "memory", "15M", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "16M"));
	ck_assert_int_eq(config_set(&cfg, "memory", "16777215B", err, sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "memory", "lots", err, sizeof(err)), -1);
	ck_assert_uint_eq(cfg.mem_size, 16 * MiB);
	config_free(&cfg);
}
END_TEST

START_TEST(set_incoming_timeout)
{
	static const char *const bad[] = { "0", "3601", "5s", "", "-1", "99999999999999999999" };
	struct vm_config cfg;
	size_t i;

	config_init(&cfg);
	ck_assert_int_eq(cfg.incoming_timeout, 0);
	ck_assert_int_eq(config_set(&cfg, "incoming-timeout", "1", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.incoming_timeout, 1);
	ck_assert_int_eq(config_set(&cfg, "incoming-timeout", "3600", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.incoming_timeout, 3600);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(config_set(&cfg, "incoming-timeout", bad[i], err, sizeof(err)) == -1,
			      "incoming-timeout '%s' accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "is not a number of seconds from 1 to 3600"));
		ck_assert_int_eq(cfg.incoming_timeout, 3600);
	}
	config_free(&cfg);
}
END_TEST

START_TEST(set_cpus)
{
	static const char *const bad[] = { "0", "65", "2x", "", "-2",
					   "99999999999999999999", "1 " };
	struct vm_config cfg;
	size_t i;

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "cpus", "4", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.cpus, 4);
	ck_assert_int_eq(config_set(&cfg, "cpus", "64", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.cpus, 64);
	ck_assert_int_eq(config_set(&cfg, "cpus", "1", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.cpus, 1);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(config_set(&cfg, "cpus", bad[i], err, sizeof(err)) == -1,
			      "cpus '%s' accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "1 to 64"));
		ck_assert_int_eq(cfg.cpus, 1);
	}
	config_free(&cfg);
}
END_TEST

START_TEST(set_booleans)
{
	struct vm_config cfg;

	config_init(&cfg);
	ck_assert(!cfg.stats);
	ck_assert(!cfg.no_reboot);
	ck_assert_int_eq(config_set(&cfg, "no-reboot", "yes", err, sizeof(err)), 0);
	ck_assert(cfg.no_reboot);
	ck_assert(!cfg.stats);
	ck_assert_int_eq(config_set(&cfg, "no-reboot", "0", err, sizeof(err)), 0);
	ck_assert(!cfg.no_reboot);
	ck_assert_int_eq(config_set(&cfg, "stats", "true", err, sizeof(err)), 0);
	ck_assert(cfg.stats);
	ck_assert_int_eq(config_set(&cfg, "no-reboot", "maybe", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no-reboot 'maybe' is not true or false");
	ck_assert(!cfg.no_reboot);
	ck_assert_int_eq(config_set(&cfg, "stats", "", err, sizeof(err)), -1);
	ck_assert(cfg.stats);
	config_free(&cfg);
}
END_TEST

START_TEST(set_console)
{
	struct vm_config cfg;

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "console", "serial", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.console, CONSOLE_SERIAL);
	ck_assert_int_eq(config_set(&cfg, "console", "virtio", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.console, CONSOLE_VIRTIO);
	err[0] = '\0';
	ck_assert_int_eq(config_set(&cfg, "console", "foo", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "'foo'"));
	ck_assert_int_eq(config_set(&cfg, "console", "Serial", err, sizeof(err)), -1);
	ck_assert_int_eq(cfg.console, CONSOLE_VIRTIO);
	config_free(&cfg);
}
END_TEST

START_TEST(set_passthrough)
{
	struct vm_config cfg;
	char name[32];
	int i;

	config_init(&cfg);
	for (i = 0; i < MAX_PASSTHROUGH; i++) {
		snprintf(name, sizeof(name), "0000:0%d:00.0", i);
		ck_assert_int_eq(config_set(&cfg, "passthrough", name, err, sizeof(err)), 0);
	}
	ck_assert_int_eq(cfg.n_passthrough, MAX_PASSTHROUGH);
	ck_assert_str_eq(cfg.passthrough[0], "0000:00:00.0");
	ck_assert_str_eq(cfg.passthrough[7], "0000:07:00.0");
	err[0] = '\0';
	ck_assert_int_eq(config_set(&cfg, "passthrough", "0000:09:00.0", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "8"));
	ck_assert_int_eq(cfg.n_passthrough, MAX_PASSTHROUGH);
	config_free(&cfg);
	ck_assert_int_eq(cfg.n_passthrough, 0);
}
END_TEST

START_TEST(set_unknown_key)
{
	struct vm_config cfg;

	config_init(&cfg);
	err[0] = '\0';
	ck_assert_int_eq(config_set(&cfg, "mem", "1G", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown key 'mem'"));
	ck_assert_int_eq(config_set(&cfg, "Kernel", "x", err, sizeof(err)), -1);
	ck_assert_ptr_null(cfg.kernel);
	ck_assert_uint_eq(cfg.mem_size, 256 * MiB);
	config_free(&cfg);
}
END_TEST

START_TEST(parse_text_full)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"   \t\n"
		"kernel = bzImage\n"
		"initrd=\"images/initrd.img\"\n"
		"  cmdline = \"console=ttyS0 root=/dev/vda\"  \n"
		"memory=1G\n"
		"\tcpus = 2\t\n"
		"console = serial\n"
		"passthrough = 0000:01:00.0\n"
		"   # indented comment = not a setting\n"
		"passthrough=\"0000:02:00.0\"";    /* no final newline */
	struct vm_config cfg;

	config_init(&cfg);
	err[0] = '\0';
	ck_assert_msg(config_parse_text(&cfg, text, "/etc/conduit/vm.conf", err,
					sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.kernel, "/etc/conduit/bzImage");
	ck_assert_str_eq(cfg.initrd, "/etc/conduit/images/initrd.img");
	ck_assert_str_eq(cfg.cmdline, "console=ttyS0 root=/dev/vda");
	ck_assert_uint_eq(cfg.mem_size, GiB);
	ck_assert_int_eq(cfg.cpus, 2);
	ck_assert_int_eq(cfg.console, CONSOLE_SERIAL);
	ck_assert_int_eq(cfg.n_passthrough, 2);
	ck_assert_str_eq(cfg.passthrough[0], "0000:01:00.0");
	ck_assert_str_eq(cfg.passthrough[1], "0000:02:00.0");
	config_free(&cfg);
}
END_TEST

START_TEST(parse_text_paths)
{
	struct vm_config cfg;

	config_init(&cfg);
	/* Absolute paths are kept. */
	ck_assert_int_eq(config_parse_text(&cfg, "kernel = /boot/vmlinuz\ninitrd=/boot/i\n",
					   "confs/a.conf", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.kernel, "/boot/vmlinuz");
	ck_assert_str_eq(cfg.initrd, "/boot/i");
	/* Relative ones are anchored to the file's directory... */
	ck_assert_int_eq(config_parse_text(&cfg, "kernel = k/bz\n", "confs/a.conf",
					   err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.kernel, "confs/k/bz");
	/* ...unless the file is in the current directory. */
	ck_assert_int_eq(config_parse_text(&cfg, "kernel = bz\n", "a.conf",
					   err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.kernel, "bz");
	/* Other keys are never anchored. */
	ck_assert_int_eq(config_parse_text(&cfg, "cmdline = root/x\n", "/d/a.conf",
					   err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.cmdline, "root/x");
	config_free(&cfg);
}
END_TEST

START_TEST(parse_text_missing_equals)
{
	struct vm_config cfg;

	config_init(&cfg);
	err[0] = '\0';
	ck_assert_int_eq(config_parse_text(&cfg, "# c\ncpus = 2\nmemory 1G\ncpus = 3\n",
					   "vm.conf", err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "vm.conf:3:", 10) == 0, "err: %s", err);
	/* Lines before the bad one were applied, the ones after were not. */
	ck_assert_int_eq(cfg.cpus, 2);
	config_free(&cfg);
}
END_TEST

START_TEST(parse_text_bad_value)
{
	struct vm_config cfg;

	config_init(&cfg);
	err[0] = '\0';
	ck_assert_int_eq(config_parse_text(&cfg, "\n\n\n\ncpus = 65\n", "x/vm.conf",
					   err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "x/vm.conf:5: cpus '65'", 22) == 0, "err: %s", err);
	ck_assert_int_eq(config_parse_text(&cfg, "colour = red\n", "c.conf",
					   err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "c.conf:1: unknown key 'colour'", 30) == 0,
		      "err: %s", err);
	config_free(&cfg);
}
END_TEST

START_TEST(parse_text_quotes)
{
	struct vm_config cfg;

	config_init(&cfg);
	/* Only a matching pair of quotes is removed; an empty pair gives "". */
	ck_assert_int_eq(config_parse_text(&cfg, "cmdline = \"\"\n", "c", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.cmdline, "");
	ck_assert_int_eq(config_parse_text(&cfg, "cmdline = \"a\n", "c", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.cmdline, "\"a");
	ck_assert_int_eq(config_parse_text(&cfg, "cmdline = \"\n", "c", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.cmdline, "\"");
	/* '=' inside the value stays there. */
	ck_assert_int_eq(config_parse_text(&cfg, "cmdline=a=b c=d\n", "c", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.cmdline, "a=b c=d");
	config_free(&cfg);
}
END_TEST

START_TEST(api_socket_key)
{
	struct vm_config cfg;

	config_init(&cfg);
	ck_assert_ptr_null(cfg.api_socket);
	ck_assert_int_eq(config_parse_text(&cfg, "api-socket = run/api.sock\n", "confs/a.conf",
					   err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.api_socket, "confs/run/api.sock");    /* anchored */
	ck_assert_int_eq(config_set(&cfg, "api-socket", "/run/c.sock", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.api_socket, "/run/c.sock");
	config_free(&cfg);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, size_suffixes);
	tcase_add_test(tc, size_long_suffixes);
	tcase_add_test(tc, size_default_unit);
	tcase_add_test(tc, size_overflow);
	tcase_add_test(tc, size_malformed);
	tcase_add_test(tc, size_null);
	tcase_add_test(tc, set_defaults_and_strings);
	tcase_add_test(tc, set_memory);
	tcase_add_test(tc, set_cpus);
	tcase_add_test(tc, set_booleans);
	tcase_add_test(tc, set_console);
	tcase_add_test(tc, set_passthrough);
	tcase_add_test(tc, set_unknown_key);
	tcase_add_test(tc, parse_text_full);
	tcase_add_test(tc, parse_text_paths);
	tcase_add_test(tc, parse_text_missing_equals);
	tcase_add_test(tc, parse_text_bad_value);
	tcase_add_test(tc, parse_text_quotes);
	tcase_add_test(tc, api_socket_key);
	tcase_add_test(tc, set_incoming_timeout);
	suite_add_tcase(s, tc);
	return s;
}
