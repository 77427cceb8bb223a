/* A module file's bytes: read whole, then decompressed by its extension
 * with the format's own library (liblzma for .xz, libzstd for .zst, zlib
 * for .gz), and checked to be an ELF object. */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include "modules.h"

/* A growable output buffer, at most MODULES_SIZE_MAX bytes. */
struct outbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

/* Room for at least one more byte; -EFBIG past the limit. */
static int grow(struct outbuf *o)
{
	size_t cap = o->cap ? o->cap * 2 : 64 * 1024;
	uint8_t *p;

	if (o->len < o->cap)
		return 0;
	if (o->cap >= MODULES_SIZE_MAX)
		return -EFBIG;
	if (cap > MODULES_SIZE_MAX)
		cap = MODULES_SIZE_MAX;
	p = realloc(o->p, cap);
	if (!p)
		return -ENOMEM;
	o->p = p;
	o->cap = cap;
	return 0;
}

static int read_whole(struct modules *m, const char *path, struct outbuf *o)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return modules_fail(m, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return modules_fail(m, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > MODULES_SIZE_MAX) {
		close(fd);
		return modules_fail(m, "%s: larger than %lu MiB", path, MODULES_SIZE_MAX >> 20);
	}
	o->cap = (size_t)st.st_size ? (size_t)st.st_size : 1;
	o->p = malloc(o->cap);
	while (o->p && o->len < (size_t)st.st_size) {
		ssize_t n = read(fd, o->p + o->len, (size_t)st.st_size - o->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = modules_fail(m, "%s: %s", path, n ? strerror(errno) : "shrank while read");
			break;
		}
		o->len += (size_t)n;
	}
	close(fd);
	if (!o->p)
		return modules_fail(m, "%s: out of memory", path);
	return ret;
}

static int size_error(struct modules *m, const char *path, int err)
{
	if (err == -EFBIG)
		return modules_fail(m, "%s: decompresses to more than %lu MiB", path,
			    MODULES_SIZE_MAX >> 20);
	return modules_fail(m, "%s: out of memory", path);
}

static int unxz(struct modules *m, const char *path, const struct outbuf *in,
		struct outbuf *out)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;
	int err;

	if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return modules_fail(m, "%s: cannot start the xz decoder", path);
	s.next_in = in->p;
	s.avail_in = in->len;
	do {
		err = grow(out);
		if (err) {
			lzma_end(&s);
			return size_error(m, path, err);
		}
		s.next_out = out->p + out->len;
		s.avail_out = out->cap - out->len;
		r = lzma_code(&s, LZMA_FINISH);
		out->len = out->cap - s.avail_out;
	} while (r == LZMA_OK);
	lzma_end(&s);
	if (r == LZMA_STREAM_END)
		return 0;
	if (r == LZMA_BUF_ERROR)
		return modules_fail(m, "%s: truncated xz data", path);
	if (r == LZMA_FORMAT_ERROR)
		return modules_fail(m, "%s: not xz data", path);
	return modules_fail(m, "%s: corrupt xz data (liblzma error %d)", path, (int)r);
}

static int unzstd(struct modules *m, const char *path, const struct outbuf *in,
		  struct outbuf *out)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer zi = { in->p, in->len, 0 };
	size_t r = 1;
	int err = 0;

	if (!ds)
		return modules_fail(m, "%s: cannot start the zstd decoder", path);
	while (!err && (zi.pos < zi.size || r != 0)) {
		ZSTD_outBuffer zo;

		err = grow(out);
		if (err)
			break;
		zo = (ZSTD_outBuffer){ out->p, out->cap, out->len };
		r = ZSTD_decompressStream(ds, &zo, &zi);
		out->len = zo.pos;
		if (ZSTD_isError(r)) {
			err = -EINVAL;
			break;
		}
		if (r != 0 && zi.pos == zi.size && zo.pos < zo.size)
			err = -EPIPE;           /* it wants input there is none of */
	}
	ZSTD_freeDStream(ds);
	if (err == -EINVAL)
		return modules_fail(m, "%s: corrupt zstd data (%s)", path, ZSTD_getErrorName(r));
	if (err == -EPIPE)
		return modules_fail(m, "%s: truncated zstd data", path);
	return err ? size_error(m, path, err) : 0;
}

static int gunzip(struct modules *m, const char *path, const struct outbuf *in,
		  struct outbuf *out)
{
	z_stream z;
	int r, err = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return modules_fail(m, "%s: cannot start the gzip decoder", path);
	z.next_in = in->p;
	z.avail_in = (uInt)in->len;
	do {
		err = grow(out);
		if (err)
			break;
		z.next_out = out->p + out->len;
		z.avail_out = (uInt)(out->cap - out->len);
		r = inflate(&z, Z_NO_FLUSH);
		out->len = out->cap - z.avail_out;
		if (r == Z_STREAM_END && z.avail_in)
			r = inflateReset(&z);   /* another gzip member follows */
	} while (r == Z_OK);
	inflateEnd(&z);
	if (err)
		return size_error(m, path, err);
	if (r == Z_STREAM_END)
		return 0;
	if (r == Z_BUF_ERROR)
		return modules_fail(m, "%s: truncated gzip data", path);
	return modules_fail(m, "%s: corrupt gzip data (%s)", path, z.msg ? z.msg : "zlib error");
}

static bool has_ext(const char *path, const char *ext)
{
	size_t len = strlen(path), n = strlen(ext);

	return len > n && !strcmp(path + len - n, ext);
}

static int decompress(struct modules *m, const char *path, struct outbuf *raw,
		      struct outbuf *out)
{
	if (has_ext(path, ".ko.xz"))
		return unxz(m, path, raw, out);
	if (has_ext(path, ".ko.zst"))
		return unzstd(m, path, raw, out);
	if (has_ext(path, ".ko.gz"))
		return gunzip(m, path, raw, out);
	if (has_ext(path, ".ko")) {
		*out = *raw;
		memset(raw, 0, sizeof(*raw));
		return 0;
	}
	return modules_fail(m, "%s: not a module file (NAME.ko[.xz|.zst|.gz])", path);
}

int modules_read_file(struct modules *m, const char *path, uint8_t **data, size_t *len)
{
	struct outbuf raw = { 0 }, out = { 0 };
	int ret;

	ret = read_whole(m, path, &raw);
	if (!ret)
		ret = decompress(m, path, &raw, &out);
	free(raw.p);
	if (!ret && (out.len < 4 || memcmp(out.p, "\x7f" "ELF", 4)))
		ret = modules_fail(m, "%s: not a kernel module (no ELF header%s)", path,
			   has_ext(path, ".ko") ? "" : " after decompression");
	if (ret) {
		free(out.p);
		return -1;
	}
	*data = out.p;
	*len = out.len;
	return 0;
}

int modules_read(struct modules *m, const struct module_info *mod,
		 uint8_t **data, size_t *len)
{
	char path[PATH_MAX];

	if (mod->path[0] == '/')
		snprintf(path, sizeof(path), "%s", mod->path);
	else if (snprintf(path, sizeof(path), "%s/%s", m->dir, mod->path) >= (int)sizeof(path))
		return modules_fail(m, "%s/%s: path too long", m->dir, mod->path);
	return modules_read_file(m, path, data, len);
}
