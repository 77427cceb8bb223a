/* The machine: validate the user's files before touching KVM, then build
 * the VM (RAM, the architecture's devices and firmware tables, kernel, PCI
 * bus, serial, virtio-console, vCPUs), run the event loop until the guest
 * or the user ends it, and tear everything down on every path. What
 * differs per architecture is behind vmm/arch.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include "../devices/pci.h"
#include "../devices/serial.h"
#include "../devices/virtio_console.h"
#include "../vfio/passthrough.h"
#include "arch.h"
#include "event_loop.h"
#include "log.h"
#include "control.h"
#include "exec_session.h"
#include "hotplug.h"
#include "machine.h"
#include "machine_internal.h"
#include "machine_snapshot.h"
#include "output.h"
#include "clock.h"
#include "ram.h"
#include "seccomp.h"
#include "terminal.h"
#include "vcpu.h"
#include "vm.h"

#define ERRLEN 512

static int map_file(const char *path, const char *what, struct file_map *f)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		pr_err("%s %s: not a regular file", what, path);
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		pr_err("%s %s: file is empty", what, path);
		close(fd);
		return -1;
	}
	f->len = (size_t)st.st_size;
	f->data = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f->data == MAP_FAILED) {
		f->data = NULL;
		pr_err("%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	return 0;
}

static void unmap_file(struct file_map *f)
{
	if (f->data && !f->borrowed)
		munmap(f->data, f->len);
	f->data = NULL;
}

static int check_host_memory(uint64_t want)
{
	struct sysinfo si;
	uint64_t total;

	if (sysinfo(&si))
		return 0;
	total = (uint64_t)si.totalram * si.mem_unit;
	if (want > total) {
		pr_err("--memory %llu MiB is more than this host's %llu MiB of RAM",
		       (unsigned long long)(want >> 20), (unsigned long long)(total >> 20));
		return -1;
	}
	return 0;
}

/* --incoming: listen now, so a source can connect once conduit says so;
 * the accept comes when the machine is built. */
static int listen_incoming(struct machine *m)
{
	struct migrate_uri u;
	char err[ERRLEN];

	if (migrate_uri_parse(m->restore, &u, err, sizeof(err)) ||
	    (u.kind == MIGRATE_FILE &&
	     snprintf(err, sizeof(err), "%s: a file is for --restore", m->restore) > 0) ||
	    migrate_listen(&m->listener, &u, err, sizeof(err))) {
		pr_err("--incoming: %s", err);
		return -1;
	}
	pr_info("--incoming: waiting for a migration on %s", m->restore);
	return 0;
}

/* Everything about the user's input that can be checked without KVM. */
static int validate(struct machine *m, const struct vm_config *cfg, const char *cmdline)
{
	char err[ERRLEN];

	if (!cfg->kernel && cfg->initrd) {
		pr_err("--initrd %s needs --kernel", cfg->initrd);
		return -1;
	}
	m->kernel_path = cfg->kernel;
	if (cfg->kernel && map_file(cfg->kernel, "kernel", &m->kernel))
		return -1;
	if (arch_machine_check(m, cfg))
		return -1;
	if (cfg->initrd && map_file(cfg->initrd, "initrd", &m->initrd))
		return -1;
	if (cfg->initrd_data) {
		m->initrd.data = (uint8_t *)cfg->initrd_data;
		m->initrd.len = cfg->initrd_len;
		m->initrd.borrowed = true;
	}
	if (check_host_memory(cfg->mem_size))
		return -1;
	if (ram_page_size(cfg->hugepages) &&
	    ram_hugepages_check(NULL, ram_page_size(cfg->hugepages), cfg->mem_size,
				err, sizeof(err))) {
		pr_err("%s", err);
		return -1;
	}
	for (m->n_pt = 0; m->n_pt < cfg->n_passthrough; m->n_pt++) {
		if (passthrough_check(cfg->passthrough[m->n_pt], &m->pt_devs[m->n_pt], err,
				      sizeof(err))) {
			pr_err("%s", err);
			return -1;
		}
	}
	if (passthrough_check_backend(cfg->vfio_backend, m->pt_devs, m->n_pt,
				      err, sizeof(err)) < 0) {
		pr_err("%s", err);
		return -1;
	}
	if (m->restore && m->incoming)
		return listen_incoming(m);
	if (m->restore) {
		m->restore_fd = open(m->restore, O_RDONLY | O_CLOEXEC);
		if (m->restore_fd < 0) {
			pr_err("--restore %s: %s", m->restore, strerror(errno));
			return -1;
		}
		return 0;       /* RAM, registers and devices come from the snapshot */
	}
	return arch_machine_plan(m, cfg, cmdline);
}

