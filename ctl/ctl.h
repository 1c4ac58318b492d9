/* ctl: the verbs of twillctl, one per file (ctl/<verb>.c), and the little
 * they share.
 *
 * Each verb is `int ctl_<verb>_main(int argc, char **argv)` where argv[0] is
 * the verb's own name (so getopt works as in a standalone program) and the
 * return value is the process exit status: 0 success, 1 the verb ran and
 * found a problem (invalid manifest, API error), 2 usage error. Verbs print
 * results on stdout and diagnostics on stderr; only main() in twillctl.c
 * turns the status into an exit. */
#ifndef TWILL_CTL_H
#define TWILL_CTL_H

#include <stddef.h>

/* twillctl validate -f FILE [-f FILE...]: offline checks through lib/model. */
int ctl_validate_main(int argc, char **argv);
/* twillctl get RESOURCE [NAME] [-o json|yaml|wide] [-l SELECTOR]. */
int ctl_get_main(int argc, char **argv);
/* twillctl ipam show|check|release|gc: block IPAM operations (ctl/ipam.c). */
int ctl_ipam_main(int argc, char **argv);
/* twillctl policy explain --from NS/POD --to NS/POD --port 80/TCP (ctl/policy_explain.c). */
int ctl_policy_main(int argc, char **argv);
/* twillctl node status: BGP sessions from BIRD's control socket (ctl/node_status.c). */
int ctl_node_main(int argc, char **argv);

/* Read all of path ("-" = stdin) into a NUL-terminated heap buffer.
 * 0 or -errno; on success *out is the caller's to free. Files larger than
 * CTL_MAX_INPUT are refused with -EFBIG so a stray `-f /dev/zero` ends. */
#define CTL_MAX_INPUT (64u << 20)
int ctl_read_file(const char *path, char **out, size_t *len);

#endif
