/* cni_result: the CNI Success result, read from any supported version and
 * written in any supported version.
 *
 * Shapes (spec "Success"): interfaces[] {name, mac, sandbox, mtu(1.1.0)},
 * ips[] {address "ip/len", gateway, interface index, version "4"/"6"
 * before 1.0.0}, routes[] {dst, gw}, dns {nameservers, domain, search,
 * options}. 0.3.0 .. 1.1.0 share this shape, so conversion is read + write:
 * cni_result_parse() accepts ips[].version but checks it matches the address
 * family, and cni_result_to_json() emits exactly the fields the target
 * version defines. The 0.1/0.2 shape (ip4/ip6) is rejected.
 *
 * Limits: 8 interfaces, 16 ips, 64 routes; a result beyond them is rejected
 * with error 6 rather than silently cut. Errors name the field with the
 * caller's prefix, e.g. "ipam result: ips[0].address: not an IP prefix". */
#ifndef TWILL_CNI_RESULT_H
#define TWILL_CNI_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "cidr.h"
#include "cni_error.h"

#define CNI_RESULT_MAX_INTERFACES 8
#define CNI_RESULT_MAX_IPS 16
#define CNI_RESULT_MAX_ROUTES 64

struct cni_interface {
	char name[64];
	char mac[32];       /* "" when not known */
	char *sandbox;      /* NULL for host-side interfaces */
	int mtu;            /* 0: not reported */
};

struct cni_ip {
	struct cidr address; /* host bits kept: "10.0.0.5/32" */
	bool has_gateway;
	struct ip_addr gateway;
	int interface;       /* index into interfaces, -1 when absent */
};

struct cni_route {
	struct cidr dst;
	bool has_gw;
	struct ip_addr gw;
};

struct cni_result {
	size_t n_interfaces, n_ips, n_routes;
	struct cni_interface interfaces[CNI_RESULT_MAX_INTERFACES];
	struct cni_ip ips[CNI_RESULT_MAX_IPS];
	struct cni_route routes[CNI_RESULT_MAX_ROUTES];
	json_object *dns;    /* owned; NULL when absent */
};

void cni_result_init(struct cni_result *r);
void cni_result_free(struct cni_result *r);

/* 0 or -EINVAL (err: code 6, message "<prefix>: <field>: <problem>") or
 * -ENOMEM. out is initialised by the call. */
int cni_result_parse(json_object *obj, const char *prefix, struct cni_result *out,
		     struct cni_error *err);
/* Parse JSON text (the stdout of a delegated plugin). */
int cni_result_parse_text(const char *text, size_t len, const char *prefix,
			  struct cni_result *out, struct cni_error *err);
/* New JSON object for version (must be supported); NULL on -ENOMEM. */
json_object *cni_result_to_json(const struct cni_result *r, const char *version);

/* Builders; -ENOSPC past the limits. sandbox may be NULL. Return the index. */
int cni_result_add_interface(struct cni_result *r, const char *name, const char *mac,
			     const char *sandbox, int mtu);
int cni_result_add_ip(struct cni_result *r, const struct cidr *address,
		      const struct ip_addr *gateway, int interface);
int cni_result_add_route(struct cni_result *r, const struct cidr *dst,
			 const struct ip_addr *gw);

#endif