static void console_output(void *opaque, const uint8_t *buf, size_t len)
{
	output_write(opaque, buf, len);
}

static void serial_tx(void *opaque, uint8_t b)
{
	struct machine *m = opaque;

	if (m->exec)
		exec_session_console(m->exec, b);
	else
		output_byte(&m->out, b);
}

static void guest_reset(void *opaque)
{
	vm_request_exit(opaque, EXIT_REBOOT);
}

static void stdin_ready(void *opaque, int fd)
{
	struct machine *m = opaque;
	uint8_t buf[512];
	bool quit = false;
	ssize_t n;
	size_t len;

	n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			pr_debug("stdin closed; the guest gets no more input");
			event_loop_remove(&m->loop, fd);
		}
		return;
	}
	len = escape_filter(&m->esc, buf, (size_t)n, &quit);
	pthread_mutex_lock(&devices_lock);
	if (m->console == CONSOLE_SERIAL)
		serial_receive(&m->serial, buf, len);
	else
		virtio_console_input(m->vcon, buf, len);
	pthread_mutex_unlock(&devices_lock);
	if (quit)
		vm_request_exit(&m->vm, EXIT_QUIT);
}

static const char *signal_name(unsigned sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	case SIGUSR2:
		return "SIGUSR2";
	}
	return "?";
}

static void signal_ready(void *opaque, int fd)
{
	struct machine *m = opaque;
	struct signalfd_siginfo si;
	int i;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR2) {
		log_report("signal %u (SIGUSR2): the state of each vCPU follows", si.ssi_signo);
		for (i = 0; i < m->n_vcpus; i++)
			vcpu_request_state(&m->vcpus[i]);
		return;
	}
	pr_info("signal %u (%s): shutting down", si.ssi_signo, signal_name(si.ssi_signo));
	vm_request_exit(&m->vm, EXIT_SIGNAL_BASE + (int)si.ssi_signo);
}

static void stop_ready(void *opaque, int fd)
{
	struct machine *m = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0)
		pr_debug("stop eventfd: %s", strerror(errno));
	event_loop_stop(&m->loop);
}

static int setup_signals(struct machine *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);      /* each vCPU's state, the VM goes on */
	sigaddset(&set, SIGUSR1);      /* vCPU threads unblock it themselves */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	sigdelset(&set, SIGUSR1);
	signal(SIGPIPE, SIG_IGN);
	m->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sig_fd < 0)
		return -1;
	return event_loop_add(&m->loop, m->sig_fd, signal_ready, m);
}

static int setup_devices(struct machine *m)
{
	struct vm *vm = &m->vm;

	vm->loop = &m->loop;
	if (output_init(&m->out, STDOUT_FILENO, &m->loop)) {
		pr_err("terminal output setup failed: %s", strerror(errno));
		return -1;
	}
	serial_init(&m->serial);
	m->serial.tx = serial_tx;
	m->serial.opaque = m;
	if (arch_machine_devices(m))
		return -1;
	m->pci.reset_request = guest_reset;
	m->pci.reset_opaque = vm;
	if (m->exec && exec_session_attach(m->exec, vm, &vm->pio, &m->loop)) {
		pr_err("conduit exec's devices: %s", strerror(errno));
		return -1;
	}
	if (m->console != CONSOLE_VIRTIO)
		return 0;
	m->vcon = calloc(1, sizeof(*m->vcon));
	if (!m->vcon || virtio_console_init(m->vcon, vm) || virtio_pci_plug(&m->vcon->vp, &m->pci)) {
		pr_err("virtio-console setup failed: %s", strerror(errno));
		return -1;
	}
	m->vcon->output = console_output;
	m->vcon->output_opaque = &m->out;
	return 0;
}

