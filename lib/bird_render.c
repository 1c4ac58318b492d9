/* bird_render: writing the configuration text (layout in the header).
 *
 * Everything is printed through one memstream in a fixed order. Free text
 * from the datastore only ever reaches the file through put_comment(), which
 * keeps one line per comment and replaces anything non-printable, so a node
 * or peer name cannot smuggle a newline and a directive into the file. Prefix
 * sets are never empty in the output (BIRD rejects "[ ]"): each set-using
 * statement is emitted only when its list has members of the family. */
#include "bird_render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_sessions.h"

static const char *family_suffix(int family)
{
	return family == AF_INET ? "4" : "6";
}

static void put_comment(FILE *f, const char *indent, const char *text)
{
	const unsigned char *p;

	fprintf(f, "%s# ", indent);
	for (p = (const unsigned char *)text; *p; p++)
		fputc(*p >= 0x20 && *p < 0x7f ? *p : '?', f);
	fputc('\n', f);
}

static void put_cidr(FILE *f, const struct cidr *c)
{
	char buf[CIDR_STRLEN];

	cidr_format(c, buf, sizeof(buf));
	fputs(buf, f);
}

static void put_ip(FILE *f, const struct ip_addr *ip)
{
	char buf[IP_ADDR_STRLEN];

	ip_format(ip, buf, sizeof(buf));
	fputs(buf, f);
}

static const char *log_classes(enum model_log_severity s)
{
	switch (s) {
	case MODEL_LOG_DEBUG:
		return "all";
	case MODEL_LOG_INFO:
		return "{ info, remote, warning, error, auth, fatal, bug }";
	case MODEL_LOG_WARNING:
		return "{ warning, error, auth, fatal, bug }";
	case MODEL_LOG_ERROR:
		return "{ error, auth, fatal, bug }";
	default:
		return "{ fatal, bug }";
	}
}

/* BIRD needs a 32-bit router id. An IPv6-only node gets a stable one from
 * its name (FNV-1a), in 240.0.0.0/4 where no real IPv4 node address lives. */
static void put_router_id(FILE *f, const struct bird_node *self)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	if (self->has_v4) {
		fputs("router id ", f);
		put_ip(f, &self->v4.addr);
		fputs(";\n", f);
		return;
	}
	for (p = (const unsigned char *)self->name; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = 0xf0000000u | (h & 0x0fffffffu);
	fprintf(f, "router id %u.%u.%u.%u;\n", h >> 24, (h >> 16) & 255, (h >> 8) & 255,
		h & 255);
}

/* "<before>net ~ [ a+, b+ ]<after>" over the pools of one family chosen by
 * keep (NULL: all); prints nothing when none qualifies. */
typedef bool (*pool_pred)(const struct bird_pool *pool);

static void put_pool_set(FILE *f, const struct bird_input *in, int family, pool_pred keep,
			 const char *before, const char *after)
{
	size_t i, n = 0;

	for (i = 0; i < in->pool_count; i++) {
		if (in->pools[i].net.addr.family != family || (keep && !keep(&in->pools[i])))
			continue;
		if (n++ == 0)
			fprintf(f, "%snet ~ [ ", before);
		else
			fputs(", ", f);
		put_cidr(f, &in->pools[i].net);
		fputc('+', f);
	}
	if (n)
		fprintf(f, " ]%s", after);
}

static bool pool_no_export(const struct bird_pool *p)
{
	return p->disable_bgp_export;
}

static bool pool_always_tunnelled(const struct bird_pool *p)
{
	return p->ipip_mode == IPPOOL_MODE_ALWAYS || p->vxlan_mode == IPPOOL_MODE_ALWAYS;
}

static size_t count_family(const struct cidr *v, size_t n, int family)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += v[i].addr.family == family;
	return c;
}

static void put_static(FILE *f, const char *name, int family, const struct cidr *v, size_t n,
		       const char *why)
{
	size_t i;

	if (count_family(v, n, family) == 0)
		return;
	put_comment(f, "", why);
	fprintf(f, "protocol static %s%s {\n\tipv%s;\n", name, family_suffix(family),
		family_suffix(family));
	for (i = 0; i < n; i++) {
		if (v[i].addr.family != family)
			continue;
		fputs("\troute ", f);
		put_cidr(f, &v[i]);
		fputs(" blackhole;\n", f);
	}
	fputs("}\n\n", f);
}

static void put_import_filter(FILE *f, const struct bird_input *in, int family)
{
	const char *sfx = family_suffix(family);
	size_t i, n = 0;

	fprintf(f, "filter twill_import_v%s {\n", sfx);
	for (i = 0; i < in->block_count; i++) {
		if (in->blocks[i].addr.family != family)
			continue;
		if (n++ == 0) {
			put_comment(f, "\t", "This node's own blocks (or parts of them) are never learned "
				    "from a peer: a covering route is harmless (longest match keeps "
				    "our own), an equal or longer one would steal local traffic.");
			fputs("\tif net ~ [ ", f);
		} else {
			fputs(", ", f);
		}
		put_cidr(f, &in->blocks[i]);
		fputc('+', f);
	}
	if (n)
		fputs(" ] then reject;\n", f);
	fputs("\taccept;\n}\n\n", f);
}

