/* bird_model: building the renderer's input from model objects.
 *
 * Design: every field is resolved here so the renderer never parses text or
 * looks anything up by name. Objects that cannot be used are skipped with a
 * note rather than failing the build, because one bad BGPPeer must not take
 * the node's mesh down. The one exception is a password: a session whose
 * Secret is missing or holds bytes BIRD cannot quote keeps its place but is
 * marked BIRD_PASSWORD_UNUSABLE, and the renderer leaves it out — failing
 * closed instead of opening an unauthenticated session.
 *
 * Invariants: every output array is sorted (names with strcmp, prefixes with
 * bird_cidr_compare) so the result does not depend on informer order; notes
 * never quote a secret value. */
#include "bird_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_text.h"
#include "strv.h"


static int dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int bird_cidr_compare(const struct cidr *a, const struct cidr *b)
{
	int c = ip_compare(&a->addr, &b->addr);

	if (c)
		return c;
	return (a->prefix_len > b->prefix_len) - (a->prefix_len < b->prefix_len);
}

static int cidr_cmp_void(const void *a, const void *b)
{
	return bird_cidr_compare(a, b);
}

static int node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bird_node *)a)->name,
		      ((const struct bird_node *)b)->name);
}

static int peer_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bird_peer *)a)->name,
		      ((const struct bird_peer *)b)->name);
}

static int pool_cmp(const void *a, const void *b)
{
	return bird_cidr_compare(&((const struct bird_pool *)a)->net,
				 &((const struct bird_pool *)b)->net);
}

static int adv_cmp(const void *a, const void *b)
{
	return bird_cidr_compare(&((const struct bird_prefix_advertisement *)a)->net,
				 &((const struct bird_prefix_advertisement *)b)->net);
}

/* Sort, then drop duplicates in place. */
static size_t sort_unique_cidrs(struct cidr *v, size_t n)
{
	size_t i, out = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cidr_cmp_void);
	for (i = 1; i < n; i++)
		if (bird_cidr_compare(&v[out], &v[i]) != 0)
			v[++out] = v[i];
	return out + 1;
}

/* Resolve a secretKeyRef. The value is copied only when BIRD can quote it. */
static int resolve_password(const struct bird_sources *src, const struct secret_key_ref *ref,
			    const char *owner, struct bird_password *pw, struct bird_input *in)
{
	const unsigned char *value = NULL;
	size_t i, len = 0;

	pw->state = BIRD_PASSWORD_NONE;
	pw->value = NULL;
	if (!ref->name && !ref->key)
		return 0;
	pw->state = BIRD_PASSWORD_UNUSABLE;
	for (i = 0; ref->name && ref->key && i < src->secret_count; i++) {
		const struct secret *s = src->secrets[i];

		if (s && s->meta.name && strcmp(s->meta.name, ref->name) == 0 &&
		    (!s->meta.namespace ||
		     strcmp(s->meta.namespace, MODEL_TWILL_NAMESPACE) == 0)) {
			value = secret_get(s, ref->key, &len);
			break;
		}
	}
	if (!value)
		return strv_appendf(&in->notes, &in->note_count, "%s: password secret %s/%s key %s not found; session not rendered",
				owner, MODEL_TWILL_NAMESPACE, ref->name ? ref->name : "?",
				ref->key ? ref->key : "?");
	if (!bird_password_ok(value, len))
		return strv_appendf(&in->notes, &in->note_count, "%s: password in secret %s key %s is empty, longer than %d bytes "
				"or holds a double quote or non-printable byte; session not rendered",
				owner, ref->name, ref->key, BIRD_PASSWORD_MAX);
	pw->value = strndup((const char *)value, len);
	if (!pw->value)
		return -ENOMEM;
	pw->state = BIRD_PASSWORD_SET;
	return 0;
}

static int restart_time(const char *text, const char *owner, uint32_t *out,
			struct bird_input *in)
{
	*out = 0;
	if (!text)
		return 0;
	if (bird_restart_seconds(text, out) < 0)
		return strv_appendf(&in->notes, &in->note_count, "%s: maxRestartTime \"%s\" is not a duration; using BIRD's default",
				owner, text);
	return 0;
}

static int build_node(const struct node *n, uint32_t global_as, struct bird_node *out,
		      struct bird_input *in)
{
	const char *rr;
	struct ip_addr rr_ip;
	int rc;

