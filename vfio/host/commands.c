/* The host-side subcommands: "devices" lists the host's PCI devices and
 * whether each can be passed through, "bind" hands a device to vfio-pci (or
 * its variant driver), "unbind" gives it back to its host driver. Each has
 * its own --help; the sysfs work is behind vfio/host/host_pci.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "../../vmm/log.h"
#include "../../vmm/vm.h"
#include "commands.h"
#include "fd_passing.h"
#include "host_pci.h"
#include "host_vfio.h"

struct command {
	const char *name;
	const char *args;       /* "" or "BDF" */
	const char *help;
	int (*run)(const char *arg);
};

static int run_devices(const char *arg);
static int run_bind(const char *arg);
static int run_unbind(const char *arg);

static const struct command commands[] = {
	{ "devices", "",
"List the host's PCI devices: address, vendor:device, class, driver, IOMMU\n"
"group, the other devices in that group, and a verdict:\n"
"  ready        bound to vfio-pci, its group is viable and /dev/vfio/N can be\n"
"               opened: --passthrough BDF will work\n"
"  bindable     'conduit bind BDF' makes it ready\n"
"  no: REASON   it cannot be passed through as things are (no IOMMU group,\n"
"               a group shared with devices bound to host drivers, a bridge)\n",
	  run_devices },
	{ "bind", "BDF",
"Hand the PCI device BDF (0000:03:00.0 or 03:00.0) to vfio-pci, or to its\n"
"vfio-pci variant driver when modules.alias names one, so --passthrough can\n"
"use it. Its current driver is remembered for 'conduit unbind'. Needs root,\n"
"an IOMMU, and the driver's module loaded (modprobe vfio-pci).\n"
"\n"
"  --serve SOCKET  then open the device's VFIO cdev and /dev/iommu and hand\n"
"                  both to one conduit started with --passthrough fd:SOCKET\n"
"                  (over a Unix socket, SCM_RIGHTS), which needs no access to\n"
"                  /dev/vfio, /dev/iommu or sysfs; waits for that conduit,\n"
"                  then exits. Needs IOMMUFD and the VFIO cdev in the kernel.\n"
"  --user UID      the user allowed on the socket (default: root only);\n"
"                  the socket is theirs, mode 0600\n",
	  run_bind },
	{ "unbind", "BDF",
"Release the PCI device BDF from vfio-pci and give it back to a host driver:\n"
"the one the kernel picks, else the one it had before 'conduit bind'.\n",
	  run_unbind },
};

static const char *serve_path;
static uid_t serve_uid = (uid_t)-1;

static const struct option options[] = {
	{ "serve",   required_argument, NULL, 'S' },
	{ "user",    required_argument, NULL, 'u' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help",    no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct command *find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

bool command_exists(const char *name)
{
	return name && find(name);
}

static void usage(const struct command *c)
{
	printf("usage: conduit %s [-v]%s%s%s\n\n%s\n"
	       "  -v, --verbose   more log output (repeat for debug)\n"
	       "  -h, --help      this text\n\n"
	       "Exit codes: 0 success, 1 failure, 2 usage error.\n",
	       c->name, c->args[0] ? " " : "", c->args,
	       c->run == run_bind ? " [--serve SOCKET [--user UID]]" : "", c->help);
}

/* --user UID: a number (a static conduit has no password database). */
static int parse_user(const char *s)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (end == s || *end || v < 0 || v > 0x7fffffff) {
		pr_err("bind: --user %s: not a uid (a number, e.g. $(id -u USER))", s);
		return 1;
	}
	serve_uid = (uid_t)v;
	return 0;
}

/* Options, then exactly the positional arguments c->args asks for. Returns
 * -1 to exit with a usage error, 1 to exit 0 (--help), 0 to run. */
static int parse(const struct command *c, int argc, char **argv, const char **arg)
{
	int opt, verbose = 0, want = c->args[0] ? 1 : 0;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":vh", options, NULL)) != -1) {
		switch (opt) {
		case ':':
			pr_err("%s: option '%s' needs a value (see conduit %s --help)",
			       c->name, argv[optind - 1], c->name);
			return -1;
		case 'S':
		case 'u':
			if (c->run != run_bind) {
				pr_err("%s: --%s is an option of 'conduit bind' (see conduit bind --help)",
				       c->name, opt == 'S' ? "serve" : "user");
				return -1;
			}
			if (opt == 'u' && parse_user(optarg))
				return -1;
			if (opt == 'S')
				serve_path = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(c);
			return 1;
		default:
			pr_err("%s: unknown option '%s' (see conduit %s --help)",
			       c->name, argv[optind - 1], c->name);
			return -1;
		}
	}
	if (serve_uid != (uid_t)-1 && !serve_path) {
		pr_err("%s: --user goes with --serve SOCKET (see conduit %s --help)", c->name, c->name);
		return -1;
	}
	if (verbose)
		log_verbosity = verbose > 1 ? LOG_DEBUG : LOG_INFO;
	if (argc - optind < want) {
		pr_err("%s: missing %s (see conduit %s --help)", c->name, c->args, c->name);
		return -1;
	}
	if (argc - optind > want) {
		pr_err("%s: unexpected argument '%s' (see conduit %s --help)",
		       c->name, argv[optind + want], c->name);
		return -1;
	}
	*arg = want ? argv[optind] : NULL;
	return 0;
}

