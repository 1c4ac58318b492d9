/* ippool: twill.dev/v1 IPPool — a range pods (and tunnel addresses) are
 * allocated from, carved into blocks of blockSize.
 *
 * Defaults applied by ippool_from_json(): blockSize 26 (IPv4) / 122 (IPv6),
 * ipipMode and vxlanMode Never, natOutgoing/disabled/disableBGPExport false,
 * nodeSelector "all()", allowedUses [Workload, Tunnel]. `net` holds the
 * parsed cidr when cidr_ok is true (so users never reparse the text). */
#ifndef TWILL_MODEL_IPPOOL_H
#define TWILL_MODEL_IPPOOL_H

#include <stdbool.h>

#include "cidr.h"
#include "model/model.h"

enum ippool_encap_mode {
	IPPOOL_MODE_NEVER = 0,
	IPPOOL_MODE_ALWAYS,
	IPPOOL_MODE_CROSS_SUBNET,
};

enum ippool_use {
	IPPOOL_USE_WORKLOAD = 1u << 0,
	IPPOOL_USE_TUNNEL = 1u << 1,
};

struct ippool {
	struct object_meta meta;
	char *cidr;
	int block_size;
	enum ippool_encap_mode ipip_mode;
	enum ippool_encap_mode vxlan_mode;
	bool nat_outgoing;
	bool disabled;
	bool disable_bgp_export;
	char *node_selector;
	unsigned allowed_uses; /* enum ippool_use bits */
	bool cidr_ok;
	struct cidr net;
};

int ippool_from_json(json_object *obj, struct ippool *pool, struct model_errors *errs);
json_object *ippool_to_json(const struct ippool *pool);
void ippool_validate(const struct ippool *pool, struct model_errors *errs);
void ippool_free(struct ippool *pool);
/* "Never" / "Always" / "CrossSubnet". */
const char *ippool_mode_name(enum ippool_encap_mode mode);

#endif
