/* Building a `conduit exec` guest's initramfs: host files read whole
 * (with a size cap), parent directories added once each, entries in an
 * order the kernel can unpack (a directory before what is in it). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf_info.h"
#include "exec_blobs.h"
#include "exec_rootfs.h"

#define MODULE_DIR "lib/modules/conduit"

/* The directories already in the archive, so each is added once. */
struct dir_set {
	char **name;
	size_t n;
};

struct build {
	struct initramfs *ir;
	struct dir_set dirs;
	char *err;
	size_t errlen;
};

static int fail(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct build *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, b->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool dir_known(const struct dir_set *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->name[i], name))
			return true;
	return false;
}

static int dir_add(struct build *b, const char *name)
{
	char **grown;
	int ret;

	if (dir_known(&b->dirs, name))
		return 0;
	ret = initramfs_add_dir(b->ir, name, 0755);
	if (ret)
		return fail(b, "guest directory /%s: %s", name, strerror(-ret));
	grown = realloc(b->dirs.name, (b->dirs.n + 1) * sizeof(*grown));
	if (!grown || !(grown[b->dirs.n] = strdup(name))) {
		if (grown)
			b->dirs.name = grown;
		return fail(b, "out of memory");
	}
	b->dirs.name = grown;
	b->dirs.n++;
	return 0;
}

/* Every directory above name ("a/b/c" -> "a", "a/b"), and with self the
 * name too. */
static int dirs_for(struct build *b, const char *name, bool self)
{
	char path[INITRAMFS_NAME_MAX + 1];
	size_t i, len = strlen(name);

	if (len > INITRAMFS_NAME_MAX)
		return fail(b, "guest path /%s: longer than %d bytes", name, INITRAMFS_NAME_MAX);
	if (len && !initramfs_name_ok(name))
		return fail(b, "guest path /%s: not a usable path (no '.', '..', empty or "
			    "control characters)", name);
	memcpy(path, name, len + 1);
	for (i = 1; i < len; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (dir_add(b, path))
			return -1;
		path[i] = '/';
	}
	return self ? dir_add(b, path) : 0;
}

static int add_data(struct build *b, const char *name, unsigned mode,
		    const void *data, size_t len)
{
	int ret;

	if (dirs_for(b, name, false))
		return -1;
	ret = initramfs_add_file(b->ir, name, mode, data, len);
	if (ret == -EINVAL)
		return fail(b, "guest path /%s: not a usable path (no '.', '..', empty "
			    "or control characters)", name);
	if (ret)
		return fail(b, "guest file /%s: %s", name, strerror(-ret));
	return 0;
}

/* The whole of a regular file, at most max bytes; its permission bits. */
static int read_host_file(struct build *b, const char *what, const char *path, size_t max,
			  uint8_t **data, size_t *len, unsigned *mode)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(b, "%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(b, "%s %s: not a regular file", what, path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return fail(b, "%s %s: %lld bytes, more than the %zu MiB a guest file may be",
			    what, path, (long long)st.st_size, max >> 20);
	}
	*data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!*data) {
		close(fd);
		return fail(b, "%s %s: out of memory", what, path);
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, *data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(b, "%s %s: %s", what, path, n ? strerror(errno) : "shorter than it was");
			close(fd);
			free(*data);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	*mode = st.st_mode & 07777;
	return 0;
}

static int add_host_file(struct build *b, const char *what, const char *src,
			 const char *dst, size_t max)
{
	uint8_t *data;
	unsigned mode;
	size_t len;
	int ret;

	if (read_host_file(b, what, src, max, &data, &len, &mode))
		return -1;
	ret = add_data(b, dst, mode, data, len);
	free(data);
	return ret;
}

int exec_busybox_check(const char *path, char *err, size_t errlen)
{
	struct build b = { .err = err, .errlen = errlen };
	char interp[256];
	uint8_t *data;
	unsigned mode;
	size_t len;
	enum elf_kind k;

	if (access(path, F_OK))
		return fail(&b, "busybox %s: %s: conduit exec needs a static busybox "
			    "(Debian: apt-get install busybox-static)", path, strerror(errno));
	if (read_host_file(&b, "busybox", path, EXEC_BUSYBOX_MAX, &data, &len, &mode))
		return -1;
	k = elf_info(data, len, interp, sizeof(interp));
	free(data);
	if (k == ELF_STATIC)
		return 0;
	if (k == ELF_DYNAMIC)
		return fail(&b, "busybox %s is dynamically linked (it needs %s): conduit exec "
			    "needs a static one (Debian: apt-get install busybox-static)",
			    path, interp);
	return fail(&b, "busybox %s is not an x86-64 ELF program: conduit exec needs a "
		    "static busybox (Debian: apt-get install busybox-static)", path);
}

