/* felix_desired: calc_output -> route entries + VXLAN device and peers.
 *
 * Kept apart from calc so calc stays about policy (which route kind) and
 * this file about kernel shape (scope, onlink, device names); the route
 * manager's equality check compares exactly these fields against the dump,
 * so a shape chosen here that the kernel reports differently would make
 * every apply rewrite the route. The shapes below match what the kernel
 * reports back (scope link for device routes, universe otherwise). */
#include "felix_desired.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCOPE_UNIVERSE 0
#define SCOPE_LINK 253

static bool route_from_calc(const struct calc_route *c, uint8_t protocol, struct route_entry *r)
{
	memset(r, 0, sizeof(*r));
	r->dst = c->dst;
	r->protocol = protocol;
	r->scope = SCOPE_UNIVERSE;
	switch (c->kind) {
	case CALC_ROUTE_ENDPOINT:
		snprintf(r->ifname, sizeof(r->ifname), "%s", c->ifname);
		r->scope = SCOPE_LINK;
		return true;
	case CALC_ROUTE_BLACKHOLE:
		r->type = ROUTE_TYPE_BLACKHOLE;
		return true;
	case CALC_ROUTE_DIRECT:
	case CALC_ROUTE_VXLAN:
	case CALC_ROUTE_IPIP:
		snprintf(r->ifname, sizeof(r->ifname), "%s", c->ifname);
		r->has_gw = c->has_gw;
		r->gw = c->gw;
		r->onlink = c->onlink;
		return c->has_gw;
	case CALC_ROUTE_NONE:
		return false;
	}
	return false;
}

static const struct calc_node *self_node(const struct calc_input *in)
{
	size_t i;

	for (i = 0; i < in->node_count; i++)
		if (in->nodes[i].name && strcmp(in->nodes[i].name, in->this_node) == 0)
			return &in->nodes[i];
	return NULL;
}

static bool pools_use_vxlan(const struct calc_input *in)
{
	size_t i;

	for (i = 0; i < in->pool_count; i++)
		if (in->pools[i].vxlan_mode != IPPOOL_MODE_NEVER)
			return true;
	return false;
}

int felix_desired_build(const struct calc_input *in, const struct calc_output *out,
			const struct felix_desired_opts *opts, struct felix_desired *d)
{
	const struct calc_node *self;
	size_t i;

	if (!d)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	if (!in || !out || !opts)
		return -EINVAL;
	d->routes = calloc(out->route_count + 1, sizeof(*d->routes));
	d->peers = calloc(out->vtep_count + 1, sizeof(*d->peers));
	if (!d->routes || !d->peers) {
		felix_desired_free(d);
		return -ENOMEM;
	}
	for (i = 0; i < out->route_count; i++) {
		if (!route_from_calc(&out->routes[i], opts->route_protocol,
				     &d->routes[d->route_count]))
			continue;
		if (out->routes[i].kind == CALC_ROUTE_ENDPOINT)
			d->endpoint_count++;
		d->route_count++;
	}

	self = self_node(in);
	if (!self || !self->has_vtep || !self->has_ipv4 || !pools_use_vxlan(in))
		return 0;
	d->want_vxlan = true;
	snprintf(d->vxlan.name, sizeof(d->vxlan.name), "%s", CALC_VXLAN_DEVICE);
	d->vxlan.vni = opts->vxlan_vni;
	d->vxlan.port = opts->vxlan_port;
	d->vxlan.has_local = true;
	d->vxlan.local = self->ipv4.addr;
	d->vxlan.has_mac = true;
	memcpy(d->vxlan.mac, self->vtep_mac, 6);
	d->vxlan.has_tunnel_addr = true;
	d->vxlan.tunnel_addr = self->vtep_addr;
	d->vxlan.mtu = opts->vxlan_mtu ? opts->vxlan_mtu
				       : calc_pod_mtu(opts->uplink_mtu, CALC_ENCAP_VXLAN);
	for (i = 0; i < out->vtep_count; i++) {
		struct vxlan_peer *p = &d->peers[d->peer_count];

		if (out->vteps[i].node_ip.family != AF_INET)
			continue;
		memcpy(p->mac, out->vteps[i].mac, 6);
		p->tunnel_addr = out->vteps[i].tunnel_addr;
		p->node_ip = out->vteps[i].node_ip;
		d->peer_count++;
	}
	return 0;
}

void felix_desired_free(struct felix_desired *d)
{
	if (!d)
		return;
	free(d->routes);
	free(d->peers);
	memset(d, 0, sizeof(*d));
}
