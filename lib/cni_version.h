/* cni_version: the CNI spec versions twill-cni speaks and what each allows.
 *
 * Contract: supported are exactly 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0
 * (older result shapes, ip4/ip6 of 0.2.0, are not produced). A version is
 * "MAJOR.MINOR.PATCH" of decimal numbers; anything else fails to parse.
 * Feature rules follow the spec:
 *   - CHECK needs >= 0.4.0 (and DEL receives prevResult from 0.4.0 on);
 *   - GC and STATUS need >= 1.1.0;
 *   - results carry ips[].version only before 1.0.0;
 *   - interface mtu/socketPath/pciID and route mtu/advmss/priority/table/
 *     scope exist only from 1.1.0. */
#ifndef TWILL_CNI_VERSION_H
#define TWILL_CNI_VERSION_H

#include <stdbool.h>

#define CNI_VERSION_LATEST "1.1.0"

struct cni_version {
	unsigned major, minor, patch;
};

/* NULL-terminated list, oldest first. */
extern const char *const cni_supported_versions[];

/* 0 or -EINVAL. */
int cni_version_parse(const char *text, struct cni_version *out);
/* <0, 0, >0 like strcmp. */
int cni_version_compare(const struct cni_version *a, const struct cni_version *b);
/* Parsed text compared with "x.y.z" (which must be valid); unparseable text
 * compares lower than everything. */
bool cni_version_at_least(const char *text, const char *min);
bool cni_version_supported(const char *text);

bool cni_version_has_check(const char *text);
bool cni_version_has_gc_status(const char *text);
bool cni_version_has_ip_version_field(const char *text);
bool cni_version_has_v11_fields(const char *text);

/* Malloc'd JSON for the VERSION command:
 * {"cniVersion": <version>, "supportedVersions": [...]}. NULL on -ENOMEM. */
char *cni_version_info_json(const char *version);

#endif
