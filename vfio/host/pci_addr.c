/* PCI addresses as the command line and sysfs spell them: parsing
 * "DDDD:BB:DD.F" or "BB:DD.F" (with the error that shows the form),
 * printing the full form, comparing. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "host_pci.h"

#define BDF_HINT "a PCI address is DDDD:BB:DD.F or BB:DD.F in hex " \
		 "(domain:bus:device.function, device 00-1f, function 0-7), " \
		 "e.g. 0000:03:00.0"

static bool hex_digits(const char **p, int n, unsigned *v)
{
	*v = 0;
	while (n--) {
		int c = (unsigned char)**p;

		if (!isxdigit(c))
			return false;
		*v = *v * 16 + (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
		(*p)++;
	}
	return true;
}

int pci_addr_parse(const char *s, struct pci_addr *a, char *err, size_t errlen)
{
	unsigned dom = 0, bus, dev, fn;
	const char *p = s;
	size_t len;

	if (!s || !*s) {
		snprintf(err, errlen, "no PCI address given: %s", BDF_HINT);
		return -1;
	}
	len = strlen(s);
	if (len == 12) {
		if (!hex_digits(&p, 4, &dom) || *p++ != ':')
			goto bad;
	} else if (len != 7) {
		goto bad;
	}
	if (!hex_digits(&p, 2, &bus) || *p++ != ':' ||
	    !hex_digits(&p, 2, &dev) || *p++ != '.' ||
	    !hex_digits(&p, 1, &fn) || *p)
		goto bad;
	if (dev > 0x1f) {
		snprintf(err, errlen, "'%s': device %02x is out of range: %s", s, dev, BDF_HINT);
		return -1;
	}
	if (fn > 7) {
		snprintf(err, errlen, "'%s': function %x is out of range: %s", s, fn, BDF_HINT);
		return -1;
	}
	a->domain = dom;
	a->bus = bus;
	a->dev = dev;
	a->fn = fn;
	return 0;
bad:
	snprintf(err, errlen, "'%.40s' is not a PCI address: %s", s, BDF_HINT);
	return -1;
}

void pci_addr_format(const struct pci_addr *a, char out[PCI_ADDR_STRLEN])
{
	snprintf(out, PCI_ADDR_STRLEN, "%04x:%02x:%02x.%x",
		 a->domain, a->bus, a->dev & 0x1f, a->fn & 7);
}

bool pci_addr_equal(const struct pci_addr *x, const struct pci_addr *y)
{
	return x->domain == y->domain && x->bus == y->bus &&
	       x->dev == y->dev && x->fn == y->fn;
}