int command_run(int argc, char **argv)
{
	const struct command *c = find(argv[0]);
	const char *arg = NULL;
	int r;

	if (!c)
		return EXIT_USAGE;
	r = parse(c, argc, argv, &arg);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	return c->run(arg);
}

/* ---- conduit devices ---- */

struct row {
	char bdf[PCI_ADDR_STRLEN];
	char ids[12];
	char cls[8];
	char driver[HOST_PCI_NAME_LEN];
	char group[12];
	char others[256];
	char verdict[HOST_PCI_ERR_LEN];
};

enum { COL_BDF, COL_IDS, COL_CLASS, COL_DRIVER, COL_GROUP, COL_OTHERS, NCOLS };

static void fill_others(const struct pci_addr *a, int group, char *buf, size_t len)
{
	struct host_pci_member *m;
	size_t i, n, used = 0;

	snprintf(buf, len, "-");
	if (group < 0 || host_pci_group_members(group, &m, &n))
		return;
	for (i = 0; i < n; i++) {
		if (m[i].pci && pci_addr_equal(&m[i].addr, a))
			continue;
		if (used + 1 >= len)
			break;
		used += snprintf(buf + used, len - used, "%s%s", used ? "," : "", m[i].name);
	}
	free(m);
}

static void fill_row(const struct pci_addr *a, struct row *r)
{
	char why[HOST_PCI_ERR_LEN - 16];
	uint16_t ven = 0, dev = 0;
	uint32_t cls = 0;
	int group;

	memset(r, 0, sizeof(*r));
	pci_addr_format(a, r->bdf);
	if (host_pci_ids(a, &ven, &dev) == 0)
		snprintf(r->ids, sizeof(r->ids), "%04x:%04x", ven, dev);
	else
		snprintf(r->ids, sizeof(r->ids), "?");
	if (host_pci_class(a, &cls) == 0)
		snprintf(r->cls, sizeof(r->cls), "%04x", cls >> 8);
	else
		snprintf(r->cls, sizeof(r->cls), "?");
	host_pci_driver(a, r->driver, sizeof(r->driver));
	if (!r->driver[0])
		snprintf(r->driver, sizeof(r->driver), "-");
	group = host_pci_iommu_group(a);
	if (group < 0)
		snprintf(r->group, sizeof(r->group), "-");
	else
		snprintf(r->group, sizeof(r->group), "%d", group);
	fill_others(a, group, r->others, sizeof(r->others));
	switch (host_pci_verdict(a, why, sizeof(why))) {
	case HOST_PCI_READY:
		snprintf(r->verdict, sizeof(r->verdict), "ready");
		break;
	case HOST_PCI_BINDABLE:
		snprintf(r->verdict, sizeof(r->verdict), "bindable%s%s%s",
			 why[0] ? " (" : "", why, why[0] ? ")" : "");
		break;
	default:
		snprintf(r->verdict, sizeof(r->verdict), "no: %s", why);
	}
}

static const char *col(const struct row *r, int i)
{
	const char *cols[NCOLS] = { r->bdf, r->ids, r->cls, r->driver, r->group, r->others };

	return cols[i];
}

static void print_rows(const struct row *rows, size_t n)
{
	static const struct row head = {
		"ADDRESS", "ID", "CLASS", "DRIVER", "GROUP", "SHARES GROUP WITH", "VERDICT",
	};
	int width[NCOLS], i;
	size_t k;

	for (i = 0; i < NCOLS; i++) {
		width[i] = strlen(col(&head, i));
		for (k = 0; k < n; k++)
			if ((int)strlen(col(&rows[k], i)) > width[i])
				width[i] = strlen(col(&rows[k], i));
	}
	for (k = 0; k <= n; k++) {
		const struct row *r = k ? &rows[k - 1] : &head;

		for (i = 0; i < NCOLS; i++)
			printf("%-*s  ", width[i], col(r, i));
		printf("%s\n", r->verdict);
	}
}

static int run_devices(const char *arg)
{
	char msg[HOST_PCI_ERR_LEN];
	struct pci_addr *list;
	struct row *rows;
	size_t i, n;

	if (host_pci_list(&list, &n)) {
		pr_err("cannot list the host's PCI devices (/sys/bus/pci/devices): %s",
		       strerror(errno));
		return EXIT_ERROR;
	}
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		free(list);
		pr_err("out of memory");
		return EXIT_ERROR;
	}
	for (i = 0; i < n; i++)
		fill_row(&list[i], &rows[i]);
	print_rows(rows, n);
	if (!host_pci_iommu_enabled())
		printf("%s\n", host_pci_msg_no_iommu_group(NULL, msg, sizeof(msg)));
	free(rows);
	free(list);
	return 0;
}

/* ---- conduit bind / unbind ---- */