/* The kernel and firmware tables (or --bios's firmware) into RAM; the
 * guest has its copies then, so conduit's own footprint stays small. */
static int load_guest(struct machine *m, const char *cmdline)
{
	if (arch_machine_load(m, cmdline))
		return -1;
	unmap_file(&m->kernel);
	unmap_file(&m->initrd);
	return 0;
}

/* Every vCPU, before any device assigns an irqfd: arm64's GIC is
 * initialised once they all exist (arch_vm_vcpus_created), and KVM takes
 * no irqfd before that. */
static int create_vcpus(struct machine *m)
{
	char err[ERRLEN];
	int i;

	for (i = 0; i < m->vm.n_cpus; i++) {
		if (vcpu_create(&m->vm, &m->vcpus[i], i, err, sizeof(err))) {
			pr_err("%s", err);
			return -1;
		}
		m->n_vcpus++;
	}
	m->vm.vcpus = m->vcpus;
	if (arch_vm_vcpus_created(&m->vm, err, sizeof(err))) {
		pr_err("%s", err);
		return -1;
	}
	return 0;
}

static int boot_regs(struct machine *m)
{
	if (m->bios || m->restore)
		return 0;       /* KVM's reset state, or the snapshot's */
	return arch_machine_boot_regs(m);
}

/* Peak RSS minus the guest RAM that is resident: conduit's own memory.
 * Guest pages are never freed while the VM runs, so the resident count at
 * exit is the largest it was. */
static void report_memory(struct vm *vm)
{
	unsigned long long hwm = 0, guest = vm_guest_resident(vm) >> 10;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %llu kB", &hwm) == 1)
			break;
	if (f)
		fclose(f);
	pr_info("memory: peak RSS %llu KiB, guest RAM resident %llu KiB, conduit's own %lld KiB",
		hwm, guest, (long long)hwm - (long long)guest);
}

static void teardown(struct machine *m)
{
	int i;

	for (i = 0; i < m->n_vcpus; i++)
		vcpu_kick(&m->vcpus[i]);
	for (i = 0; i < m->n_vcpus; i++)
		vcpu_join(&m->vcpus[i]);
	if (m->ctl && m->ctl->m == m)
		control_detach(m->ctl);
	for (i = 0; i < m->n_vcpus; i++)
		vcpu_destroy(&m->vcpus[i]);
	if (m->stats)
		passthrough_print_stats(&m->pt);
	passthrough_stop(&m->pt);
	if (m->vcon) {
		pthread_mutex_lock(&devices_lock);
		virtio_console_drain(m->vcon);  /* what the guest wrote last */
		pthread_mutex_unlock(&devices_lock);
	}
	if (m->exec)
		exec_session_detach(m->exec);
	output_close(&m->out);
	terminal_restore();
	if (m->pci.pio)
		pci_bus_destroy(&m->pci);       /* virtio-console's teardown */
	free(m->vcon);
	if (m->sig_fd >= 0)
		close(m->sig_fd);
	event_loop_exit(&m->loop);
	vm_destroy(&m->vm);
	unmap_file(&m->kernel);
	unmap_file(&m->initrd);
	arch_machine_teardown(m);
	if (m->restore_fd >= 0)
		close(m->restore_fd);
	migrate_listener_close(&m->listener);
}

static int start(struct machine *m)
{
	int i;

	if (!m->exec && terminal_raw())
		pr_warn("cannot put the terminal in raw mode: %s", strerror(errno));
	for (i = 0; i < m->n_vcpus; i++) {
		if (vcpu_start(&m->vcpus[i])) {
			pr_err("cannot start vCPU %d thread", i);
			return -1;
		}
	}
	return 0;
}

