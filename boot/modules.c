/* The module directory's index files: modules.dep (each module's file and
 * dependencies), modules.alias (modalias globs to module names) and
 * modules.builtin, and the load order computed from them. Reading and
 * decompressing a module file is in boot/module_read.c. */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "modules.h"

/* m->dir and an index file's name. */
#define INDEX_PATH_LEN (PATH_MAX + 32)

int modules_fail(struct modules *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return -1;
}

void modules_normalize(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < MODULES_NAME_MAX && src[i]; i++)
		dst[i] = src[i] == '-' ? '_' : src[i];
	dst[i] = '\0';
}

static const char *const compressed_ext[] = { ".xz", ".zst", ".gz" };

static bool ends_with(const char *s, size_t len, const char *tail)
{
	size_t n = strlen(tail);

	return len >= n && !memcmp(s + len - n, tail, n);
}

/* "kernel/drivers/char/virtio_console.ko.xz" -> "virtio_console". */
static int name_of_path(char *dst, const char *path)
{
	const char *base = strrchr(path, '/');
	char tmp[MODULES_NAME_MAX];
	size_t len, i;

	base = base ? base + 1 : path;
	len = strlen(base);
	for (i = 0; i < sizeof(compressed_ext) / sizeof(compressed_ext[0]); i++) {
		if (ends_with(base, len, compressed_ext[i])) {
			len -= strlen(compressed_ext[i]);
			break;
		}
	}
	if (!ends_with(base, len, ".ko"))
		return -1;
	len -= 3;
	if (len == 0 || len >= MODULES_NAME_MAX)
		return -1;
	memcpy(tmp, base, len);
	tmp[len] = '\0';
	modules_normalize(dst, tmp);
	return 0;
}

static FILE *open_index(struct modules *m, const char *file, char *path, bool needed)
{
	FILE *f;

	snprintf(path, INDEX_PATH_LEN, "%s/%s", m->dir, file);
	f = fopen(path, "re");
	if (!f && needed)
		modules_fail(m, "%s: %s", path, strerror(errno));
	return f;
}

static char *strip(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	return s;
}

/* The dependency names of one modules.dep line (after the ':'). */
static int parse_deps(struct module_info *mod, char *list)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char (*grown)[MODULES_NAME_MAX];

		grown = realloc(mod->deps, (mod->n_deps + 1) * sizeof(*mod->deps));
		if (!grown)
			return -ENOMEM;
		mod->deps = grown;
		if (name_of_path(mod->deps[mod->n_deps], tok))
			return -EINVAL;
		mod->n_deps++;
	}
	return 0;
}

static int add_module(struct modules *m, const char *path, char *deps,
		      const char *file, unsigned line)
{
	struct module_info *grown, *mod;
	int ret;

	grown = realloc(m->mods, (m->n_mods + 1) * sizeof(*m->mods));
	if (!grown)
		return modules_fail(m, "%s: out of memory", file);
	m->mods = grown;
	mod = &m->mods[m->n_mods];
	memset(mod, 0, sizeof(*mod));
	if (name_of_path(mod->name, path))
		return modules_fail(m, "%s: line %u: %s is not a module file (NAME.ko[.xz|.zst|.gz])",
			    file, line, path);
	mod->path = strdup(path);
	m->n_mods++;
	if (!mod->path)
		return modules_fail(m, "%s: out of memory", file);
	ret = parse_deps(mod, deps);
	if (ret == -ENOMEM)
		return modules_fail(m, "%s: out of memory", file);
	if (ret)
		return modules_fail(m, "%s: line %u: a dependency of %s is not a module file",
			    file, line, mod->name);
	return 0;
}

static int read_dep(struct modules *m)
{
	char path[INDEX_PATH_LEN], *line = NULL;
	size_t cap = 0;
	unsigned n = 0;
	int ret = 0;
	FILE *f = open_index(m, "modules.dep", path, true);

	if (!f)
		return -1;
	while (!ret && getline(&line, &cap, f) > 0) {
		char *s = strip(line), *colon;

		n++;
		if (!*s || *s == '#')
			continue;
		colon = strchr(s, ':');
		if (!colon) {
			ret = modules_fail(m, "%s: line %u: no ':' after the module's file", path, n);
			break;
		}
		*colon = '\0';
		ret = add_module(m, strip(s), colon + 1, path, n);
	}
	free(line);
	fclose(f);
	return ret;
}

