/* ipip_alloc: this node's IPIP tunnel address — the address tunl0 carries
 * and other nodes' pods see as the source of traffic this node originates
 * into the tunnel — published in the Node annotation twill.dev/ipipTunnelAddr.
 *
 * Contract (the same approach as vtep_alloc for the VXLAN VTEP):
 *  - ipip_self_tunnel_addr(): reads the annotation of this node from the
 *    informer's Node list (JSON, as listed). 1 and *out set when present and
 *    a valid IPv4 address; 0 when the Node exists without a (valid) one;
 *    -ENOENT when the Node is not listed; -EINVAL on NULL arguments.
 *  - ipip_alloc_ensure(): allocates one address through the block IPAM
 *    engine (handle "ipip-tunnel-addr-<node>", a pool allowing Tunnel use),
 *    releasing whatever that handle held first so a crash between
 *    allocation and annotation never leaks an address, then merge-patches
 *    the annotation onto the Node. Blocking API calls: the daemon calls it
 *    only while the annotation is missing, with a retry delay on failure.
 *  - 0 or -errno; err gets one line for the log. */
#ifndef TWILL_FELIX_IPIP_ALLOC_H
#define TWILL_FELIX_IPIP_ALLOC_H

#include <stddef.h>

#include <json-c/json.h>

#include "cidr.h"
#include "kube_client.h"

/* "ipip-tunnel-addr-<node>"; 0 or -ENAMETOOLONG. */
int ipip_handle_id(const char *node, char *buf, size_t size);

int ipip_self_tunnel_addr(json_object *nodes, const char *node, struct ip_addr *out);

int ipip_alloc_ensure(struct kube_client *client, const char *node, char *err, size_t errlen);

#endif
