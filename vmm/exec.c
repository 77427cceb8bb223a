/* `conduit exec`: its command line, the defaults that make the short form
 * work on a dev box (the running kernel, its modules), the choice of
 * modules (virtio_console, and each passed-through device's driver by its
 * modalias), the initramfs (boot/exec_rootfs.c), the run (vmm/machine.c
 * with the exec session, vmm/exec_session.c) and its exit code. Everything
 * about the user's input is checked before any VM exists. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "../boot/exec_blobs.h"
#include "../boot/exec_rootfs.h"
#include "../boot/initramfs.h"
#include "../boot/modules.h"
#include "../devices/virtio_console.h"
#include "../devices/virtio_pci.h"
#include "../vfio/host/host_pci.h"
#include "arch.h"
#include "cli.h"
#include "config.h"
#include "exec.h"
#include "exec_session.h"
#include "log.h"
#include "machine.h"
#include "vm.h"

#define EXEC_MAX_FILES   64
#define EXEC_MAX_MODULES 64
#define EXEC_CMDLINE     "console=ttyS0 quiet panic=-1 rdinit=/init"
#define DEFAULT_BUSYBOX  "/bin/busybox"
#define TIMEOUT_MAX      (7 * 24 * 3600)

struct exec_opts {
	struct vm_config cfg;
	char *modules;                  /* --modules DIR, "none" */
	char *busybox;
	char *extra_cmdline;
	char *dump;                     /* --dump-initramfs FILE */
	unsigned timeout_s;
	char *module_arg[EXEC_MAX_MODULES];     /* --module NAME */
	int n_modules;
	char *file_arg[EXEC_MAX_FILES];
	int n_files;
	char **argv;                    /* COMMAND and its arguments */
	int argc;
	bool kernel_given;              /* --kernel (or kernel = in --config) */
};

static const struct option options[] = {
	{ "kernel",       required_argument, NULL, 'k' },
	{ "modules",      required_argument, NULL, 'M' },
	{ "module",       required_argument, NULL, 'L' },
	{ "passthrough",  required_argument, NULL, 'p' },
	{ "memory",       required_argument, NULL, 'm' },
	{ "cpus",         required_argument, NULL, 'c' },
	{ "file",         required_argument, NULL, 'F' },
	{ "timeout",      required_argument, NULL, 't' },
	{ "cmdline",      required_argument, NULL, 'a' },
	{ "busybox",      required_argument, NULL, 'b' },
	{ "dump-initramfs", required_argument, NULL, 'D' },
	{ "vfio-backend", required_argument, NULL, 'I' },
	{ "hugepages",    required_argument, NULL, 'H' },
	{ "config",       required_argument, NULL, 'f' },
	{ "stats",        no_argument,       NULL, 's' },
	{ "no-seccomp",   no_argument,       NULL, 'S' },
	{ "verbose",      no_argument,       NULL, 'v' },
	{ "help",         no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};
#define SHORTOPTS "+:k:p:m:c:t:f:svh"

static void usage(FILE *f)
{
	fprintf(f,
"usage: conduit exec [options] -- COMMAND [ARGS...]\n"
"\n"
"Boot a fresh guest, run COMMAND in it as root with its stdout and stderr\n"
"on conduit's, and exit with COMMAND's exit status.\n"
"\n"
"  -k, --kernel FILE       bzImage to boot (default: the running kernel,\n"
"                          /boot/vmlinuz-$(uname -r))\n"
"      --modules DIR       its modules (a /lib/modules/RELEASE or\n"
"                          modules_install tree; default: /lib/modules/ and\n"
"                          the kernel's release, read from its header), or\n"
"                          'none' for a kernel with the drivers built in\n"
"      --module NAME       load this module too, with its dependencies\n"
"                          (one no device's modalias names; repeatable)\n"
"  -p, --passthrough DEV   pass a device through, as for a plain run\n"
"                          (repeatable); its driver is loaded by modalias\n"
"  -m, --memory SIZE       guest RAM (default 256M)\n"
"  -c, --cpus N            virtual CPUs (default 1)\n"
"      --file SRC[:DST]    copy the host file SRC into the guest at DST\n"
"                          (default: SRC's own absolute path; repeatable)\n"
"  -t, --timeout SECONDS   stop the guest when COMMAND has run this long\n"
"                          (exit 124); the boot before it gets %d s more\n"
"      --cmdline STRING    more kernel command-line arguments\n"
"      --busybox FILE      the static busybox for the guest (default %s)\n"
"      --dump-initramfs FILE  write the guest's initramfs (an uncompressed\n"
"                          newc cpio) to FILE and exit 0 without booting\n"
"      --vfio-backend, --hugepages, --stats, --no-seccomp, -f/--config\n"
"                          as for a plain run (conduit --help)\n"
"  -v, --verbose           the guest's console on stderr as it comes, and\n"
"                          conduit's own progress (repeat for debug)\n"
"  -h, --help              this text\n"
"\n"
"COMMAND runs in the guest in the host's working directory (created\n"
"empty, with any --file in it); a COMMAND with a '/' is a host file,\n"
"copied in (unless a --file puts one there). Its stdin is /dev/null.\n"
"\n"
"Exit codes: COMMAND's status (0-255; 128+N when signal N killed it),\n"
"            124 --timeout, 4 the guest died (panic, crash, poweroff)\n"
"            before the status came back (its last console lines follow),\n"
"            1 conduit's own error, 2 usage error.\n",
		EXEC_BOOT_ALLOWANCE_S, DEFAULT_BUSYBOX);
}

static int set_timeout(struct exec_opts *o, const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v == 0 || v > TIMEOUT_MAX) {
		pr_err("exec: --timeout %s: give whole seconds, 1 to %d", arg, TIMEOUT_MAX);
		return -1;
	}
	o->timeout_s = (unsigned)v;
	return 0;
}

