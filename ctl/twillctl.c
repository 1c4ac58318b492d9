/* twillctl: the operator's CLI. One verb per file (ctl/<verb>.c); this file
 * only dispatches. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: twillctl <command> [args]\n"
		     "commands:\n"
		     "  validate   check manifests offline (-f FILE...)\n"
		     "  get        list twill resources from the API server\n"
		     "  ipam       show, check, release and gc pod addresses\n"
		     "  policy     explain NetworkPolicy verdicts (policy explain --help)\n"
		     "  node       node status: this node's BGP sessions (from BIRD)\n"
		     "  version    print the twill version\n"
		     "run 'twillctl <command> --help' for a command's options\n");
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
	if (strcmp(argv[1], "validate") == 0)
		return ctl_validate_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "get") == 0)
		return ctl_get_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "ipam") == 0)
		return ctl_ipam_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "policy") == 0)
		return ctl_policy_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "node") == 0)
		return ctl_node_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "twillctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