static int parse_bdf(const char *cmd, const char *s, struct pci_addr *a)
{
	char err[HOST_PCI_ERR_LEN];

	if (pci_addr_parse(s, a, err, sizeof(err)) == 0)
		return 0;
	pr_err("%s: %s", cmd, err);
	return -1;
}

/* After a bind: warn about what still stands between it and passthrough. */
static void warn_after_bind(const struct pci_addr *a)
{
	char msg[HOST_PCI_ERR_LEN];
	int group = host_pci_iommu_group(a), acc;

	if (group < 0)
		return;
	if (host_pci_group_viable(group, NULL) == 0)
		pr_warn("%s", host_pci_msg_group_not_viable(a, group, msg, sizeof(msg)));
	acc = host_pci_vfio_dev_access(group);
	if (acc)
		pr_warn("%s", host_pci_msg_vfio_dev(group, -acc, msg, sizeof(msg)));
}

static void serving(const char *path)
{
	printf("serving on %s: start conduit with --passthrough fd:%s\n", path, path);
	fflush(stdout);
}

/* bind --serve: open what the unprivileged conduit may not, hand it over. */
static int serve(const struct pci_addr *a, const char *bdf)
{
	char err[HOST_PCI_ERR_LEN], path[64];
	struct fdpass_handoff h = { .device_fd = -1, .iommufd = -1 };
	int cdev = host_vfio_pci_cdev(a), ret = EXIT_ERROR;

	snprintf(h.name, sizeof(h.name), "%s", bdf);
	if (cdev < 0) {
		pr_err("bind --serve: %s", host_pci_msg_no_cdev(a, cdev, err, sizeof(err)));
		return EXIT_ERROR;
	}
	snprintf(path, sizeof(path), "%s/vfio/devices/vfio%d", host_pci_dev_dir(), cdev);
	h.device_fd = open(path, O_RDWR | O_CLOEXEC);
	if (h.device_fd < 0 && errno == ENOENT) {
		pr_err("bind --serve: %s", host_pci_msg_no_cdev(a, cdev, err, sizeof(err)));
		goto out;
	}
	if (h.device_fd < 0) {
		pr_err("bind --serve: cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/iommu", host_pci_dev_dir());
	h.iommufd = open(path, O_RDWR | O_CLOEXEC);
	if (h.iommufd < 0) {
		pr_err("bind --serve: cannot open %s: %s%s", path, strerror(errno),
		       errno == ENOENT ? " (the kernel has no IOMMUFD: CONFIG_IOMMUFD)" : "");
		goto out;
	}
	if (fdpass_serve(serve_path, serve_uid, &h, serving, err, sizeof(err))) {
		pr_err("bind --serve: %s", err);
		goto out;
	}
	printf("%s: handed over on %s\n", bdf, serve_path);
	ret = 0;
out:
	if (h.device_fd >= 0)
		close(h.device_fd);
	if (h.iommufd >= 0)
		close(h.iommufd);
	return ret;
}

static int run_bind(const char *arg)
{
	char err[HOST_PCI_ERR_LEN], prev[HOST_PCI_NAME_LEN], bdf[PCI_ADDR_STRLEN];
	struct pci_addr a;
	char *chosen;

	if (parse_bdf("bind", arg, &a))
		return EXIT_USAGE;
	pci_addr_format(&a, bdf);
	host_pci_driver(&a, prev, sizeof(prev));
	if (host_pci_bind_vfio(&a, &chosen, err, sizeof(err))) {
		pr_err("%s", err);
		return EXIT_ERROR;
	}
	if (!strcmp(prev, chosen))
		printf("%s: already bound to %s\n", bdf, chosen);
	else
		printf("%s: bound to %s (was: %s); IOMMU group %d\n", bdf, chosen,
		       prev[0] ? prev : "no driver", host_pci_iommu_group(&a));
	free(chosen);
	fflush(stdout);
	warn_after_bind(&a);
	return serve_path ? serve(&a, bdf) : 0;
}

static int run_unbind(const char *arg)
{
	char err[HOST_PCI_ERR_LEN], prev[HOST_PCI_NAME_LEN], now[HOST_PCI_NAME_LEN];
	char bdf[PCI_ADDR_STRLEN];
	struct pci_addr a;

	if (parse_bdf("unbind", arg, &a))
		return EXIT_USAGE;
	pci_addr_format(&a, bdf);
	host_pci_driver(&a, prev, sizeof(prev));
	if (host_pci_unbind_vfio(&a, err, sizeof(err))) {
		pr_err("%s", err);
		return EXIT_ERROR;
	}
	host_pci_driver(&a, now, sizeof(now));
	if (!host_pci_driver_is_vfio(prev))
		printf("%s: not bound to vfio (it has %s); nothing to release\n", bdf,
		       prev[0] ? prev : "no driver");
	else if (now[0])
		printf("%s: released from %s; now bound to %s\n", bdf, prev, now);
	else
		printf("%s: released from %s; no host driver took it (it has no driver)\n",
		       bdf, prev);
	return 0;
}