	memset(out, 0, sizeof(*out));
	out->has_v4 = node_bgp_ipv4(n, &out->v4) == 0;
	out->has_v6 = node_bgp_ipv6(n, &out->v6) == 0;
	if (node_as_number(n, &out->as_number) < 0)
		out->as_number = global_as;
	rr = labels_get(&n->meta.annotations, NODE_ANNOTATION_RR_CLUSTER_ID);
	if (rr && (ip_parse(rr, &rr_ip) < 0 || rr_ip.family != AF_INET)) {
		rc = strv_appendf(&in->notes, &in->note_count, "node %s: %s \"%s\" is not an IPv4 address; not a route reflector",
			      n->meta.name, NODE_ANNOTATION_RR_CLUSTER_ID, rr);
		if (rc < 0)
			return rc;
		rr = NULL;
	}
	if ((rc = dup_opt(n->meta.name, &out->name)) < 0 ||
	    (rc = dup_opt(rr, &out->rr_cluster_id)) < 0 ||
	    (rc = labels_copy(&out->labels, &n->meta.labels)) < 0)
		return rc;
	return 0;
}

static void bird_node_release(struct bird_node *n)
{
	free(n->name);
	free(n->rr_cluster_id);
	labels_free(&n->labels);
}

static int build_nodes(const struct bird_sources *src, struct bird_input *in)
{
	size_t i;
	int rc;

	in->nodes = calloc(src->node_count ? src->node_count : 1, sizeof(*in->nodes));
	if (!in->nodes)
		return -ENOMEM;
	for (i = 0; i < src->node_count; i++) {
		const struct node *n = src->nodes[i];
		struct bird_node *bn = &in->nodes[in->node_count];

		if (!n || !n->meta.name)
			continue;
		rc = build_node(n, in->as_number, bn, in);
		in->node_count++;
		if (rc < 0)
			return rc;
		if (!bn->has_v4 && !bn->has_v6 && strcmp(bn->name, src->node_name) != 0) {
			rc = strv_appendf(&in->notes, &in->note_count, "node %s: no BGP address annotation; not peered with",
				      bn->name);
			bird_node_release(bn);
			in->node_count--;
			if (rc < 0)
				return rc;
		}
	}
	qsort(in->nodes, in->node_count, sizeof(*in->nodes), node_cmp);
	return 0;
}

static int build_peer(const struct bird_sources *src, const struct bgppeer *p,
		      struct bird_peer *out, bool *keep, struct bird_input *in)
{
	char owner[300];
	int rc;

	memset(out, 0, sizeof(*out));
	*keep = false;
	snprintf(owner, sizeof(owner), "BGPPeer %s", p->meta.name);
	if (p->peer_ip) {
		if (bgppeer_parse_peer_ip(p->peer_ip, &out->ip, &out->port) < 0)
			return strv_appendf(&in->notes, &in->note_count, "%s: peerIP \"%s\" is not an address; skipped",
					owner, p->peer_ip);
		out->has_ip = true;
	} else if (!p->peer_selector) {
		return strv_appendf(&in->notes, &in->note_count, "%s: neither peerIP nor peerSelector; skipped", owner);
	}
	out->as_number = p->as_number;
	out->keep_original_next_hop = p->keep_original_next_hop;
	if ((rc = dup_opt(p->meta.name, &out->name)) < 0 ||
	    (rc = dup_opt(p->node, &out->node)) < 0 ||
	    (rc = dup_opt(p->node_selector, &out->node_selector)) < 0 ||
	    (rc = dup_opt(out->has_ip ? NULL : p->peer_selector, &out->peer_selector)) < 0)
		return rc;
	*keep = true;
	if ((rc = resolve_password(src, &p->password, owner, &out->password, in)) < 0)
		return rc;
	return restart_time(p->max_restart_time, owner, &out->restart_s, in);
}

static void bird_peer_release(struct bird_peer *p)
{
	free(p->name);
	free(p->node);
	free(p->node_selector);
	free(p->peer_selector);
	free(p->password.value);
}

static int build_peers(const struct bird_sources *src, struct bird_input *in)
{
	size_t i;
	bool keep;
	int rc;

	in->peers = calloc(src->peer_count ? src->peer_count : 1, sizeof(*in->peers));
	if (!in->peers)
		return -ENOMEM;
	for (i = 0; i < src->peer_count; i++) {
		if (!src->peers[i] || !src->peers[i]->meta.name)
			continue;
		rc = build_peer(src, src->peers[i], &in->peers[in->peer_count], &keep, in);
		if (keep)
			in->peer_count++;
		else
			bird_peer_release(&in->peers[in->peer_count]);
		if (rc < 0)
			return rc;
	}
	qsort(in->peers, in->peer_count, sizeof(*in->peers), peer_cmp);
	return 0;
}

