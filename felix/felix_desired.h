/* felix_desired: calc's output turned into what each dataplane manager's
 * set_desired() takes. Pure; the daemon calls it after every calc run.
 *
 * Route translation (every route gets the configured protocol, main table):
 *   endpoint  -> unicast dev <veth> scope link
 *   blackhole -> blackhole
 *   direct    -> unicast via <node IP> (the kernel picks the device)
 *   vxlan     -> unicast via <VTEP address> dev vxlan.twill onlink
 *   ipip      -> unicast via <node IP> dev tunl0 onlink
 *   none      -> nothing (BIRD's, or unreachable)
 * VXLAN device: wanted when this node published a VTEP (MAC + tunnel
 * address) and has an IPv4 address, and some pool uses VXLAN (mode not
 * Never); its MTU is the configured vxlanMTU, else uplink MTU − 50 when the
 * uplink MTU is known, else left to the kernel. Peers are calc's VTEPs. */
#ifndef TWILL_FELIX_DESIRED_H
#define TWILL_FELIX_DESIRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calc.h"
#include "route_mgr.h"
#include "vxlan_mgr.h"

struct felix_desired_opts {
	uint8_t route_protocol;
	uint32_t vxlan_vni;
	uint16_t vxlan_port;
	unsigned vxlan_mtu;   /* 0: derive from uplink_mtu */
	unsigned uplink_mtu;  /* 0: unknown */
};

struct felix_desired {
	struct route_entry *routes;
	size_t route_count;
	size_t endpoint_count;     /* of which endpoint routes */
	bool want_vxlan;
	struct vxlan_device_spec vxlan;
	struct vxlan_peer *peers;
	size_t peer_count;
};

/* 0, -EINVAL (NULL arguments), -ENOMEM (d then empty). */
int felix_desired_build(const struct calc_input *in, const struct calc_output *out,
			const struct felix_desired_opts *opts, struct felix_desired *d);
void felix_desired_free(struct felix_desired *d);

#endif
