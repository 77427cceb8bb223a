/* The VM configuration: command-line options, config files and size parsing. */
#ifndef CONDUIT_CONFIG_H
#define CONDUIT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_PASSTHROUGH 8
#define MAX_CPUS 64
#define CONFIG_ERR_LEN 256

enum console_kind { CONSOLE_VIRTIO, CONSOLE_SERIAL };
/* --vfio-backend, in the order of its names in config.c; vfio/ takes it as
 * it is. */
enum vfio_backend_kind { VFIO_BACKEND_AUTO, VFIO_BACKEND_IOMMUFD, VFIO_BACKEND_LEGACY };
/* Guest RAM backing: transparent hugepages (the default), plain 4 KiB
 * pages, or hugetlbfs pages of 2 MiB or 1 GiB. */
enum ram_backing { RAM_THP, RAM_NONE, RAM_2M, RAM_1G };

struct vm_config {
	char *kernel;
	char *initrd;
	char *cmdline;
	char *bios;             /* firmware image, or "seabios"; NULL: direct boot */
	char *bios_log;         /* where the firmware's debug port output goes */
	char *dump_dtb;         /* --dump-dtb: write the arm64 device tree there, stop */
	uint64_t mem_size;
	int cpus;
	enum console_kind console;
	enum ram_backing hugepages;
	char *passthrough[MAX_PASSTHROUGH];
	int n_passthrough;
	enum vfio_backend_kind vfio_backend;   /* --vfio-backend */
	bool stats;
	bool no_reboot;         /* a guest reboot ends conduit (exit 3) */
	bool no_seccomp;        /* no seccomp sandbox (for debugging) */
	char *api_socket;       /* --api-socket: the QMP control socket's path */
	char *restore;          /* --restore: a snapshot to resume */
	bool paused;            /* --paused: a restored guest waits for cont */
	char *incoming;         /* --incoming: a live migration's URI to take */
	int incoming_timeout;   /* --incoming-timeout: seconds without a byte from
				 * the source before giving up; 0: the default */
	int verbose;
	/* `conduit exec` (vmm/exec.c): the initramfs it built in memory (used
	 * instead of --initrd) and its session; not owned by the config. */
	const uint8_t *initrd_data;
	size_t initrd_len;
	struct exec_session *exec;
};

#define INCOMING_TIMEOUT_DEFAULT 60      /* seconds */
#define INCOMING_TIMEOUT_MAX 3600

/* Parse "512M", "1G", "4096K", "1073741824B"... A bare number is in units of
 * default_unit bytes. Returns 0 or -1 with a message in err. */
int parse_size(const char *s, uint64_t default_unit, uint64_t *out,
	       char *err, size_t errlen);

/* Apply one "key = value" setting (keys are the long option names). */
int config_set(struct vm_config *cfg, const char *key, const char *value,
	       char *err, size_t errlen);

/* Parse a config file's text; path names the file in errors and anchors
 * relative kernel/initrd paths. */
int config_parse_text(struct vm_config *cfg, const char *text,
		      const char *path, char *err, size_t errlen);
int config_load_file(struct vm_config *cfg, const char *path,
		     char *err, size_t errlen);

void config_init(struct vm_config *cfg);
void config_free(struct vm_config *cfg);

#endif