/* "aa:nn" -> bgp_community, "aa:nn:mm" -> bgp_large_community. The values
 * were checked by bgp_community_value_check(), so they are digits and colons. */
static void put_community_add(FILE *f, const char *value)
{
	const char *p;
	int colons = 0;

	for (p = value; *p; p++)
		colons += *p == ':';
	fprintf(f, "\t\t%s.add((", colons == 2 ? "bgp_large_community" : "bgp_community");
	for (p = value; *p; p++) {
		if (*p == ':')
			fputs(", ", f);
		else
			fputc(*p, f);
	}
	fputs("));\n", f);
}

static void put_export_filter(FILE *f, const struct bird_input *in, int family)
{
	const char *sfx = family_suffix(family);
	const struct bird_node *self = &in->nodes[in->self];
	size_t i, j;

	fprintf(f, "filter twill_export_v%s {\n", sfx);
	put_comment(f, "\t", "Advertise this node's blocks and the service prefixes; never "
		    "pools with disableBGPExport, never routes learned from the kernel.");
	put_pool_set(f, in, family, pool_no_export, "\tif ", " then reject;\n");
	for (i = 0; i < in->advertisement_count; i++) {
		const struct bird_prefix_advertisement *a = &in->advertisements[i];

		if (a->net.addr.family != family || a->community_count == 0)
			continue;
		fputs("\tif net ~ [ ", f);
		put_cidr(f, &a->net);
		fputs("+ ] then {\n", f);
		for (j = 0; j < a->community_count; j++)
			put_community_add(f, a->communities[j]);
		fputs("\t}\n", f);
	}
	fprintf(f, "\tif proto = \"twill_blocks%s\" then accept;\n", sfx);
	fprintf(f, "\tif proto = \"twill_services%s\" then accept;\n", sfx);
	if (self->rr_cluster_id) {
		put_comment(f, "\t", "Route reflector: pass on what clients and other reflectors "
			    "advertise for the pools.");
		put_pool_set(f, in, family, NULL, "\tif source = RTS_BGP && ", " then accept;\n");
	}
	fputs("\treject;\n}\n\n", f);
}

static void put_kernel(FILE *f, const struct bird_input *in, int family)
{
	const struct bird_node *self = &in->nodes[in->self];
	const struct cidr *mine = family == AF_INET ? &self->v4 : &self->v6;
	const char *sfx = family_suffix(family);
	struct cidr subnet = *mine;

	cidr_network(&subnet);
	fprintf(f, "filter twill_kernel_v%s {\n", sfx);
	put_comment(f, "\t", "Only routes learned over BGP reach the kernel; the static blackholes "
		    "above exist for advertising only (felix installs the real ones).");
	fputs("\tif source != RTS_BGP then reject;\n", f);
	put_pool_set(f, in, family, pool_always_tunnelled,
		     "\t# Always-tunnelled pools: felix installs their tunnel routes.\n\tif ",
		     " then reject;\n");
	put_comment(f, "\t", "BIRD installs a route only when its next hop is directly connected; "
		    "routes via other subnets are felix's (CrossSubnet tunnels).");
	fputs("\tif gw ~ ", f);
	put_cidr(f, &subnet);
	fputs(" then accept;\n\treject;\n}\n\n", f);

	fprintf(f, "protocol kernel twill_kernel%s {\n\tipv%s {\n", sfx, sfx);
	put_comment(f, "\t\t", "Never learn kernel routes: twill's and felix's own routes must "
		    "not come back as BGP advertisements.");
	fprintf(f, "\t\timport none;\n\t\texport filter twill_kernel_v%s;\n\t};\n", sfx);
	put_comment(f, "\t", "Routes outlive a BIRD restart; under -R, stale ones go only after the "
		    "recovery.");
	fputs("\tpersist;\n\tgraceful restart;\n\tmerge paths on;\n}\n\n", f);
}

/* The session's type as `twillctl node status` shows it: mesh, rr (either
 * end is a route reflector), node (another twill node via peerSelector, or a
 * peerIP BGPPeer that selects nodes) or global (a peerIP BGPPeer for every
 * node). It travels in BIRD's `description`, which `show protocols all`
 * prints, so the CLI needs no datastore access to tell sessions apart. */
static const char *session_type(const struct bird_input *in, const struct bird_session *s,
				const char **who)
{
	const struct bird_node *self = &in->nodes[in->self];
	size_t i;

	*who = s->source;
	if (s->kind == BIRD_SESSION_MESH)
		return "mesh";
	if (s->kind == BIRD_SESSION_EXTERNAL) {
		for (i = 0; i < in->peer_count; i++)
			if (strcmp(in->peers[i].name, s->source) == 0)
				return in->peers[i].node || in->peers[i].node_selector ? "node"
										      : "global";
		return "node";
	}
	for (i = 0; i < in->node_count; i++) {
		const struct bird_node *n = &in->nodes[i];

		if ((n->has_v4 && ip_equal(&n->v4.addr, &s->neighbor)) ||
		    (n->has_v6 && ip_equal(&n->v6.addr, &s->neighbor))) {
			*who = n->name;
			return self->rr_cluster_id || n->rr_cluster_id ? "rr" : "node";
		}
	}
	return self->rr_cluster_id ? "rr" : "node";
}