static int add_alias(struct modules *m, const char *pattern, const char *name,
		     const char *file)
{
	struct module_alias *grown, *al;

	grown = realloc(m->aliases, (m->n_aliases + 1) * sizeof(*m->aliases));
	if (!grown)
		return modules_fail(m, "%s: out of memory", file);
	m->aliases = grown;
	al = &m->aliases[m->n_aliases];
	al->pattern = strdup(pattern);
	if (!al->pattern)
		return modules_fail(m, "%s: out of memory", file);
	modules_normalize(al->name, name);
	m->n_aliases++;
	return 0;
}

/* "alias PATTERN MODULE" lines; others ('#', blank) are skipped. */
static int read_alias(struct modules *m)
{
	char path[INDEX_PATH_LEN], *line = NULL;
	size_t cap = 0;
	unsigned n = 0;
	int ret = 0;
	FILE *f = open_index(m, "modules.alias", path, true);

	if (!f)
		return -1;
	while (!ret && getline(&line, &cap, f) > 0) {
		char *save = NULL, *kw, *pattern, *name;

		n++;
		kw = strtok_r(line, " \t\n", &save);
		if (!kw || *kw == '#')
			continue;
		pattern = strtok_r(NULL, " \t\n", &save);
		name = strtok_r(NULL, " \t\n", &save);
		if (strcmp(kw, "alias") || !pattern || !name ||
		    strlen(name) >= MODULES_NAME_MAX) {
			ret = modules_fail(m, "%s: line %u: not \"alias PATTERN MODULE\"", path, n);
			break;
		}
		ret = add_alias(m, pattern, name, path);
	}
	free(line);
	fclose(f);
	return ret;
}

/* modules.builtin: one "kernel/.../NAME.ko" per line; missing is none. */
static int read_builtin(struct modules *m)
{
	char path[INDEX_PATH_LEN], *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f = open_index(m, "modules.builtin", path, false);

	if (!f)
		return 0;
	while (!ret && getline(&line, &cap, f) > 0) {
		char (*grown)[MODULES_NAME_MAX];
		char *s = strip(line);

		if (!*s)
			continue;
		grown = realloc(m->builtin, (m->n_builtin + 1) * sizeof(*m->builtin));
		if (!grown) {
			ret = modules_fail(m, "%s: out of memory", path);
			break;
		}
		m->builtin = grown;
		if (name_of_path(m->builtin[m->n_builtin], s) == 0)
			m->n_builtin++;
	}
	free(line);
	fclose(f);
	return ret;
}

#define MODINFO_MAX (16U << 20)

/* One "NAME.alias=PATTERN" entry of modules.builtin.modinfo; the other
 * keys (license, description, parm...) are not wanted. */
static int builtin_alias(struct modules *m, const char *entry, const char *path)
{
	char name[MODULES_NAME_MAX];
	const char *dot = strchr(entry, '.');
	size_t len;

	if (!dot || strncmp(dot, ".alias=", 7) || !dot[7])
		return 0;
	len = (size_t)(dot - entry);
	if (!len || len >= sizeof(name))
		return modules_fail(m, "%s: a module name of %zu bytes", path, len);
	memcpy(name, entry, len);
	name[len] = '\0';
	return add_alias(m, dot + 7, name, path);
}

/* modules.builtin.modinfo (kernels 5.2 and later): the built-in drivers'
 * aliases, which modules.alias leaves out, so a device whose driver is
 * built in is known as such. NUL-separated "NAME.KEY=VALUE"; missing is
 * none. */
static int read_builtin_modinfo(struct modules *m)
{
	char path[INDEX_PATH_LEN], *data;
	size_t len, at;
	int ret = 0;
	FILE *f = open_index(m, "modules.builtin.modinfo", path, false);

	if (!f)
		return 0;
	data = malloc(MODINFO_MAX + 1);
	if (!data) {
		fclose(f);
		return modules_fail(m, "%s: out of memory", path);
	}
	len = fread(data, 1, MODINFO_MAX + 1, f);
	if (ferror(f) || len > MODINFO_MAX)
		ret = modules_fail(m, "%s: %s", path, ferror(f) ? strerror(errno) :
				   "more than 16 MiB");
	fclose(f);
	data[len < MODINFO_MAX ? len : MODINFO_MAX] = '\0';
	for (at = 0; !ret && at < len; at += strlen(data + at) + 1)
		ret = builtin_alias(m, data + at, path);
	free(data);
	return ret;
}

int modules_open(struct modules *m, const char *dir)
{
	memset(m, 0, sizeof(*m));
	if (strlen(dir) >= sizeof(m->dir))
		return modules_fail(m, "%s: path too long", dir);
	strcpy(m->dir, dir);
	if (read_dep(m) || read_alias(m) || read_builtin(m) || read_builtin_modinfo(m)) {
		char err[MODULES_ERR_LEN];

		memcpy(err, m->err, sizeof(err));
		modules_close(m);
		memcpy(m->err, err, sizeof(err));
		return -1;
	}
	return 0;
}

