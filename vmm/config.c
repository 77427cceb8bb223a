/* The VM configuration: size parsing and "key = value" config files. The
 * command line (vmm/cli.c) and config files share config_set(). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = 256ULL << 20;
	cfg->cpus = 1;
	cfg->console = CONSOLE_VIRTIO;
}

void config_free(struct vm_config *cfg)
{
	int i;

	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	free(cfg->bios);
	free(cfg->bios_log);
	free(cfg->dump_dtb);
	free(cfg->api_socket);
	free(cfg->restore);
	free(cfg->incoming);
	for (i = 0; i < cfg->n_passthrough; i++)
		free(cfg->passthrough[i]);
	memset(cfg, 0, sizeof(*cfg));
}

int parse_size(const char *s, uint64_t default_unit, uint64_t *out,
	       char *err, size_t errlen)
{
	unsigned long long v;
	uint64_t unit = default_unit;
	char *end;

	if (!s || !isdigit((unsigned char)*s)) {
		snprintf(err, errlen, "'%s' is not a size (try 512M or 2G)",
			 s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno) {
		snprintf(err, errlen, "size '%s' is out of range", s);
		return -1;
	}
	switch (toupper((unsigned char)*end)) {
	case 'B': unit = 1; end++; goto done;
	case 'K': unit = 1ULL << 10; end++; break;
	case 'M': unit = 1ULL << 20; end++; break;
	case 'G': unit = 1ULL << 30; end++; break;
	case 'T': unit = 1ULL << 40; end++; break;
	case '\0': goto done;
	default:
		snprintf(err, errlen, "size '%s' has an unknown suffix (use K, M, G or T)", s);
		return -1;
	}
	/* Accept "G", "GB" and "GiB". */
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
done:
	if (*end != '\0') {
		snprintf(err, errlen, "size '%s' has trailing characters", s);
		return -1;
	}
	if (v != 0 && unit > UINT64_MAX / v) {
		snprintf(err, errlen, "size '%s' is out of range", s);
		return -1;
	}
	*out = v * unit;
	return 0;
}