/* The seccomp sandbox goes on once the machine is built and before the
 * vCPU threads exist: they inherit the main thread's filter and stack their
 * own. After a guest reboot it is already on (vmm/seccomp.c). Either way
 * the log says it once. */
static int sandbox(const struct vm_config *cfg)
{
	static bool warned;
	bool first = !seccomp_active();
	int ret;

	if (cfg->no_seccomp) {
		if (!warned)
			pr_warn("--no-seccomp: running without the seccomp sandbox");
		warned = true;
		return 0;
	}
	ret = seccomp_start_main();
	if (ret) {
		pr_err("cannot install the seccomp sandbox: %s (--no-seccomp runs without it)",
		       strerror(-ret));
		return -1;
	}
	if (first)
		pr_info("seccomp sandbox on: main thread and vCPU threads have their allow-lists");
	return 0;
}

/* --restore: the snapshot loaded into the machine just built, before its
 * vCPUs run; with --paused they wait for QMP cont. */
static int restore(struct machine *m, const struct vm_config *cfg)
{
	struct machine_snapshot_stats st;
	const char *opt = m->incoming ? "--incoming" : "--restore";
	char err[ERRLEN];
	int ret;

	if (m->incoming) {
		m->restore_fd = migrate_accept(&m->listener, 0, err, sizeof(err));
		if (m->restore_fd < 0) {
			pr_err("--incoming %s: %s", m->restore, err);
			return -1;
		}
	}
	ram_load_begin(&m->vm.mem, cfg->hugepages);
	ret = machine_snapshot_load(m, m->restore_fd, &st, err, sizeof(err));
	ram_load_end(&m->vm.mem, cfg->hugepages);
	if (ret) {
		pr_err("%s %s: %s", opt, m->restore, err);
		return -1;
	}
	close(m->restore_fd);
	m->restore_fd = -1;
	pr_info("restored from %s: %llu MiB of %llu MiB RAM, %llu KiB of device state in "
		"%.1f ms (%.1f ms of it reading the %s%s)", m->restore,
		(unsigned long long)(st.ram_bytes >> 20),
		(unsigned long long)(cfg->mem_size >> 20),
		(unsigned long long)(st.device_bytes >> 10), (double)st.ns / 1e6,
		(double)st.io_ns / 1e6, m->incoming ? "socket" : "file",
		m->incoming ? ", waiting for the source included" : "");
	if (st.data_bytes)
		pr_info("%s: VFIO device data: %llu bytes in %u run%s between other records%s",
			opt, (unsigned long long)st.data_bytes, st.data_runs,
			st.data_runs == 1 ? "" : "s", st.data_runs > 1 ?
			" (pre-copy: data came while the source's guest ran)" : "");
	if (cfg->paused) {
		vm_pause_at_start(&m->vm);
		pr_info("paused (--paused): QMP cont runs the guest");
	}
	return 0;
}