void modules_close(struct modules *m)
{
	size_t i;

	for (i = 0; i < m->n_mods; i++) {
		free(m->mods[i].path);
		free(m->mods[i].deps);
	}
	for (i = 0; i < m->n_aliases; i++)
		free(m->aliases[i].pattern);
	free(m->mods);
	free(m->aliases);
	free(m->builtin);
	memset(m, 0, sizeof(*m));
}

const struct module_info *modules_find(const struct modules *m, const char *name)
{
	char norm[MODULES_NAME_MAX];
	size_t i;

	modules_normalize(norm, name);
	for (i = 0; i < m->n_mods; i++)
		if (!strcmp(m->mods[i].name, norm))
			return &m->mods[i];
	return NULL;
}

bool modules_is_builtin(const struct modules *m, const char *name)
{
	char norm[MODULES_NAME_MAX];
	size_t i;

	modules_normalize(norm, name);
	for (i = 0; i < m->n_builtin; i++)
		if (!strcmp(m->builtin[i], norm))
			return true;
	return false;
}

static bool in_names(const struct module_names *names, const char *name)
{
	size_t i;

	for (i = 0; i < names->n; i++)
		if (!strcmp(names->name[i], name))
			return true;
	return false;
}

int modules_match(struct modules *m, const char *modalias, struct module_names *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < m->n_aliases; i++) {
		const struct module_alias *al = &m->aliases[i];

		if (fnmatch(al->pattern, modalias, 0))
			continue;
		if (module_names_add(out, al->name)) {
			module_names_free(out);
			return modules_fail(m, "%s/modules.alias: out of memory", m->dir);
		}
	}
	return 0;
}

int module_names_add(struct module_names *names, const char *name)
{
	char (*grown)[MODULES_NAME_MAX];
	char norm[MODULES_NAME_MAX];

	modules_normalize(norm, name);
	if (in_names(names, norm))
		return 0;
	grown = realloc(names->name, (names->n + 1) * sizeof(*names->name));
	if (!grown)
		return -1;
	names->name = grown;
	strcpy(names->name[names->n++], norm);
	return 0;
}

void module_names_free(struct module_names *names)
{
	free(names->name);
	memset(names, 0, sizeof(*names));
}

enum { UNSEEN, VISITING, DONE };

struct order_walk {
	struct modules *m;
	unsigned char *mark;            /* per m->mods[] */
	struct module_order *out;
};

static int visit(struct order_walk *w, const char *name, const char *needed_by);

static int visit_module(struct order_walk *w, const struct module_info *mod)
{
	size_t idx = (size_t)(mod - w->m->mods), i;

	if (w->mark[idx] == DONE)
		return 0;
	if (w->mark[idx] == VISITING)
		return modules_fail(w->m, "%s/modules.dep: dependency cycle through %s",
			    w->m->dir, mod->name);
	w->mark[idx] = VISITING;
	for (i = 0; i < mod->n_deps; i++)
		if (visit(w, mod->deps[i], mod->name))
			return -1;
	w->mark[idx] = DONE;
	w->out->mod[w->out->n++] = mod;
	return 0;
}

static int visit(struct order_walk *w, const char *name, const char *needed_by)
{
	const struct module_info *mod = modules_find(w->m, name);

	if (mod)
		return visit_module(w, mod);
	if (modules_is_builtin(w->m, name))
		return 0;
	if (needed_by)
		return modules_fail(w->m, "%s/modules.dep: %s (needed by %s) has no line of its own",
			    w->m->dir, name, needed_by);
	return modules_fail(w->m, "%s/modules.dep: no module %s (nor in modules.builtin)",
		    w->m->dir, name);
}

int modules_load_order(struct modules *m, const char *const *names, size_t n,
		       struct module_order *out)
{
	struct order_walk w = { m, NULL, out };
	size_t i;

	memset(out, 0, sizeof(*out));
	w.mark = calloc(m->n_mods ? m->n_mods : 1, 1);
	out->mod = calloc(m->n_mods ? m->n_mods : 1, sizeof(*out->mod));
	if (!w.mark || !out->mod) {
		free(w.mark);
		module_order_free(out);
		return modules_fail(m, "%s/modules.dep: out of memory", m->dir);
	}
	for (i = 0; i < n; i++) {
		if (visit(&w, names[i], NULL)) {
			module_order_free(out);
			free(w.mark);
			return -1;
		}
	}
	free(w.mark);
	return 0;
}

void module_order_free(struct module_order *order)
{
	free(order->mod);
	memset(order, 0, sizeof(*order));
}
