/* bgppeer: twill.dev/v1 BGPPeer — an extra BGP session for some nodes.
 *
 * Which nodes: `node` (one node), `nodeSelector`, or neither (all nodes).
 * With whom: `peerIP` (+ `asNumber`), or `peerSelector` (the twill nodes it
 * matches). Defaults: keepOriginalNextHop false, sourceAddress UseNodeIP.
 * The password Secret lives in MODEL_TWILL_NAMESPACE. */
#ifndef TWILL_MODEL_BGPPEER_H
#define TWILL_MODEL_BGPPEER_H

#include <stdbool.h>
#include <stdint.h>

#include "cidr.h"
#include "model/fields.h"
#include "model/model.h"

enum bgppeer_source_address {
	BGPPEER_SOURCE_USE_NODE_IP = 0,
	BGPPEER_SOURCE_NONE,
};

struct bgppeer {
	struct object_meta meta;
	char *node;
	char *node_selector;
	char *peer_ip; /* "10.0.0.1", "fd00::1", "10.0.0.1:1179", "[fd00::1]:1179" */
	uint32_t as_number; /* 0 = not given */
	char *peer_selector;
	bool keep_original_next_hop;
	struct secret_key_ref password;
	char *max_restart_time;
	enum bgppeer_source_address source_address;
};

int bgppeer_from_json(json_object *obj, struct bgppeer *peer, struct model_errors *errs);
json_object *bgppeer_to_json(const struct bgppeer *peer);
void bgppeer_validate(const struct bgppeer *peer, struct model_errors *errs);
void bgppeer_free(struct bgppeer *peer);
/* Split peerIP into address and port (179 when not given). 0 or -EINVAL. */
int bgppeer_parse_peer_ip(const char *text, struct ip_addr *ip, uint16_t *port);

#endif