/* Append s to the growing string *buf (length *len). */
static int append(char **buf, size_t *len, const char *s, size_t n)
{
	char *grown = realloc(*buf, *len + n + 1);

	if (!grown)
		return -1;
	memcpy(grown + *len, s, n);
	*len += n;
	grown[*len] = '\0';
	*buf = grown;
	return 0;
}

/* 'word', with each ' written as '\'' */
static int append_quoted(char **buf, size_t *len, const char *word)
{
	const char *p;

	if (append(buf, len, "'", 1))
		return -1;
	for (p = word; *p; p++) {
		if (*p == '\'' ? append(buf, len, "'\\''", 4) : append(buf, len, p, 1))
			return -1;
	}
	return append(buf, len, "'", 1);
}

char *exec_command_script(const char *cwd, char *const *argv, int argc)
{
	static const char head[] = "# the command conduit exec runs\ncd ";
	char *buf = NULL;
	size_t len = 0;
	int i, bad;

	bad = append(&buf, &len, head, sizeof(head) - 1) || append_quoted(&buf, &len, cwd) ||
	      append(&buf, &len, " || exit 126\nexec", 17);
	for (i = 0; i < argc && !bad; i++)
		bad = append(&buf, &len, " ", 1) || append_quoted(&buf, &len, argv[i]);
	if (bad || append(&buf, &len, "\n", 1)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int add_base(struct build *b)
{
	static const char *const dirs[] = {
		"bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp",
		"root", "run", "conduit", "lib", "lib/modules", MODULE_DIR,
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dir_add(b, dirs[i]))
			return -1;
	ret = initramfs_add_chardev(b->ir, "dev/console", 0600, 5, 1);
	if (ret)
		return fail(b, "guest /dev/console: %s", strerror(-ret));
	if (add_data(b, "init", 0755, exec_init, (size_t)(exec_init_end - exec_init)) ||
	    add_data(b, "conduit/report", 0755, exec_report,
		     (size_t)(exec_report_end - exec_report)))
		return -1;
	return 0;
}

static int add_modules(struct build *b, const struct exec_rootfs *r)
{
	char name[INITRAMFS_NAME_MAX], line[2 * INITRAMFS_NAME_MAX];
	char *list = NULL;
	size_t i, len = 0, size;
	uint8_t *data;
	int ret = -1;

	if (append(&list, &len, "", 0))
		return fail(b, "out of memory");
	for (i = 0; r->mods && i < r->order->n; i++) {
		const struct module_info *mod = r->order->mod[i];

		snprintf(name, sizeof(name), MODULE_DIR "/%02zu-%s.ko", i, mod->name);
		if (modules_read(r->mods, mod, &data, &size)) {
			fail(b, "%s", r->mods->err);
			goto out;
		}
		ret = add_data(b, name, 0644, data, size);
		free(data);
		if (ret)
			goto out;
		ret = -1;
		snprintf(line, sizeof(line), "%s /%s\n", mod->name, name);
		if (append(&list, &len, line, strlen(line))) {
			fail(b, "out of memory");
			goto out;
		}
	}
	ret = add_data(b, "conduit/modules", 0644, list, len);
out:
	free(list);
	return ret;
}

static int add_command(struct build *b, const struct exec_rootfs *r)
{
	char *script;
	size_t i;
	int ret;

	if (dirs_for(b, r->cwd[1] ? r->cwd + 1 : "", r->cwd[1] != '\0'))
		return -1;
	for (i = 0; i < r->n_files; i++) {
		if (r->files[i].dst[0] != '/')
			return fail(b, "guest path %s: not absolute", r->files[i].dst);
		if (add_host_file(b, "file", r->files[i].src, r->files[i].dst + 1, EXEC_FILE_MAX))
			return -1;
	}
	script = exec_command_script(r->cwd, r->argv, r->argc);
	if (!script)
		return fail(b, "out of memory");
	ret = add_data(b, "conduit/command", 0644, script, strlen(script));
	free(script);
	return ret;
}

int exec_rootfs_build(const struct exec_rootfs *r, struct initramfs *ir,
		      char *err, size_t errlen)
{
	struct build b = { .ir = ir, .err = err, .errlen = errlen };
	size_t i;
	int ret = -1, r2;

	if (r->cwd[0] != '/') {
		fail(&b, "guest working directory %s: not absolute", r->cwd);
		goto out;
	}
	if (exec_busybox_check(r->busybox, err, errlen) || add_base(&b) ||
	    add_host_file(&b, "busybox", r->busybox, "bin/busybox", EXEC_BUSYBOX_MAX) ||
	    add_modules(&b, r) || add_command(&b, r))
		goto out;
	r2 = initramfs_finish(ir);
	if (r2) {
		fail(&b, "initramfs: %s", strerror(-r2));
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < b.dirs.n; i++)
		free(b.dirs.name[i]);
	free(b.dirs.name);
	return ret;
}