/* BIRD strings have no escapes: keep only characters of Kubernetes names. */
static void put_description(FILE *f, const char *type, const char *who)
{
	const unsigned char *p;

	fprintf(f, "\tdescription \"twill %s ", type);
	for (p = (const unsigned char *)who; *p; p++)
		fputc((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ? *p : '_',
		      f);
	fputs("\";\n", f);
}

static void put_session(FILE *f, const struct bird_input *in, const struct bird_session *s)
{
	const char *who, *type = session_type(in, s, &who);

	const struct bird_node *self = &in->nodes[in->self];
	const char *sfx = family_suffix(s->family);
	char line[400];
	static const char *const kinds[] = { "node-to-node mesh with node",
					     "twill node peering via", "BGPPeer" };

	snprintf(line, sizeof(line), "%s %s%s", kinds[s->kind], s->source,
		 s->passive ? " (passive: the lower address initiates)" : "");
	put_comment(f, "", line);
	fprintf(f, "protocol bgp %s {\n", s->name);
	put_description(f, type, who);
	fputs("\tlocal ", f);
	put_ip(f, &s->local);
	fprintf(f, " port %u as %u;\n\tneighbor ", (unsigned)s->local_port, s->local_as);
	put_ip(f, &s->neighbor);
	fprintf(f, " port %u as %u;\n", (unsigned)s->neighbor_port, s->neighbor_as);
	fputs(s->direct ? "\tdirect;\n" : "\tmultihop;\n", f);
	if (s->passive)
		fputs("\tpassive on;\n", f);
	if (s->rr_client)
		fprintf(f, "\trr client;\n\trr cluster id %s;\n", self->rr_cluster_id);
	if (s->password)
		fprintf(f, "\tpassword \"%s\";\n", s->password);
	fputs("\tgraceful restart on;\n", f);
	if (s->restart_s)
		fprintf(f, "\tgraceful restart time %u;\n", s->restart_s);
	fprintf(f, "\tipv%s {\n\t\timport filter twill_import_v%s;\n"
		"\t\texport filter twill_export_v%s;\n", sfx, sfx, sfx);
	if (s->direct)
		fputs("\t\tgateway direct;\n", f);
	if (s->keep_next_hop)
		fputs("\t\tnext hop keep;\n", f);
	fputs("\t};\n}\n\n", f);
}

static void put_family(FILE *f, const struct bird_input *in, int family)
{
	put_static(f, "twill_blocks", family, in->blocks, in->block_count,
		   "This node's affine blocks, advertised as aggregates.");
	put_static(f, "twill_services", family, in->service_cidrs, in->service_cidr_count,
		   "Service prefixes from BGPConfiguration, advertised by every node.");
	put_import_filter(f, in, family);
	put_export_filter(f, in, family);
	put_kernel(f, in, family);
}

int bird_render(const struct bird_input *in, char **out, size_t *len)
{
	const struct bird_node *self;
	struct bird_session_list sessions;
	char *buf = NULL;
	size_t size = 0, i;
	char line[400];
	FILE *f;
	int rc;

	*out = NULL;
	if (in->self >= in->node_count)
		return -EINVAL;
	self = &in->nodes[in->self];
	rc = bird_sessions_plan(in, &sessions);
	if (rc < 0)
		return rc;
	f = open_memstream(&buf, &size);
	if (!f) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(line, sizeof(line), "BIRD 2 configuration for node %s, rendered by twill-confgen.",
		 self->name);
	put_comment(f, "", line);
	put_comment(f, "", "Do not edit: it is replaced whenever the datastore changes.");
	for (i = 0; i < in->note_count; i++) {
		snprintf(line, sizeof(line), "note: %s", in->notes[i]);
		put_comment(f, "", line);
	}
	for (i = 0; i < sessions.note_count; i++) {
		snprintf(line, sizeof(line), "note: %s", sessions.notes[i]);
		put_comment(f, "", line);
	}
	fputc('\n', f);
	put_router_id(f, self);
	fprintf(f, "log stderr %s;\n\n", log_classes(in->log_severity));
	fputs("protocol device {\n\tscan time 10;\n}\n\n", f);
	if (self->has_v4)
		put_family(f, in, AF_INET);
	if (self->has_v6)
		put_family(f, in, AF_INET6);
	for (i = 0; i < sessions.count; i++)
		put_session(f, in, &sessions.items[i]);
	if (fclose(f) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	f = NULL;
	*out = buf;
	buf = NULL;
	if (len)
		*len = size;
	rc = 0;
out:
	free(buf);
	bird_session_list_free(&sessions);
	return rc;
}
