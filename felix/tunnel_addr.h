/* tunnel_addr: the two steps vtep_alloc (VXLAN) and ipip_alloc (IPIP) share
 * to give this node a tunnel address: allocate it through the block IPAM
 * engine under the encapsulation's handle, then publish annotations on the
 * Node.
 *
 * Contract:
 *  - tunnel_addr_allocate(): empties `handle` first (so a crash between an
 *    earlier allocation and its annotation never leaks an address), then
 *    assigns one IPv4 address from a pool allowing Tunnel use and writes it
 *    as text into addr. Callers must allocate before they publish: the worst
 *    a crash leaves is an allocation the next attempt releases again, never a
 *    published address IPAM does not know about.
 *  - tunnel_addr_publish(): merge-patches metadata.annotations of the Node
 *    with `annotations` (taken over: always released).
 *  - Both block on API calls; 0 or -errno, err gets one line for the log. */
#ifndef TWILL_FELIX_TUNNEL_ADDR_H
#define TWILL_FELIX_TUNNEL_ADDR_H

#include <stddef.h>

#include <json-c/json.h>

#include "kube_client.h"

int tunnel_addr_allocate(struct kube_client *client, const char *node, const char *handle,
			 char *addr, size_t size, char *err, size_t errlen);

int tunnel_addr_publish(struct kube_client *client, const char *node, json_object *annotations,
			char *err, size_t errlen);

#endif