static int apply(struct exec_opts *o, int opt, const char *arg)
{
	char err[CONFIG_ERR_LEN];
	const char *key = NULL;
	int i;

	switch (opt) {
	case 'M':
		free(o->modules);
		return (o->modules = strdup(arg)) ? 0 : -1;
	case 'b':
		free(o->busybox);
		return (o->busybox = strdup(arg)) ? 0 : -1;
	case 'a':
		free(o->extra_cmdline);
		return (o->extra_cmdline = strdup(arg)) ? 0 : -1;
	case 'D':
		free(o->dump);
		return (o->dump = strdup(arg)) ? 0 : -1;
	case 'L':
		if (o->n_modules == EXEC_MAX_MODULES) {
			pr_err("exec: more than %d --module", EXEC_MAX_MODULES);
			return -1;
		}
		o->module_arg[o->n_modules++] = (char *)arg;
		return 0;
	case 't':
		return set_timeout(o, arg);
	case 'F':
		if (o->n_files == EXEC_MAX_FILES) {
			pr_err("exec: more than %d --file", EXEC_MAX_FILES);
			return -1;
		}
		o->file_arg[o->n_files++] = (char *)arg;
		return 0;
	}
	for (i = 0; options[i].name; i++)
		if (options[i].val == opt)
			key = options[i].name;
	if (!key || config_set(&o->cfg, key, arg, err, sizeof(err)) == 0)
		return 0;
	pr_err("--%s: %s", key, err);
	return -1;
}

