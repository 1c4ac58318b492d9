/* bird_model: the renderer's input — everything twill-confgen needs to
 * write one node's BIRD configuration, as plain resolved data.
 *
 * bird_input_build() turns the datastore's objects (BGPConfiguration,
 * BGPPeers, Nodes, IPPools, BlockAffinities, Secrets) into a bird_input:
 * addresses and prefixes parsed, AS numbers resolved (node annotation over
 * the global default), durations in seconds, community names resolved to
 * values, Secrets resolved into passwords, this node's confirmed affine
 * blocks collected. It is pure (no I/O, no logging) and input order does not
 * matter: every array it produces is sorted, so equal datastores give equal
 * inputs and the renderer gives byte-identical text.
 *
 * Problems with individual objects never fail the build: the object is left
 * out (or, for a password, its session is marked unusable so it is never
 * rendered without its password) and a note is recorded. Notes never contain
 * secret values; the renderer prints them as comments and the daemon logs
 * them. The build fails only when this node is unknown or has no BGP address
 * (-ENOENT) or on -ENOMEM. */
#ifndef TWILL_BIRD_MODEL_H
#define TWILL_BIRD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "labels.h"
#include "model/bgpconfig.h"
#include "model/bgppeer.h"
#include "model/blockaffinity.h"
#include "model/ippool.h"
#include "model/node.h"
#include "model/secret.h"

#define BIRD_DEFAULT_AS 64512u
#define BIRD_DEFAULT_PORT 179
#define BIRD_DEFAULT_RESTART_S 120u

enum bird_password_state {
	BIRD_PASSWORD_NONE = 0,
	BIRD_PASSWORD_SET,	/* password holds it */
	BIRD_PASSWORD_UNUSABLE,	/* referenced but missing or not representable */
};

struct bird_password {
	enum bird_password_state state;
	char *value; /* only with BIRD_PASSWORD_SET */
};

struct bird_node {
	char *name;
	struct labels labels;
	bool has_v4, has_v6;
	struct cidr v4, v6;	/* interface form: address + its subnet length */
	uint32_t as_number;	/* annotation override, else the global AS */
	char *rr_cluster_id;	/* dotted quad; NULL unless a route reflector */
};

struct bird_peer {
	char *name;		/* BGPPeer metadata.name */
	char *node;		/* NULL: not tied to one node */
	char *node_selector;	/* NULL: no selector */
	char *peer_selector;	/* NULL: peers with peer_ip instead */
	bool has_ip;
	struct ip_addr ip;
	uint16_t port;
	uint32_t as_number;	/* 0 = same AS as the node */
	bool keep_original_next_hop;
	struct bird_password password;
	uint32_t restart_s;	/* graceful restart time; 0 = BIRD's default */
};

struct bird_pool {
	struct cidr net;
	bool disabled;
	bool disable_bgp_export;
	enum ippool_encap_mode ipip_mode, vxlan_mode;
};

struct bird_prefix_advertisement {
	struct cidr net;
	char **communities;	/* resolved values "aa:nn" / "aa:nn:mm" */
	size_t community_count;
};

struct bird_note {
	char *text;
};

struct bird_input {
	size_t self;			/* index of this node in nodes */
	struct bird_node *nodes;	/* sorted by name */
	size_t node_count;
	uint32_t as_number;		/* global default */
	bool mesh_enabled;
	uint16_t listen_port;
	enum model_log_severity log_severity;
	uint32_t mesh_restart_s;
	struct bird_password mesh_password;
	struct cidr *service_cidrs;	/* cluster + external + LB, sorted, unique */
	size_t service_cidr_count;
	struct bird_prefix_advertisement *advertisements; /* sorted by cidr */
	size_t advertisement_count;
	struct bird_peer *peers;	/* sorted by name */
	size_t peer_count;
	struct bird_pool *pools;	/* sorted by cidr */
	size_t pool_count;
	struct cidr *blocks;		/* this node's affine blocks, sorted */
	size_t block_count;
	char **notes;			/* in the order found; no secrets */
	size_t note_count;
};

struct bird_sources {
	const char *node_name;
	const struct bgpconfig *config;		/* "default"; NULL = defaults */
	const struct bgpconfig *node_config;	/* "node.<name>"; may be NULL */
	const struct node *const *nodes;
	size_t node_count;
	const struct bgppeer *const *peers;
	size_t peer_count;
	const struct ippool *const *pools;
	size_t pool_count;
	const struct blockaffinity *const *affinities; /* all nodes' */
	size_t affinity_count;
	const struct secret *const *secrets;	/* MODEL_TWILL_NAMESPACE's */
	size_t secret_count;
};

/* 0, -ENOENT (node missing or without a BGP address; err says which),
 * -ENOMEM. out is zeroed first and empty again on error. */
int bird_input_build(const struct bird_sources *src, struct bird_input *out,
		     char *err, size_t errlen);
void bird_input_free(struct bird_input *in);
/* Order for sorting and lookups: family, network, prefix length. */
int bird_cidr_compare(const struct cidr *a, const struct cidr *b);

#endif
