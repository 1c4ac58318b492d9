/* policy_fingerprint: the digested text is built in one buffer and hashed
 * with the SHA-1 twill already carries (lib/cni_names) — no new dependency,
 * and at about 30 bytes per element the whole 100,000-element ruleset is a
 * few megabytes, hashed once per compile. A tag byte per field keeps the
 * kinds of objects and their fields from ever producing the same text. */
#include "policy_fingerprint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_names.h"
#include "policy_ruleset.h"

static void put(FILE *f, char tag, const char *text)
{
	fputc(tag, f);
	fputs(text, f);
	fputc('\0', f);
}

static int digest(FILE *f, char **buf, size_t *size, uint8_t out[POLICY_FINGERPRINT_LEN])
{
	int rc = ferror(f) ? -ENOMEM : 0;

	if (fclose(f) != 0)
		rc = -ENOMEM;
	if (rc == 0)
		cni_sha1(*buf, *size, out);
	free(*buf);
	return rc;
}

int policy_fingerprint_set(const struct policy_set *s, uint8_t out[POLICY_FINGERPRINT_LEN])
{
	char *buf = NULL;
	size_t size = 0, i;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	put(f, 'K', s->is_map ? "map" : "set");
	put(f, 'T', s->type);
	put(f, 'F', s->interval ? "interval" : "");
	for (i = 0; i < s->elements.count; i++)
		put(f, 'E', s->elements.items[i]);
	return digest(f, &buf, &size, out);
}

int policy_fingerprint_chain(const struct policy_chain *c, uint8_t out[POLICY_FINGERPRINT_LEN])
{
	char *buf = NULL;
	size_t size = 0, i;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	put(f, c->hook ? 'H' : 'h', c->hook ? c->hook : "");
	for (i = 0; i < c->rules.count; i++)
		put(f, 'R', c->rules.items[i]);
	return digest(f, &buf, &size, out);
}

bool policy_fingerprint_equal(const uint8_t a[POLICY_FINGERPRINT_LEN],
			      const uint8_t b[POLICY_FINGERPRINT_LEN])
{
	return memcmp(a, b, POLICY_FINGERPRINT_LEN) == 0;
}
