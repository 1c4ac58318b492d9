/* vtep_alloc: give this node a VXLAN tunnel endpoint when it has none —
 * a MAC and a tunnel address published in its Node annotations
 * (twill.dev/vxlanTunnelMACAddr, twill.dev/vxlanTunnelAddr), which every
 * other node's felix reads to program its FDB and neighbour entries.
 *
 * Contract:
 *  - vtep_mac_for_node(): deterministic, so a restarted felix (or a node
 *    recreated with the same name) keeps its MAC: the first 6 bytes of
 *    sha1("twill-vtep:" + node) with the locally-administered bit set and the
 *    multicast bit cleared.
 *  - vtep_alloc_ensure(): when an annotation is missing, allocate the tunnel
 *    address through the block IPAM engine (handle "vxlan-tunnel-addr-<node>",
 *    a pool allowing Tunnel use), releasing whatever that handle held first
 *    so a crash between allocation and annotation never leaks an address,
 *    then merge-patch both annotations onto the Node. Present annotations are
 *    kept as they are. Blocking API calls: the daemon calls it rarely (once
 *    per node lifetime, retried with a delay on failure).
 *  - 0 or -errno; err gets one line for the log. */
#ifndef TWILL_FELIX_VTEP_ALLOC_H
#define TWILL_FELIX_VTEP_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "kube_client.h"

void vtep_mac_for_node(const char *node, uint8_t mac[6]);
/* "vxlan-tunnel-addr-<node>"; 0 or -ENAMETOOLONG. */
int vtep_handle_id(const char *node, char *buf, size_t size);

/* have_mac / have_addr: what the Node already carries. */
int vtep_alloc_ensure(struct kube_client *client, const char *node, int have_mac,
		      int have_addr, char *err, size_t errlen);

#endif
