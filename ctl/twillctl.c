/* twillctl: the operator's CLI. One verb per file (ctl/<verb>.c); this file
 * only dispatches. */
#include <stdio.h>
#include <string.h>

#include "log.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: twillctl <command> [args]\n"
		     "commands:\n"
		     "  version    print the twill version\n");
}

int main(int argc, char **argv)
{
	log_init("twillctl");
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "version") == 0) {
		printf("twillctl %s\n", TWILL_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "twillctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