static int set_string(char **dst, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

static int parse_cpus(const char *value, int *out, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end != '\0' || v < 1 || v > MAX_CPUS) {
		snprintf(err, errlen, "cpus '%s' is not a number from 1 to %d",
			 value, MAX_CPUS);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int parse_timeout(const char *value, int *out, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end != '\0' || v < 1 || v > INCOMING_TIMEOUT_MAX) {
		snprintf(err, errlen, "'%s' is not a number of seconds from 1 to %d", value,
			 INCOMING_TIMEOUT_MAX);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int parse_bool(const char *key, const char *value, bool *out,
		      char *err, size_t errlen)
{
	if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
		*out = true;
	else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
		*out = false;
	else {
		snprintf(err, errlen, "%s '%s' is not true or false", key, value);
		return -1;
	}
	return 0;
}

int config_set(struct vm_config *cfg, const char *key, const char *value,
	       char *err, size_t errlen)
{
	if (!strcmp(key, "kernel"))
		return set_string(&cfg->kernel, value);
	if (!strcmp(key, "initrd"))
		return set_string(&cfg->initrd, value);
	if (!strcmp(key, "cmdline"))
		return set_string(&cfg->cmdline, value);
	if (!strcmp(key, "bios"))
		return set_string(&cfg->bios, value);
	if (!strcmp(key, "bios-log"))
		return set_string(&cfg->bios_log, value);
	if (!strcmp(key, "dump-dtb"))
		return set_string(&cfg->dump_dtb, value);
	if (!strcmp(key, "memory")) {
		uint64_t size;

		if (parse_size(value, 1ULL << 20, &size, err, errlen))
			return -1;
		if (size < (16ULL << 20)) {
			snprintf(err, errlen, "memory '%s' is below the 16M minimum", value);
			return -1;
		}
		cfg->mem_size = size;
		return 0;
	}
	if (!strcmp(key, "cpus"))
		return parse_cpus(value, &cfg->cpus, err, errlen);
	if (!strcmp(key, "console")) {
		if (!strcmp(value, "virtio"))
			cfg->console = CONSOLE_VIRTIO;
		else if (!strcmp(value, "serial"))
			cfg->console = CONSOLE_SERIAL;
		else {
			snprintf(err, errlen, "console '%s' is not 'virtio' or 'serial'", value);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "hugepages")) {
		static const char *names[] = { "thp", "none", "2M", "1G" };
		int i;

		for (i = 0; i < 4; i++) {
			if (!strcmp(value, names[i])) {
				cfg->hugepages = (enum ram_backing)i;
				return 0;
			}
		}
		snprintf(err, errlen, "hugepages '%s' is not none, thp, 2M or 1G", value);
		return -1;
	}
	if (!strcmp(key, "passthrough")) {
		if (cfg->n_passthrough >= MAX_PASSTHROUGH) {
			snprintf(err, errlen, "at most %d passthrough devices", MAX_PASSTHROUGH);
			return -1;
		}
		cfg->passthrough[cfg->n_passthrough] = strdup(value);
		if (!cfg->passthrough[cfg->n_passthrough])
			return -1;
		cfg->n_passthrough++;
		return 0;
	}
	if (!strcmp(key, "vfio-backend")) {
		static const char *names[] = { "auto", "iommufd", "legacy" };
		int i;

		for (i = 0; i < 3; i++) {
			if (!strcmp(value, names[i])) {
				cfg->vfio_backend = (enum vfio_backend_kind)i;
				return 0;
			}
		}
		snprintf(err, errlen, "vfio-backend '%s' is not auto, iommufd or legacy", value);
		return -1;
	}
	if (!strcmp(key, "stats"))
		return parse_bool(key, value, &cfg->stats, err, errlen);
	if (!strcmp(key, "no-reboot"))
		return parse_bool(key, value, &cfg->no_reboot, err, errlen);
	if (!strcmp(key, "no-seccomp"))
		return parse_bool(key, value, &cfg->no_seccomp, err, errlen);
	if (!strcmp(key, "api-socket"))
		return set_string(&cfg->api_socket, value);
	if (!strcmp(key, "restore"))
		return set_string(&cfg->restore, value);
	if (!strcmp(key, "paused"))
		return parse_bool(key, value, &cfg->paused, err, errlen);
	if (!strcmp(key, "incoming"))
		return set_string(&cfg->incoming, value);
	if (!strcmp(key, "incoming-timeout"))
		return parse_timeout(value, &cfg->incoming_timeout, err, errlen);
	snprintf(err, errlen, "unknown key '%s' (keys: kernel, initrd, cmdline, bios, bios-log, "
		 "dump-dtb, memory, cpus, console, hugepages, passthrough, vfio-backend, stats, no-reboot, "
		 "no-seccomp, api-socket, restore, paused, incoming, incoming-timeout)", key);
	return -1;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* A relative file path in a config file is relative to that file. */
static int anchor_path(const char *key, const char *value, const char *path,
		       char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');

	bool file = !strcmp(key, "kernel") || !strcmp(key, "initrd") ||
		    !strcmp(key, "bios-log") || !strcmp(key, "api-socket") ||
		    !strcmp(key, "dump-dtb") ||
		    !strcmp(key, "restore") ||
		    (!strcmp(key, "bios") && strcmp(value, "seabios"));

	if (!file || value[0] == '/' || !slash)
		return snprintf(out, outlen, "%s", value) >= (int)outlen ? -1 : 0;
	return snprintf(out, outlen, "%.*s/%s", (int)(slash - path), path,
			value) >= (int)outlen ? -1 : 0;
}

static int parse_line(struct vm_config *cfg, char *line, const char *path,
		      int lineno, char *err, size_t errlen)
{
	char msg[CONFIG_ERR_LEN], value[PATH_MAX];
	char *eq, *key, *val;
	size_t n;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq) {
		snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
		return -1;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	n = strlen(val);
	if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
		val[n - 1] = '\0';
		val++;
	}
	if (anchor_path(key, val, path, value, sizeof(value))) {
		snprintf(err, errlen, "%s:%d: path too long", path, lineno);
		return -1;
	}
	if (config_set(cfg, key, value, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
		return -1;
	}
	return 0;
}

int config_parse_text(struct vm_config *cfg, const char *text,
		      const char *path, char *err, size_t errlen)
{
	char *copy = strdup(text), *line, *next;
	int lineno = 1, ret = 0;

	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (line = copy; line; line = next, lineno++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ret = parse_line(cfg, line, path, lineno, err, errlen);
		if (ret)
			break;
	}
	free(copy);
	return ret;
}

int config_load_file(struct vm_config *cfg, const char *path,
		     char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret = -1;

	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "config file %s: %s", path, strerror(errno));
		return -1;
	}
	text = calloc(1, 65538);
	if (!text)
		goto out;
	/* One byte more than allowed tells a 64 KiB file from a larger one. */
	len = fread(text, 1, 65537, f);
	if (ferror(f) || len > 65536) {
		snprintf(err, errlen, "config file %s: unreadable or larger than 64 KiB", path);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "config file %s: not a text file", path);
		goto out;
	}
	ret = config_parse_text(cfg, text, path, err, errlen);
out:
	free(text);
	fclose(f);
	return ret;
}
