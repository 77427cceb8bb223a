/* Fuzzer for PCI addresses on the command line: pci_addr_parse() and
 * pci_addr_format() (vfio/host/pci_addr.c) and the --passthrough argument
 * "BDF[,msix=off]" (vfio/passthrough.c passthrough_check, run against an
 * empty sysfs tree so it stops at "no such device"). The input, up to its
 * first NUL, is the argument. Checked: the parser accepts exactly the
 * documented forms (DDDD:BB:DD.F or BB:DD.F in hex, device <= 1f, function
 * <= 7), leaves the address alone on error, an accepted address prints
 * back as the input in lower case (with domain 0000 added) and parses to
 * the same address again, and every error is one NUL-terminated line
 * (unless the argument itself has a newline: errors quote it). */
#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../vfio/host/host_pci.h"
#include "../../vfio/passthrough.h"
#include "../../vfio/vfio_pci.h"

static char root[64];

static void remove_root(void)
{
	rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%.40s/conduit-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		abort();
	atexit(remove_root);
	host_pci_set_root(root, root);
	host_pci_set_dirs(root, root);
	return 0;
}

static bool hex(const char *s, int n)
{
	while (n--)
		if (!isxdigit((unsigned char)*s++))
			return false;
	return true;
}

/* The documented grammar, written independently of the parser. */
static bool ref_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 12) {
		if (!hex(s, 4) || s[4] != ':')
			return false;
		s += 5;
	} else if (len != 7) {
		return false;
	}
	return hex(s, 2) && s[2] == ':' && hex(s + 3, 2) && s[5] == '.' && hex(s + 6, 1) &&
	       strtoul((char[]){ s[3], s[4], 0 }, NULL, 16) <= 0x1f &&
	       strtoul((char[]){ s[6], 0 }, NULL, 16) <= 7;
}

static void check_addr(const char *s)
{
	struct pci_addr a = { 0xdead, 0xbe, 0xef, 0xaa }, b;
	char err[HOST_PCI_ERR_LEN], out[PCI_ADDR_STRLEN], want[PCI_ADDR_STRLEN];
	size_t i;
	int r = pci_addr_parse(s, &a, err, sizeof(err));

	FUZZ_ASSERT((r == 0) == ref_valid(s));
	if (r) {
		FUZZ_ASSERT(a.domain == 0xdead && a.bus == 0xbe && a.dev == 0xef && a.fn == 0xaa);
		FUZZ_ASSERT(err[0] && (!strchr(err, '\n') || strchr(s, '\n')));
		return;
	}
	pci_addr_format(&a, out);
	snprintf(want, sizeof(want), "%s%s", strlen(s) == 7 ? "0000:" : "", s);
	for (i = 0; want[i]; i++)
		want[i] = (char)tolower((unsigned char)want[i]);
	FUZZ_ASSERT(!strcmp(out, want));
	FUZZ_ASSERT(pci_addr_parse(out, &b, err, sizeof(err)) == 0 && pci_addr_equal(&a, &b));
}

static void check_passthrough(const char *s, size_t errlen)
{
	struct passthrough_dev d;
	char err[512];
	const char *comma = strchr(s, ',');
	const char *opt;
	bool opts_ok = true;
	int r;

	memset(err, 0x55, sizeof(err));
	r = passthrough_check(s, &d, err, errlen);
	FUZZ_ASSERT(r == -1);           /* the sysfs tree is empty */
	FUZZ_ASSERT(memchr(err, '\0', errlen) && err[0]);
	FUZZ_ASSERT(!strchr(err, '\n') || strchr(s, '\n'));
	for (opt = comma; opt; opt = strchr(opt + 1, ','))
		opts_ok &= !strncmp(opt + 1, "msix=off", 8) && (opt[9] == ',' || !opt[9]);
	if (opts_ok)
		FUZZ_ASSERT(d.flags == (comma ? VFIO_PCI_NO_MSIX : 0U));
	if (errlen == sizeof(err) && !opts_ok && strlen(s) < 200)
		FUZZ_ASSERT(strstr(err, "unknown option"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	check_addr(s);
	check_passthrough(s, 512);
	check_passthrough(s, 9);
	free(s);
	return 0;
}