static int build_pools(const struct bird_sources *src, struct bird_input *in)
{
	size_t i;

	in->pools = calloc(src->pool_count ? src->pool_count : 1, sizeof(*in->pools));
	if (!in->pools)
		return -ENOMEM;
	for (i = 0; i < src->pool_count; i++) {
		const struct ippool *p = src->pools[i];
		struct bird_pool *bp = &in->pools[in->pool_count];

		if (!p)
			continue;
		if (!p->cidr_ok) {
			int rc = strv_appendf(&in->notes, &in->note_count, "IPPool %s: cidr is not a prefix; left out of filters",
					  p->meta.name ? p->meta.name : "?");
			if (rc < 0)
				return rc;
			continue;
		}
		bp->net = p->net;
		cidr_network(&bp->net);
		bp->disabled = p->disabled;
		bp->disable_bgp_export = p->disable_bgp_export;
		bp->ipip_mode = p->ipip_mode;
		bp->vxlan_mode = p->vxlan_mode;
		in->pool_count++;
	}
	qsort(in->pools, in->pool_count, sizeof(*in->pools), pool_cmp);
	return 0;
}

static int build_blocks(const struct bird_sources *src, const char *self, struct bird_input *in)
{
	size_t i;
	int rc;

	in->blocks = calloc(src->affinity_count ? src->affinity_count : 1, sizeof(*in->blocks));
	if (!in->blocks)
		return -ENOMEM;
	for (i = 0; i < src->affinity_count; i++) {
		const struct blockaffinity *a = src->affinities[i];

		/* Only confirmed claims: a pending one may still lose its race and
		 * a block advertised by two nodes blackholes half its traffic. */
		if (!a || a->deleted || a->state != BLOCKAFFINITY_CONFIRMED || !a->node ||
		    strcmp(a->node, self) != 0 || !a->cidr)
			continue;
		if (cidr_parse_strict(a->cidr, &in->blocks[in->block_count]) < 0) {
			rc = strv_appendf(&in->notes, &in->note_count, "BlockAffinity %s: cidr \"%s\" is not a prefix; skipped",
				      a->meta.name ? a->meta.name : "?", a->cidr);
			if (rc < 0)
				return rc;
			continue;
		}
		in->block_count++;
	}
	in->block_count = sort_unique_cidrs(in->blocks, in->block_count);
	return 0;
}

static int add_service_list(char *const *list, size_t count, const char *field,
			    struct bird_input *in)
{
	struct cidr *grown;
	size_t i;
	int rc;

