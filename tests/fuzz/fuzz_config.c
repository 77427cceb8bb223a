/* Fuzzer for config files (vmm/config.c): the input is the file. It goes
 * through config_load_file() (size limit, NUL check, reading) from a memfd,
 * or straight to config_parse_text() with a file name picked by the first
 * byte (short, in a directory, or long enough that anchoring relative paths
 * overflows PATH_MAX), and an error buffer either of the size conduit uses
 * or tiny. Checked: errors are one NUL-terminated line naming the file, a
 * parsed configuration is within its limits (memory >= 16M, 1-64 vCPUs, at
 * most 8 passthrough devices, anchored kernel/initrd paths), and nothing
 * leaks (LeakSanitizer). */
#include <limits.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../vmm/config.h"

static char long_path[PATH_MAX];
static int memfd = -1;
static char memfd_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	memset(long_path, 'd', sizeof(long_path) - 16);
	memcpy(long_path + sizeof(long_path) - 16, "/x.cfg", 7);
	memfd = memfd_create("fuzz-config", 0);
	if (memfd < 0)
		abort();
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	return 0;
}

static void check_cfg(const struct vm_config *cfg, const char *path)
{
	int i;

	FUZZ_ASSERT(cfg->mem_size >= (16ULL << 20));
	FUZZ_ASSERT(cfg->cpus >= 1 && cfg->cpus <= MAX_CPUS);
	FUZZ_ASSERT(cfg->n_passthrough >= 0 && cfg->n_passthrough <= MAX_PASSTHROUGH);
	FUZZ_ASSERT(cfg->console == CONSOLE_VIRTIO || cfg->console == CONSOLE_SERIAL);
	for (i = 0; i < cfg->n_passthrough; i++)
		FUZZ_ASSERT(cfg->passthrough[i] && strlen(cfg->passthrough[i]) < PATH_MAX);
	/* A relative path is anchored at the file's directory. */
	if (cfg->kernel && strchr(path, '/') && cfg->kernel[0] != '/')
		FUZZ_ASSERT(!strncmp(cfg->kernel, path, strrchr(path, '/') - path));
	if (cfg->kernel)
		FUZZ_ASSERT(strlen(cfg->kernel) < PATH_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t how = fuzz_u8(&in);
	size_t errlen = how & 0x10 ? 7 : CONFIG_ERR_LEN;
	char err[CONFIG_ERR_LEN], *text;
	struct vm_config cfg;
	const char *path;
	int r;

	switch (how & 3) {
	case 0: path = "x.cfg"; break;
	case 1: path = "configs/dir/x.cfg"; break;
	case 2: path = long_path; break;
	default: path = memfd_path; break;
	}
	config_init(&cfg);
	memset(err, 0x55, sizeof(err));
	if (path == memfd_path) {
		if (ftruncate(memfd, 0) || pwrite(memfd, in.p, in.n, 0) != (ssize_t)in.n)
			abort();
		r = config_load_file(&cfg, path, err, errlen);
	} else {
		text = malloc(in.n + 1);
		if (!text)
			abort();
		memcpy(text, in.p, in.n);
		text[in.n] = '\0';
		r = config_parse_text(&cfg, text, path, err, errlen);
		free(text);
	}
	if (r) {
		FUZZ_ASSERT(r == -1);
		FUZZ_ASSERT(memchr(err, '\0', errlen));
		FUZZ_ASSERT(strlen(err) > 0 && !strchr(err, '\n'));
		if (errlen > 64 && path != long_path)
			FUZZ_ASSERT(strstr(err, path) || strstr(err, "config file"));
	} else {
		check_cfg(&cfg, path);
	}
	config_free(&cfg);
	return 0;
}
