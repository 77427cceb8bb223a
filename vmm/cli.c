/* The command line. --config FILE is read first wherever it appears, then
 * every other option is applied on top of it, so the command line wins. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "../boot/x86/firmware.h"

static const struct option options[] = {
	{ "kernel",      required_argument, NULL, 'k' },
	{ "initrd",      required_argument, NULL, 'i' },
	{ "cmdline",     required_argument, NULL, 'a' },
	{ "bios",        required_argument, NULL, 'B' },
	{ "bios-log",    required_argument, NULL, 'L' },
	{ "dump-dtb",    required_argument, NULL, 'D' },
	{ "memory",      required_argument, NULL, 'm' },
	{ "cpus",        required_argument, NULL, 'c' },
	{ "console",     required_argument, NULL, 'C' },
	{ "hugepages",   required_argument, NULL, 'H' },
	{ "passthrough", required_argument, NULL, 'p' },
	{ "vfio-backend", required_argument, NULL, 'I' },
	{ "config",      required_argument, NULL, 'f' },
	{ "stats",       no_argument,       NULL, 's' },
	{ "no-reboot",   no_argument,       NULL, 'R' },
	{ "no-seccomp",  no_argument,       NULL, 'S' },
	{ "api-socket",  required_argument, NULL, 'Q' },
	{ "restore",     required_argument, NULL, 'r' },
	{ "paused",      no_argument,       NULL, 'P' },
	{ "incoming",    required_argument, NULL, 'g' },
	{ "incoming-timeout", required_argument, NULL, 'W' },
	{ "verbose",     no_argument,       NULL, 'v' },
	{ "help",        no_argument,       NULL, 'h' },
	{ "version",     no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: conduit --kernel BZIMAGE [options]\n"
"       conduit --bios FILE|seabios [--kernel BZIMAGE] [options]\n"
"\n"
"Boot a Linux guest under KVM.\n"
"\n"
"  -k, --kernel FILE       Linux bzImage to boot (x86-64, boot protocol 2.12+)\n"
"  -i, --initrd FILE       initramfs to load\n"
"  -a, --cmdline STRING    kernel command line (default: \"console=ttyS0\")\n"
"      --bios FILE         boot through firmware: a BIOS image (64 KiB-16 MiB,\n"
"                          a multiple of 64 KiB) placed below 4 GiB, or\n"
"                          'seabios' for %s;\n"
"                          with --kernel the firmware boots that kernel (an\n"
"                          option ROM of conduit's loads it); without, the\n"
"                          firmware boots what it finds. Default: direct boot\n"
"      --bios-log FILE     write the firmware's debug output (port 0x402) there\n"
"      --dump-dtb FILE     arm64: write the guest's device tree there and stop\n"
"                          (no VM is started; x86 guests get ACPI tables)\n"
"  -m, --memory SIZE       guest RAM, e.g. 512M, 2G; a bare number is MiB\n"
"                          (default 256M)\n"
"  -c, --cpus N            virtual CPUs, 1-%d (default 1)\n"
"  -C, --console KIND      where the terminal goes: virtio (hvc0, default) or\n"
"                          serial (ttyS0); serial output is always shown\n"
"      --hugepages KIND    guest RAM backing: thp (default: transparent\n"
"                          hugepages where the host has them), none, or 2M /\n"
"                          1G (hugetlbfs pages, which the host must have free)\n"
"  -p, --passthrough BDF[,msix=off]\n"
"                          pass a host PCI device bound to vfio-pci through\n"
"                          (0000:03:00.0 or 03:00.0; repeatable); msix=off\n"
"                          hides its MSI-X, so the guest uses MSI or INTx.\n"
"                          Also mdev:UUID (a mediated device), and fd:SOCKET\n"
"                          (a device handed over by 'conduit bind BDF\n"
"                          --serve SOCKET': no access to /dev/vfio needed)\n"
"      --vfio-backend KIND auto (default: iommufd where /dev/iommu and the\n"
"                          devices' cdevs exist, else legacy), iommufd, or\n"
"                          legacy (the type1 container and groups)\n"
"  -s, --stats             at exit, print per passthrough device: BAR exits,\n"
"                          MSI-X table writes, interrupts relayed, DMA-map time\n"
"  -f, --config FILE       read 'key = value' settings (keys are the long\n"
"                          option names); options given here override them\n"
"      --no-reboot         exit (code 3) when the guest reboots, instead of\n"
"                          booting it again with its devices reset\n"
"      --no-seccomp        run without the seccomp sandbox (for debugging;\n"
"                          a system call outside it otherwise ends conduit)\n"
"      --api-socket PATH   listen for QMP commands on the Unix socket PATH\n"
"                          (mode 0600); 'conduit ctl PATH COMMAND' sends one\n"
"      --restore FILE      resume the guest saved in FILE (QMP stop, then\n"
"                          migrate uri=file:FILE), given the same --memory,\n"
"                          --cpus and devices; --kernel is then only for a\n"
"                          later reboot\n"
"      --incoming URI      take a live migration (unix:PATH or tcp:HOST:PORT)\n"
"                          from a conduit sending it with QMP migrate, given\n"
"                          the same --memory, --cpus and devices\n"
"      --incoming-timeout SECS  give up when the source sends nothing for\n"
"                          SECS seconds (default %d)\n"
"      --paused            with --restore or --incoming: wait for QMP cont\n"
"  -v, --verbose           more log output (repeat for debug)\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n"
"\n"
"Helpers: conduit devices | bind BDF | unbind BDF (see conduit devices --help)\n"
"         conduit ctl SOCKET COMMAND [KEY=VALUE...] (see conduit ctl --help)\n"
"         conduit exec [OPTIONS] -- COMMAND [ARGS...]: run one command in a\n"
"         fresh guest, with its exit status (see conduit exec --help)\n"
"\n"
"Console: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
"Signals: SIGINT, SIGTERM, SIGHUP stop the VM; SIGUSR2 prints each vCPU's\n"
"         state (run state, rip, LAPIC timer, interrupts) and the VM goes on.\n"
"\n"
"Exit codes: 0 guest powered off, 1 error, 2 usage error, 3 guest reboot\n"
"            (with --no-reboot),\n"
"            4 guest crashed, 5 quit from the console, 6 a system call\n"
"            outside the seccomp sandbox, 128+N signal N.\n",
		SEABIOS_PATH, MAX_CPUS, INCOMING_TIMEOUT_DEFAULT);
}

static int apply(struct vm_config *cfg, int opt, const char *arg)
{
	char err[CONFIG_ERR_LEN];
	const char *key = NULL;
	int i;

	for (i = 0; options[i].name; i++)
		if (options[i].val == opt)
			key = options[i].name;
	if (!key || config_set(cfg, key, arg, err, sizeof(err)) == 0)
		return 0;
	pr_err("--%s: %s", key, err);
	return -1;
}

enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg)
{
	char err[CONFIG_ERR_LEN];
	int opt, verbose = 0;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":k:i:a:m:c:C:p:f:svhV", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("conduit %s\n", CONDUIT_VERSION);
			return CLI_EXIT_OK;
		case 'f':
			if (config_load_file(cfg, optarg, err, sizeof(err))) {
				pr_err("%s", err);
				return CLI_EXIT_USAGE;
			}
			break;
		case '?':
			pr_err("unknown option '%s' (see conduit --help)", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		case ':':
			pr_err("option '%s' needs a value (see conduit --help)", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (see conduit --help)", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":k:i:a:m:c:C:p:f:svhV", options, NULL)) != -1) {
		if (opt == 'v')
			verbose++;
		else if (opt == 's')
			cfg->stats = true;
		else if (opt == 'R')
			cfg->no_reboot = true;
		else if (opt == 'S')
			cfg->no_seccomp = true;
		else if (opt == 'P')
			cfg->paused = true;
		else if (opt != 'f' && apply(cfg, opt, optarg))
			return CLI_EXIT_USAGE;
	}
	cfg->verbose = verbose;
	if (cfg->incoming && cfg->restore) {
		pr_err("--incoming and --restore: give one (a migration or a snapshot)");
		return CLI_EXIT_USAGE;
	}
	if (!cfg->kernel && !cfg->bios && !cfg->restore && !cfg->incoming) {
		pr_err("no kernel given: use --kernel BZIMAGE or --bios FILE (see conduit --help)");
		return CLI_EXIT_USAGE;
	}
	if (cfg->incoming_timeout && !cfg->incoming) {
		pr_err("--incoming-timeout needs --incoming");
		return CLI_EXIT_USAGE;
	}
	if (cfg->paused && !cfg->restore && !cfg->incoming) {
		pr_err("--paused needs --restore or --incoming (the guest then waits for QMP cont)");
		return CLI_EXIT_USAGE;
	}
	return CLI_RUN;
}
