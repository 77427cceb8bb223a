/* QMP framing: where one JSON value ends in a client's input stream.
 * Messages may span reads or share one, with or without newlines between
 * them; like QEMU's JSON streamer, the end of a top-level object or array
 * is found by counting brackets outside strings (so no parse is needed to
 * frame), and the framed bytes are then parsed strictly by jansson
 * (dispatch.c). A top-level scalar ends where its token ends; a stray
 * closing bracket, ':' or ',' is a message of its own (and a parse
 * error). */
#include <string.h>
#include "internal.h"

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* End (exclusive) of the string starting with the quote at buf[i], or 0. */
static size_t string_end(const char *buf, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			return i + 1;
	}
	return 0;
}

/* End of the object or array starting at buf[i], or 0. */
static size_t container_end(const char *buf, size_t len, size_t i)
{
	size_t depth = 0, e;

	for (; i < len; i++) {
		switch (buf[i]) {
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return i + 1;
			break;
		case '"':
			e = string_end(buf, len, i);
			if (!e)
				return 0;
			i = e - 1;
			break;
		}
	}
	return 0;
}

/* End of a bare token (number, true, false, null, garbage), or 0 while it
 * may go on. */
static size_t token_end(const char *buf, size_t len, size_t i)
{
	for (; i < len; i++)
		if (is_space(buf[i]) || strchr("{}[]\",:", buf[i]))
			return i;
	return 0;
}

size_t qmp_frame(const char *buf, size_t len, size_t *skip)
{
	size_t i = 0;

	*skip = 0;
	while (i < len && is_space(buf[i]))
		i++;
	if (i == len) {
		*skip = len;
		return 0;
	}
	switch (buf[i]) {
	case '{':
	case '[':
		return container_end(buf, len, i);
	case '"':
		return string_end(buf, len, i);
	case '}':
	case ']':
	case ':':
	case ',':
		return i + 1;
	default:
		return token_end(buf, len, i);
	}
}