/* --config first, wherever it is; then the rest on top. */
static enum cli_result parse(struct exec_opts *o, int argc, char **argv)
{
	char err[CONFIG_ERR_LEN];
	int opt, verbose = 0;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, SHORTOPTS, options, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		if (opt == '?') {
			pr_err("exec: unknown option '%s' (see conduit exec --help)", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
		if (opt == ':') {
			pr_err("exec: option '%s' needs a value (see conduit exec --help)",
			       argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
		if (opt == 'f' && config_load_file(&o->cfg, optarg, err, sizeof(err))) {
			pr_err("%s", err);
			return CLI_EXIT_USAGE;
		}
	}
	o->argv = argv + optind;
	o->argc = argc - optind;
	optind = 1;
	while ((opt = getopt_long(argc, argv, SHORTOPTS, options, NULL)) != -1) {
		if (opt == 'v')
			verbose++;
		else if (opt == 's')
			o->cfg.stats = true;
		else if (opt == 'S')
			o->cfg.no_seccomp = true;
		else if (opt != 'f' && apply(o, opt, optarg))
			return CLI_EXIT_USAGE;
	}
	o->cfg.verbose = verbose;
	o->kernel_given = o->cfg.kernel != NULL;
	if (o->argc < 1) {
		pr_err("exec: no command given: conduit exec [options] -- COMMAND [ARGS...]");
		return CLI_EXIT_USAGE;
	}
	if (o->cfg.initrd || o->cfg.bios) {
		pr_err("exec: '%s' does not apply: exec builds the guest's initramfs and boots "
		       "the kernel directly", o->cfg.initrd ? "initrd" : "bios");
		return CLI_EXIT_USAGE;
	}
	return CLI_RUN;
}

struct exec_paths {
	char src[PATH_MAX];
	char dst[PATH_MAX];
};

struct exec_plan {
	char kernel[PATH_MAX];
	char cwd[PATH_MAX];
	struct exec_paths *paths;       /* the command's own file, then --file */
	struct exec_file files[EXEC_MAX_FILES + 1];
	size_t n_files;
	struct modules mods;
	bool have_mods;
	struct module_order order;
};

/* The running kernel's release, or the one a --kernel file names. */
static int kernel_release(const char *kernel, bool given, char *out, size_t cap)
{
	uint8_t head[128 << 10];
	struct utsname u;
	ssize_t n;
	FILE *f;

	if (!given) {
		if (uname(&u))
			return -1;
		snprintf(out, cap, "%s", u.release);
		return 0;
	}
	f = fopen(kernel, "rb");
	if (!f)
		return -1;
	n = (ssize_t)fread(head, 1, sizeof(head), f);
	fclose(f);
	return n > 0 ? arch_kernel_release(head, (size_t)n, out, cap) : -1;
}

static int choose_kernel(struct exec_opts *o, struct exec_plan *p)
{
	struct utsname u;

	if (o->cfg.kernel) {
		snprintf(p->kernel, sizeof(p->kernel), "%s", o->cfg.kernel);
		return 0;
	}
	if (uname(&u)) {
		pr_err("exec: uname: %s", strerror(errno));
		return -1;
	}
	snprintf(p->kernel, sizeof(p->kernel), "/boot/vmlinuz-%s", u.release);
	if (access(p->kernel, R_OK)) {
		pr_err("exec: no --kernel, and the running kernel's image %s: %s: give "
		       "--kernel BZIMAGE", p->kernel, strerror(errno));
		return -1;
	}
	o->cfg.kernel = strdup(p->kernel);
	return o->cfg.kernel ? 0 : -1;
}

static int open_modules(struct exec_opts *o, struct exec_plan *p)
{
	char release[256], dir[PATH_MAX];

	if (o->modules && !strcmp(o->modules, "none"))
		return 0;
	if (o->modules) {
		snprintf(dir, sizeof(dir), "%s", o->modules);
	} else if (kernel_release(p->kernel, o->kernel_given, release, sizeof(release))) {
		pr_err("exec: kernel %s names no release in its header: give --modules DIR "
		       "(its modules_install tree) or --modules none", p->kernel);
		return -1;
	} else {
		snprintf(dir, sizeof(dir), "/lib/modules/%s", release);
		if (access(dir, F_OK)) {
			pr_err("exec: no modules for kernel %s at %s: give --modules DIR (its "
			       "modules_install tree), or --modules none for a kernel with its "
			       "drivers built in", p->kernel, dir);
			return -1;
		}
	}
	if (modules_open(&p->mods, dir)) {
		pr_err("exec: %s", p->mods.err);
		return -1;
	}
	p->have_mods = true;
	return 0;
}

/* The modules one modalias calls for, added to all; -1 on error. No
 * match is *found == false. */
static int alias_modules(struct exec_plan *p, const char *alias, struct module_names *all,
			 bool *found)
{
	struct module_names names = { 0 };
	size_t i;
	int ret = 0;

	if (modules_match(&p->mods, alias, &names)) {
		pr_err("exec: %s", p->mods.err);
		return -1;
	}
	*found = names.n > 0;
	for (i = 0; i < names.n && !ret; i++)
		ret = module_names_add(all, names.name[i]);
	module_names_free(&names);
	if (ret)
		pr_err("exec: out of memory");
	return ret;
}

/* virtio-console, the command's stdout: its PCI transport (virtio_pci)
 * and its driver (virtio_console), by the modaliases the guest will see. */
static int console_modules(struct exec_plan *p, struct module_names *all)
{
	char pci[128], virtio[64];
	bool found;

	virtio_pci_modaliases(VCON_DEVICE_ID, pci, sizeof(pci), virtio, sizeof(virtio));
	if (alias_modules(p, pci, all, &found))
		return -1;
	if (alias_modules(p, virtio, all, &found))
		return -1;
	if (!found && !modules_is_builtin(&p->mods, "virtio_console"))
		pr_warn("exec: virtio_console is neither a module in %s nor built in "
			"(modules.builtin): the command's stdout needs it", p->mods.dir);
	return 0;
}

/* The driver modules one --passthrough device's modalias calls for. */
static int device_modules(struct exec_plan *p, const char *spec, struct module_names *all)
{
	char bdf[64], alias[160], err[256];
	struct pci_addr a;
	size_t i, before, n = strcspn(spec, ",");
	bool found;

	snprintf(bdf, sizeof(bdf), "%.*s", (int)(n < sizeof(bdf) ? n : sizeof(bdf) - 1), spec);
	if (pci_addr_parse(bdf, &a, err, sizeof(err))) {
		pr_warn("exec: %s: no driver chosen for it (only a PCI address has a modalias "
			"to match); add one with --file and insmod, or build it in", bdf);
		return 0;
	}
	if (host_pci_modalias(&a, "pci", alias, sizeof(alias))) {
		pr_warn("exec: %s: cannot read its ids in sysfs (%s); no driver chosen for it",
			bdf, strerror(errno));
		return 0;
	}
	before = all->n;
	if (alias_modules(p, alias, all, &found))
		return -1;
	if (!found)
		pr_warn("exec: no driver module for %s (modalias %s) in %s: the command runs "
			"with what the kernel has built in", bdf, alias, p->mods.dir);
	for (i = before; i < all->n; i++)
		pr_info("exec: %s: driver %s%s", bdf, all->name[i],
			modules_is_builtin(&p->mods, all->name[i]) ? " (built in)" : "");
	return 0;
}

static int choose_modules(struct exec_opts *o, struct exec_plan *p)
{
	struct module_names names = { 0 };
	const char **ptrs = NULL;
	size_t j;
	int i, ret = -1;

	if (!p->have_mods) {
		if (o->n_modules)
			pr_err("exec: --module %s: no module tree (--modules none)", o->module_arg[0]);
		return o->n_modules ? -1 : 0;
	}
	if (console_modules(p, &names))
		goto out;
	for (i = 0; i < o->n_modules; i++)
		if (module_names_add(&names, o->module_arg[i])) {
			pr_err("exec: out of memory");
			goto out;
		}
	for (i = 0; i < o->cfg.n_passthrough; i++)
		if (device_modules(p, o->cfg.passthrough[i], &names))
			goto out;
	ptrs = calloc(names.n + 1, sizeof(*ptrs));
	if (!ptrs)
		goto out;
	for (j = 0; j < names.n; j++)
		ptrs[j] = names.name[j];
	if (modules_load_order(&p->mods, ptrs, names.n, &p->order)) {
		pr_err("exec: %s", p->mods.err);
		goto out;
	}
	ret = 0;
out:
	free(ptrs);
	module_names_free(&names);
	return ret;
}

/* Guest paths conduit's own files or the kernel's mounts own. */
static bool reserved(const char *dst)
{
	static const char *const under[] = { "/conduit", "/lib/modules/conduit", "/dev",
					     "/proc", "/sys" };
	size_t i, n;

	if (!strcmp(dst, "/init") || !strcmp(dst, "/bin/busybox") || !strcmp(dst, "/"))
		return true;
	for (i = 0; i < sizeof(under) / sizeof(under[0]); i++) {
		n = strlen(under[i]);
		if (!strncmp(dst, under[i], n) && (dst[n] == '\0' || dst[n] == '/'))
			return true;
	}
	return false;
}

static int add_path(struct exec_plan *p, const char *src, const char *dst, const char *what)
{
	struct exec_paths *e = &p->paths[p->n_files];
	struct stat st;

	if (!realpath(src, e->src)) {
		pr_err("exec: %s %s: %s", what, src, strerror(errno));
		return -1;
	}
	if (stat(e->src, &st) || !S_ISREG(st.st_mode)) {
		pr_err("exec: %s %s: not a regular file", what, src);
		return -1;
	}
	if (!dst)
		snprintf(e->dst, sizeof(e->dst), "%s", e->src);
	else if (dst[0] == '/')
		snprintf(e->dst, sizeof(e->dst), "%s", dst);
	else if ((size_t)snprintf(e->dst, sizeof(e->dst), "%s/%s", strcmp(p->cwd, "/") ? p->cwd : "",
				  dst) >= sizeof(e->dst)) {
		pr_err("exec: %s %s: the guest path is too long", what, dst);
		return -1;
	}
	if (reserved(e->dst)) {
		pr_err("exec: %s %s: %s is conduit's or the guest kernel's in the guest; "
		       "choose another place", what, src, e->dst);
		return -1;
	}
	p->files[p->n_files].src = e->src;
	p->files[p->n_files].dst = e->dst;
	p->n_files++;
	return 0;
}

/* Whether a --file puts something at the guest path of cmd. */
static bool copied_in(const struct exec_plan *p, const char *cmd)
{
	char path[PATH_MAX];
	size_t i;

	if (cmd[0] == '/')
		snprintf(path, sizeof(path), "%s", cmd);
	else if ((size_t)snprintf(path, sizeof(path), "%s/%s", strcmp(p->cwd, "/") ? p->cwd : "",
				  cmd[0] == '.' && cmd[1] == '/' ? cmd + 2 : cmd) >= sizeof(path))
		return false;
	for (i = 0; i < p->n_files; i++)
		if (!strcmp(p->files[i].dst, path))
			return true;
	return false;
}

/* COMMAND, when it is a host file (it has a '/' and no --file puts it
 * there): it must be there and executable now, before any VM exists. */
static int command_file(struct exec_opts *o, struct exec_plan *p)
{
	const char *cmd = o->argv[0];

	if (!strchr(cmd, '/') || copied_in(p, cmd))
		return 0;       /* the guest's PATH (busybox's applets), or a --file */
	if (access(cmd, F_OK)) {
		pr_err("exec: command %s: %s (a COMMAND with a '/' is a host file, copied "
		       "into the guest)", cmd, strerror(errno));
		return -1;
	}
	if (access(cmd, X_OK)) {
		pr_err("exec: command %s: not executable (chmod +x it, or run it as "
		       "'sh %s')", cmd, cmd);
		return -1;
	}
	/* A relative COMMAND stays relative: the guest runs it in the same
	 * directory, where its copy is. */
	return add_path(p, cmd, NULL, "command");
}

static int files(struct exec_opts *o, struct exec_plan *p)
{
	char src[PATH_MAX];
	const char *colon;
	int i;

	for (i = 0; i < o->n_files; i++) {
		colon = strchr(o->file_arg[i], ':');
		if (colon && (colon == o->file_arg[i] || !colon[1])) {
			pr_err("exec: --file %s: give SRC or SRC:DST", o->file_arg[i]);
			return -1;
		}
		snprintf(src, sizeof(src), "%.*s",
			 (int)(colon ? (size_t)(colon - o->file_arg[i]) : strlen(o->file_arg[i])),
			 o->file_arg[i]);
		if (add_path(p, src, colon ? colon + 1 : NULL, "--file"))
			return -1;
	}
	return 0;
}

static int plan(struct exec_opts *o, struct exec_plan *p)
{
	p->paths = calloc(EXEC_MAX_FILES + 1, sizeof(*p->paths));
	if (!p->paths) {
		pr_err("exec: out of memory");
		return -1;
	}
	if (!getcwd(p->cwd, sizeof(p->cwd))) {
		pr_err("exec: the working directory: %s", strerror(errno));
		return -1;
	}
	if (files(o, p) || command_file(o, p) || choose_kernel(o, p) ||
	    open_modules(o, p) || choose_modules(o, p))
		return -1;
	return 0;
}

static void plan_free(struct exec_plan *p)
{
	if (p->have_mods) {
		module_order_free(&p->order);
		modules_close(&p->mods);
	}
	free(p->paths);
}

static int build_rootfs(struct exec_opts *o, struct exec_plan *p, struct initramfs *ir)
{
	struct exec_rootfs r = {
		.busybox = o->busybox ? o->busybox : DEFAULT_BUSYBOX,
		.cwd = p->cwd,
		.argv = o->argv,
		.argc = o->argc,
		.files = p->files,
		.n_files = p->n_files,
		.mods = p->have_mods ? &p->mods : NULL,
		.order = &p->order,
	};
	char err[PATH_MAX + 256];

	if (exec_rootfs_build(&r, ir, err, sizeof(err))) {
		pr_err("exec: %s", err);
		return -1;
	}
	pr_info("exec: initramfs of %zu KiB: busybox, %zu module(s), %zu file(s)",
		ir->len >> 10, p->have_mods ? p->order.n : 0, p->n_files);
	return 0;
}

/* --dump-initramfs: the archive as the guest would get it, for a look
 * inside or another VMM. */
static int dump(const char *path, const struct initramfs *ir)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), err = 0;
	size_t off = 0;
	ssize_t n;

	if (fd < 0) {
		pr_err("exec: --dump-initramfs %s: %s", path, strerror(errno));
		return EXIT_ERROR;
	}
	while (off < ir->len && !err) {
		n = write(fd, ir->buf + off, ir->len - off);
		if (n > 0)
			off += (size_t)n;
		else if (n == 0 || errno != EINTR)
			err = n ? errno : EIO;
	}
	if (close(fd) && !err)
		err = errno;
	if (err) {
		pr_err("exec: --dump-initramfs %s: %s", path, strerror(err));
		return EXIT_ERROR;
	}
	pr_info("exec: the initramfs written to %s (%zu bytes); not booting", path, ir->len);
	return 0;
}

static int set_cmdline(struct exec_opts *o)
{
	const char *extra = o->extra_cmdline ? o->extra_cmdline : o->cfg.cmdline;
	size_t len = strlen(EXEC_CMDLINE) + (extra ? strlen(extra) + 1 : 0) + 1;
	char *s = malloc(len);

	if (!s)
		return -1;
	snprintf(s, len, "%s%s%s", EXEC_CMDLINE, extra ? " " : "", extra ? extra : "");
	free(o->cfg.cmdline);
	o->cfg.cmdline = s;
	return 0;
}

static int run(struct exec_opts *o, struct initramfs *ir)
{
	struct exec_session *s = malloc(sizeof(*s));
	int code;

	if (!s || set_cmdline(o)) {
		free(s);
		pr_err("exec: out of memory");
		return EXIT_ERROR;
	}
	exec_session_init(s, o->timeout_s, o->cfg.verbose > 0);
	o->cfg.console = CONSOLE_VIRTIO;
	o->cfg.no_reboot = true;
	o->cfg.initrd_data = ir->buf;
	o->cfg.initrd_len = ir->len;
	o->cfg.exec = s;
	code = machine_run(&o->cfg);
	code = exec_session_result(s, code);
	free(s);
	return code;
}

int exec_main(int argc, char **argv)
{
	struct exec_opts o = { 0 };
	struct exec_plan p = { 0 };
	struct initramfs ir;
	enum cli_result r;
	int code = EXIT_ERROR;

	config_init(&o.cfg);
	initramfs_init(&ir);
	r = parse(&o, argc, argv);
	if (r != CLI_RUN) {
		code = r == CLI_EXIT_OK ? 0 : EXIT_USAGE;
		goto out;
	}
	if (o.cfg.verbose)
		log_verbosity = o.cfg.verbose > 1 ? LOG_DEBUG : LOG_INFO;
	/* The report helper is built per architecture; arm64 has none yet. */
	if (exec_report_end - exec_report == 0) {
		pr_err("conduit exec is not available on this architecture yet "
		       "(its report helper speaks x86 port I/O)");
		goto out;
	}
	if (plan(&o, &p) || build_rootfs(&o, &p, &ir))
		goto out;
	plan_free(&p);
	memset(&p, 0, sizeof(p));
	code = o.dump ? dump(o.dump, &ir) : run(&o, &ir);
out:
	plan_free(&p);
	initramfs_free(&ir);
	free(o.modules);
	free(o.busybox);
	free(o.extra_cmdline);
	free(o.dump);
	config_free(&o.cfg);
	return code;
}
