/* nat_render_cli: prints felix's NAT-outgoing table (nat_render(), the
 * `inet twill_nat` script felix loads when a pool has natOutgoing) for
 * the pools named on the command line, so bench/policy can give its "no
 * policy" reference the same conntrack-enabling table a twill node without
 * policy has, from the real renderer rather than a copy of it.
 *
 *   nat_render_cli CIDR...   every CIDR is a natOutgoing pool
 * Exit status 0 ok, 1 failure, 2 usage. */
#include <stdio.h>
#include <stdlib.h>

#include "cidr.h"
#include "nat_mgr.h"

int main(int argc, char **argv)
{
	struct cidr *pools;
	char *text;
	int i, rc = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: nat_render_cli CIDR...\n");
		return 2;
	}
	pools = calloc((size_t)argc - 1, sizeof(*pools));
	if (!pools)
		return 1;
	for (i = 1; i < argc; i++)
		if (cidr_parse_strict(argv[i], &pools[i - 1]) < 0) {
			fprintf(stderr, "nat_render_cli: bad cidr %s\n", argv[i]);
			rc = 2;
			goto out;
		}
	text = nat_render(pools, (size_t)argc - 1, pools, (size_t)argc - 1);
	if (!text)
		goto out;
	fputs(text, stdout);
	free(text);
	rc = 0;
out:
	free(pools);
	return rc;
}
