/* A kernel module directory (/lib/modules/VERSION or a modules_install
 * tree) as the guest's initramfs needs it: which modules a device's
 * modalias calls for (modules.alias), in which order they and their
 * dependencies load (modules.dep, modules.builtin; the built-in drivers'
 * aliases from modules.builtin.modinfo), and each module's bytes,
 * decompressed (.ko, .ko.xz, .ko.zst, .ko.gz). `conduit exec` (vmm/exec.c)
 * chooses a guest's modules with it.
 *
 * Module names treat '-' and '_' alike: every name is kept and returned
 * with '_'. Every failure is -1 with one line in m->err naming the file and
 * what is wrong with it. */
#ifndef CONDUIT_MODULES_H
#define CONDUIT_MODULES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MODULES_NAME_MAX   64
#define MODULES_ERR_LEN    (PATH_MAX + 256)
/* No module decompresses to more than this (a bad file is not a bomb). */
#define MODULES_SIZE_MAX   (256UL << 20)

struct module_info {
	char name[MODULES_NAME_MAX];    /* "virtio_console" */
	char *path;             /* as modules.dep has it, relative to the dir */
	char (*deps)[MODULES_NAME_MAX]; /* names of the modules on its line */
	size_t n_deps;
};

struct module_alias {
	char *pattern;          /* fnmatch(3) glob: "pci:v00001AF4d*sv*..." */
	char name[MODULES_NAME_MAX];
};

struct modules {
	char dir[PATH_MAX];
	struct module_info *mods;
	size_t n_mods;
	struct module_alias *aliases;
	size_t n_aliases;
	char (*builtin)[MODULES_NAME_MAX];      /* modules.builtin, may be none */
	size_t n_builtin;
	char err[MODULES_ERR_LEN];
};

/* Names (matches) or modules (load order), in order, without duplicates. */
struct module_names {
	char (*name)[MODULES_NAME_MAX];
	size_t n;
};

struct module_order {
	const struct module_info **mod;
	size_t n;
};

/* Read dir's modules.dep and modules.alias (both needed) and its
 * modules.builtin (optional). */
int modules_open(struct modules *m, const char *dir);
void modules_close(struct modules *m);
/* Put the one-line error in m->err; returns -1 (for the files of this
 * module reader). */
int modules_fail(struct modules *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "virtio-console" -> "virtio_console", at most MODULES_NAME_MAX - 1 bytes. */
void modules_normalize(char *dst, const char *src);
/* The module named name ('-' or '_'), or NULL. */
const struct module_info *modules_find(const struct modules *m, const char *name);
bool modules_is_builtin(const struct modules *m, const char *name);

/* Every module with an alias matching modalias, e.g.
 * "pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02", in
 * modules.alias order. No match is 0 with out->n == 0. */
int modules_match(struct modules *m, const char *modalias, struct module_names *out);
void module_names_free(struct module_names *names);
/* Add name (normalised) unless it is there already: 0, or -1 (ENOMEM). */
int module_names_add(struct module_names *names, const char *name);

/* The modules to load for names, dependencies first, each once; modules
 * built into the kernel (modules.builtin) are left out. A name that is in
 * neither file, a dependency without its own line, or a cycle is an error. */
int modules_load_order(struct modules *m, const char *const *names, size_t n,
		       struct module_order *out);
void module_order_free(struct module_order *order);

/* The module file's bytes, decompressed by its extension (.ko.xz: liblzma,
 * .ko.zst: libzstd, .ko.gz: zlib); the result must be an ELF object. On
 * success *data (malloc'd) holds *len bytes. */
int modules_read(struct modules *m, const struct module_info *mod,
		 uint8_t **data, size_t *len);
/* The same for any file path (the error names path). */
int modules_read_file(struct modules *m, const char *path, uint8_t **data, size_t *len);

#endif