	if (count == 0)
		return 0;
	grown = realloc(in->service_cidrs, (in->service_cidr_count + count) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	in->service_cidrs = grown;
	for (i = 0; i < count; i++) {
		struct cidr *c = &in->service_cidrs[in->service_cidr_count];

		if (!list[i] || cidr_parse(list[i], c) < 0) {
			rc = strv_appendf(&in->notes, &in->note_count, "BGPConfiguration: %s \"%s\" is not a prefix; skipped",
				      field, list[i] ? list[i] : "");
			if (rc < 0)
				return rc;
			continue;
		}
		cidr_network(c);
		in->service_cidr_count++;
	}
	return 0;
}

static const char *community_value(const struct bgpconfig *cfg, const char *ref)
{
	size_t i;

	for (i = 0; i < cfg->community_count; i++)
		if (cfg->communities[i].name && strcmp(cfg->communities[i].name, ref) == 0)
			return cfg->communities[i].value;
	/* Not a name: a literal value is allowed in place of one. */
	return bgp_community_value_check(ref) == 0 ? ref : NULL;
}

static int build_advertisements(const struct bgpconfig *cfg, struct bird_input *in)
{
	size_t i, j;
	int rc;

	if (cfg->prefix_advertisement_count == 0)
		return 0;
	in->advertisements = calloc(cfg->prefix_advertisement_count, sizeof(*in->advertisements));
	if (!in->advertisements)
		return -ENOMEM;
	for (i = 0; i < cfg->prefix_advertisement_count; i++) {
		const struct bgp_prefix_advertisement *pa = &cfg->prefix_advertisements[i];
		struct bird_prefix_advertisement *out = &in->advertisements[in->advertisement_count];

		if (!pa->cidr || cidr_parse(pa->cidr, &out->net) < 0) {
			if ((rc = strv_appendf(&in->notes, &in->note_count, "BGPConfiguration: prefixAdvertisements cidr \"%s\" "
					   "is not a prefix; skipped", pa->cidr ? pa->cidr : "")) < 0)
				return rc;
			continue;
		}
		cidr_network(&out->net);
		in->advertisement_count++;
		out->communities = calloc(pa->community_count ? pa->community_count : 1,
					  sizeof(char *));
		if (!out->communities)
			return -ENOMEM;
		for (j = 0; j < pa->community_count; j++) {
			const char *v = pa->communities[j] ? community_value(cfg, pa->communities[j]) : NULL;

			if (!v || bgp_community_value_check(v) < 0) {
				if ((rc = strv_appendf(&in->notes, &in->note_count, "BGPConfiguration: prefixAdvertisements %s: "
						   "community \"%s\" is neither a defined name nor a value; skipped",
						   pa->cidr, pa->communities[j] ? pa->communities[j] : "")) < 0)
					return rc;
				continue;
			}
			out->communities[out->community_count] = strdup(v);
			if (!out->communities[out->community_count])
				return -ENOMEM;
			out->community_count++;
		}
	}
	qsort(in->advertisements, in->advertisement_count, sizeof(*in->advertisements), adv_cmp);
	return 0;
}

static int build_config(const struct bird_sources *src, struct bird_input *in)
{
	static const struct bgpconfig empty;
	const struct bgpconfig *cfg = src->config ? src->config : &empty;
	int rc;

	in->as_number = src->config ? cfg->as_number : BIRD_DEFAULT_AS;
	in->mesh_enabled = src->config ? cfg->node_to_node_mesh_enabled : true;
	in->listen_port = BIRD_DEFAULT_PORT;
	in->log_severity = src->config ? cfg->log_severity_screen : MODEL_LOG_INFO;
	if (src->config && cfg->listen_port > 0 && cfg->listen_port <= 65535)
		in->listen_port = (uint16_t)cfg->listen_port;
	/* A per-node BGPConfiguration only tunes the local daemon. */
	if (src->node_config) {
		if (src->node_config->listen_port > 0 && src->node_config->listen_port <= 65535)
			in->listen_port = (uint16_t)src->node_config->listen_port;
		in->log_severity = src->node_config->log_severity_screen;
	}
	in->mesh_restart_s = BIRD_DEFAULT_RESTART_S;
	if (cfg->node_mesh_max_restart_time &&
	    (rc = restart_time(cfg->node_mesh_max_restart_time, "BGPConfiguration nodeMesh",
			       &in->mesh_restart_s, in)) < 0)
		return rc;
	if (in->mesh_restart_s == 0)
		in->mesh_restart_s = BIRD_DEFAULT_RESTART_S;
	if ((rc = resolve_password(src, &cfg->node_mesh_password, "BGPConfiguration nodeMeshPassword",
				   &in->mesh_password, in)) < 0)
		return rc;
	if ((rc = add_service_list(cfg->service_cluster_ips, cfg->service_cluster_ip_count,
				   "serviceClusterIPs", in)) < 0 ||
	    (rc = add_service_list(cfg->service_external_ips, cfg->service_external_ip_count,
				   "serviceExternalIPs", in)) < 0 ||
	    (rc = add_service_list(cfg->service_load_balancer_ips,
				   cfg->service_load_balancer_ip_count,
				   "serviceLoadBalancerIPs", in)) < 0)
		return rc;
	in->service_cidr_count = sort_unique_cidrs(in->service_cidrs, in->service_cidr_count);
	return build_advertisements(cfg, in);
}

int bird_input_build(const struct bird_sources *src, struct bird_input *out,
		     char *err, size_t errlen)
{
	size_t i;
	bool found = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	if (!src->node_name) {
		snprintf(err, errlen, "no node name given");
		return -ENOENT;
	}
	if ((rc = build_config(src, out)) < 0 ||
	    (rc = build_nodes(src, out)) < 0 ||
	    (rc = build_peers(src, out)) < 0 ||
	    (rc = build_pools(src, out)) < 0 ||
	    (rc = build_blocks(src, src->node_name, out)) < 0)
		goto out;
	for (i = 0; i < out->node_count; i++) {
		if (strcmp(out->nodes[i].name, src->node_name) == 0) {
			out->self = i;
			found = true;
		}
	}
	rc = 0;
	if (!found) {
		snprintf(err, errlen, "node %s not found", src->node_name);
		rc = -ENOENT;
	} else if (!out->nodes[out->self].has_v4 && !out->nodes[out->self].has_v6) {
		snprintf(err, errlen, "node %s has neither %s nor %s", src->node_name,
			 NODE_ANNOTATION_IPV4_ADDRESS, NODE_ANNOTATION_IPV6_ADDRESS);
		rc = -ENOENT;
	}
out:
	if (rc < 0)
		bird_input_free(out);
	return rc;
}

void bird_input_free(struct bird_input *in)
{
	size_t i, j;

	for (i = 0; i < in->node_count; i++)
		bird_node_release(&in->nodes[i]);
	free(in->nodes);
	for (i = 0; i < in->peer_count; i++)
		bird_peer_release(&in->peers[i]);
	free(in->peers);
	free(in->mesh_password.value);
	free(in->service_cidrs);
	for (i = 0; i < in->advertisement_count; i++) {
		for (j = 0; j < in->advertisements[i].community_count; j++)
			free(in->advertisements[i].communities[j]);
		free(in->advertisements[i].communities);
	}
	free(in->advertisements);
	free(in->pools);
	free(in->blocks);
	strv_free(&in->notes, &in->note_count);
	memset(in, 0, sizeof(*in));
}