/* One boot of the guest, from the files to the teardown. */
static int machine_boot(const struct vm_config *cfg, struct control *ctl,
			const char *restore_path)
{
	const char *cmdline = cfg->cmdline ? cfg->cmdline : arch_default_cmdline();
	struct machine *m = calloc(1, sizeof(*m));
	char err[ERRLEN];
	int code = EXIT_ERROR, ret;

	if (!m) {
		pr_err("out of memory");
		return EXIT_ERROR;
	}
	m->sig_fd = -1;
	m->bios_log_fd = -1;
	m->out.fd = m->out.timer_fd = -1;
	m->console = cfg->console;
	m->stats = cfg->stats;
	m->ctl = ctl;
	m->exec = cfg->exec;
	m->restore = restore_path;
	m->incoming = restore_path && cfg->incoming && restore_path == cfg->incoming;
	m->incoming_idle_ms = 1000 * (cfg->incoming_timeout ? cfg->incoming_timeout :
				      INCOMING_TIMEOUT_DEFAULT);
	m->restore_fd = -1;
	m->listener.fd = -1;
	if (validate(m, cfg, cmdline) || cfg->dump_dtb) {
		/* --dump-dtb: the plan wrote the device tree; nothing runs */
		code = cfg->dump_dtb && m->dumped ? EXIT_POWEROFF : EXIT_ERROR;
		unmap_file(&m->kernel);
		unmap_file(&m->initrd);
		arch_machine_teardown(m);
		free(m);
		return code;
	}
	hotplug_boot_devices(ctl, m);
	if (event_loop_init(&m->loop)) {
		pr_err("io_uring setup failed: %s (is io_uring disabled on this host?)",
		       strerror(errno));
		unmap_file(&m->kernel);
		unmap_file(&m->initrd);
		arch_machine_teardown(m);
		free(m);
		return EXIT_ERROR;
	}
	if (vm_create(&m->vm, cfg, err, sizeof(err))) {
		pr_err("%s", err);
		goto out;
	}
	if (setup_signals(m) || event_loop_add(&m->loop, m->vm.stop_efd, stop_ready, m) ||
	    (!m->exec && event_loop_add(&m->loop, STDIN_FILENO, stdin_ready, m))) {
		pr_err("event loop setup failed");
		goto out;
	}
	/* The kernel is copied in (and its file unmapped) before passthrough
	 * pins all guest RAM, so the file never adds to the peak footprint. */
	if (create_vcpus(m) || setup_devices(m) ||
	    (!m->restore && load_guest(m, cmdline)) ||
	    (m->restore && arch_machine_load_restore(m, cmdline)))
		goto out;
	/* BARs are placed before guest RAM is pinned: a machine that cannot
	 * be built fails at once, its prefault stopped short. */
	if (passthrough_start(&m->pt, &m->vm, &m->pci, m->pt_devs, m->n_pt,
			      cfg->vfio_backend, err, sizeof(err)) ||
	    pci_bus_assign_all(&m->pci, err, sizeof(err)) ||
	    passthrough_map_ram(&m->pt, err, sizeof(err))) {
		pr_err("%s", err);
		goto out;
	}
	if (control_attach(ctl, m) || hotplug_boot_started(ctl, m)) {
		pr_err("control socket setup failed");
		goto out;
	}
	if (boot_regs(m) || (m->restore && restore(m, cfg)) || sandbox(cfg) || start(m))
		goto out;
	if (m->incoming && !cfg->paused)
		pr_info("--incoming: vCPUs started at %llu ns (CLOCK_REALTIME)",
			(unsigned long long)clock_realtime_ns());
	pr_info("guest started: %d vCPU(s), %llu MiB, console %s", m->vm.n_cpus,
		(unsigned long long)(cfg->mem_size >> 20),
		m->console == CONSOLE_VIRTIO ? "virtio" : "serial");
	ret = event_loop_run(&m->loop);
	if (ret < 0) {
		pr_err("event loop failed: %s", strerror(-ret));
		vm_request_exit(&m->vm, EXIT_ERROR);
	}
	code = atomic_load(&m->vm.exit_code);
	if (code < 0)
		code = EXIT_ERROR;
	report_memory(&m->vm);
out:
	teardown(m);
	free(m);
	return code;
}

/* A guest reboot builds the machine anew: every device, passthrough ones
 * included, starts from reset, and guest RAM is fresh. */
int machine_run(const struct vm_config *cfg)
{
	struct control ctl;
	int code, boots = 1;

	if (control_open(&ctl, cfg))
		return EXIT_ERROR;
	for (;;) {
		/* Only the first boot resumes a snapshot; a reboot boots --kernel. */
		code = machine_boot(cfg, &ctl, boots > 1 ? NULL :
				    cfg->incoming ? cfg->incoming : cfg->restore);
		control_boot_ended(&ctl, code);
		if (code != EXIT_REBOOT || cfg->no_reboot)
			break;
		if (!cfg->kernel && !cfg->bios) {
			pr_err("the restored guest rebooted, and there is no --kernel to boot: "
			       "give --kernel with --restore for reboots");
			break;
		}
		boots++;
		pr_info("the guest rebooted: booting it again (boot %d)", boots);
	}
	control_close(&ctl);
	return code;
}
