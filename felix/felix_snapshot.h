/* felix_snapshot: one consistent view of the datastore for one calc run —
 * the informers' JSON lists parsed into model structs and then into the
 * plain struct calc_input felix/calc.h wants, plus the effective
 * FelixConfiguration.
 *
 * Rules:
 *  - Objects that do not parse or fail validation are skipped, counted in
 *    `skipped`, and logged once per snapshot with their kind, name and first
 *    error: one malformed Node must not take routing down for the others.
 *  - Node: IPv4/IPv6 address from the twill.dev/ipv4Address / ipv6Address
 *    annotations (interface form, so the subnet is known); VTEP from
 *    twill.dev/vxlanTunnelMACAddr + vxlanTunnelAddr (both needed).
 *  - IPAMBlock: affinity "host:<node>"; blocks marked deleted are skipped;
 *    every allocation whose attribute's "node" differs from the affinity
 *    becomes a borrowed address.
 *  - Pod: host-network pods and pods of other nodes are skipped; the IPs
 *    come from the twill.dev/podIPs annotation the CNI plugin writes (comma
 *    separated), else status.podIPs / podIP. A pod with no IP yet is skipped.
 *  - FelixConfiguration: "node.<this node>" if present, else "default",
 *    else built-in defaults (felixconfig_init). Whole-object choice: the
 *    model holds effective values, so field-wise merging cannot tell which
 *    fields were given.
 * The snapshot owns everything; in points into it until
 * felix_snapshot_free(). */
#ifndef TWILL_FELIX_SNAPSHOT_H
#define TWILL_FELIX_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "calc.h"
#include "model/felixconfig.h"

struct felix_lists {
	json_object *nodes; /* arrays of objects; NULL = empty */
	json_object *pools;
	json_object *blocks;
	json_object *pods;
	json_object *configs;
};

struct felix_snapshot_data; /* parsed model objects (private) */

struct felix_snapshot {
	struct felixconfig config;
	size_t skipped;
	struct calc_input in;
	struct felix_snapshot_data *data;
};

/* 0 or -ENOMEM (s then freed). node_name must outlive the snapshot. */
int felix_snapshot_build(struct felix_snapshot *s, const char *node_name,
			 const struct felix_lists *lists);
void felix_snapshot_free(struct felix_snapshot *s);

/* Whether this node's Node object exists and which VTEP annotations it
 * carries (valid ones only). Returns false when the node is not listed. */
bool felix_snapshot_self_vtep(const struct felix_snapshot *s, bool *have_mac, bool *have_addr);

/* "66:0a:..." -> 6 bytes; 0 or -EINVAL. */
int felix_parse_mac(const char *text, uint8_t mac[6]);

#endif
