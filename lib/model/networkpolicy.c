/* networkpolicy: parse/serialise/validate. LabelSelectors are parsed by
 * lib/label_selector (which rejects malformed keys and unknown fields like
 * the API server); its message is prefixed with our field path. Rules are
 * parsed by one function for both directions, told whether the peer list is
 * called "from" or "to". */
#include "model/networkpolicy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "model/fields.h"

static const char *const type_names[] = { "Ingress", "Egress", NULL };
static const char *const proto_names[] = { "TCP", "UDP", "SCTP", NULL };

static int parse_selector(const struct json_cursor *c, const char *key,
			  struct netpol_selector *out)
{
	json_object *v;
	char err[200];
	int rc;

	if (!c->obj || !json_object_object_get_ex(c->obj, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	rc = label_selector_from_json(v, &out->sel, err, sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		json_error(c, key, "%s", err);
		return 0;
	}
	out->present = true;
	return 0;
}

static int parse_ports(const struct json_cursor *c, struct netpol_rule *r)
{
	struct json_cursor item;
	json_object *arr, *v;
	size_t len, i;
	int proto;

	if (json_cursor_array(c, "ports", &arr, &len) <= 0)
		return 0;
	r->ports_present = true;
	r->ports = calloc(len + 1, sizeof(*r->ports));
	if (!r->ports)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		struct netpol_port *p = &r->ports[r->port_count];

		if (json_cursor_index(c, "ports", arr, i, &item) <= 0)
			continue;
		r->port_count++;
		if (json_get_enum(&item, "protocol", proto_names, &proto) == 1)
			p->protocol = (enum model_protocol)proto;
		json_get_int(&item, "endPort", 1, 65535, &p->end_port);
		if (json_object_object_get_ex(item.obj, "port", &v) &&
		    json_object_is_type(v, json_type_string)) {
			if (json_get_string(&item, "port", &p->port_name) == -ENOMEM)
				return -ENOMEM;
		} else {
			json_get_int(&item, "port", 1, 65535, &p->port);
		}
	}
	return 0;
}

static int parse_peer(const struct json_cursor *item, struct netpol_peer *peer)
{
	struct json_cursor ipb;

	if (parse_selector(item, "podSelector", &peer->pod_selector) < 0 ||
	    parse_selector(item, "namespaceSelector", &peer->namespace_selector) < 0)
		return -ENOMEM;
	if (json_cursor_child(item, "ipBlock", &ipb) <= 0)
		return 0;
	peer->has_ip_block = true;
	if (json_get_string(&ipb, "cidr", &peer->ip_block.cidr) == -ENOMEM ||
	    json_get_string_array(&ipb, "except", &peer->ip_block.except,
				  &peer->ip_block.except_count) == -ENOMEM)
		return -ENOMEM;
	return 0;
}

static int parse_rules(const struct json_cursor *spec, const char *key,
		       const char *peers_key, bool *present, struct netpol_rule **out,
		       size_t *count)
{
	struct json_cursor item, peer;
	json_object *arr, *parr;
	size_t len, plen, i, j;

	if (json_cursor_array(spec, key, &arr, &len) <= 0)
		return 0;
	*present = true;
	*out = calloc(len + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		struct netpol_rule *r = &(*out)[*count];

		if (json_cursor_index(spec, key, arr, i, &item) <= 0)
			continue;
		(*count)++;
		if (parse_ports(&item, r) < 0)
			return -ENOMEM;
		if (json_cursor_array(&item, peers_key, &parr, &plen) <= 0)
			continue;
		r->peers_present = true;
		r->peers = calloc(plen + 1, sizeof(*r->peers));
		if (!r->peers)
			return -ENOMEM;
		for (j = 0; j < plen; j++) {
			if (json_cursor_index(&item, peers_key, parr, j, &peer) <= 0)
				continue;
			if (parse_peer(&peer, &r->peers[r->peer_count++]) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

int networkpolicy_from_json(json_object *obj, struct networkpolicy *np,
			    struct model_errors *errs)
{
	struct json_cursor root, spec;
	char **types = NULL;
	size_t n = 0, i;
	int rc, idx;

	memset(np, 0, sizeof(*np));
	rc = model_parse_envelope(obj, "networking.k8s.io/v1", "NetworkPolicy", &np->meta, errs,
				  "spec", &root, &spec);
	if (rc < 0)
		return rc;
	rc = json_get_string_array(&spec, "policyTypes", &types, &n);
	if (rc == -ENOMEM)
		goto oom;
	if (rc == 1) {
		np->policy_types_present = true;
		for (i = 0; i < n; i++) {
			idx = model_enum_index(type_names, types[i]);
			if (idx < 0) {
				char key[48];

				snprintf(key, sizeof(key), "policyTypes[%zu]", i);
				json_error(&spec, key, "must be Ingress or Egress, got \"%.64s\"",
					   types[i]);
				continue;
			}
			np->policy_types |= 1u << idx;
		}
	}
	json_string_array_free(types, n);
	if (parse_selector(&spec, "podSelector", &np->pod_selector) < 0 ||
	    parse_rules(&spec, "ingress", "from", &np->ingress_present, &np->ingress,
			&np->ingress_count) < 0 ||
	    parse_rules(&spec, "egress", "to", &np->egress_present, &np->egress,
			&np->egress_count) < 0)
		goto oom;
	return 0;
oom:
	if (errs)
		errs->oom = true;
	return -ENOMEM;
}

static int selector_to_json(json_object *parent, const char *key,
			    const struct netpol_selector *s)
{
	json_object *o, *exprs, *e;
	size_t i;

	if (!s->present)
		return 0;
	o = json_set_object(parent, key);
	if (!o || json_set_string_map(o, "matchLabels", &s->sel.match_labels, false) < 0)
		return -ENOMEM;
	if (!s->sel.expr_count)
		return 0;
	exprs = json_set_array(o, "matchExpressions");
	if (!exprs)
		return -ENOMEM;
	for (i = 0; i < s->sel.expr_count; i++) {
		const struct label_selector_requirement *r = &s->sel.exprs[i];

		e = json_object_new_object();
		if (json_array_add(exprs, e) < 0 || json_set_string(e, "key", r->key) < 0 ||
		    json_set_string(e, "operator", label_selector_op_name(r->op)) < 0 ||
		    json_set_string_array(e, "values", r->values, r->value_count, false) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int rules_to_json(json_object *spec, const char *key, const char *peers_key,
			 bool present, const struct netpol_rule *rules, size_t count)
{
	json_object *arr, *item, *peers, *peer, *ports, *port, *ipb;
	size_t i, j;

	if (!present)
		return 0;
	arr = json_set_array(spec, key);
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		const struct netpol_rule *r = &rules[i];

		item = json_object_new_object();
		if (json_array_add(arr, item) < 0)
			return -ENOMEM;
		if (r->peers_present) {
			peers = json_set_array(item, peers_key);
			if (!peers)
				return -ENOMEM;
			for (j = 0; j < r->peer_count; j++) {
				const struct netpol_peer *p = &r->peers[j];

				peer = json_object_new_object();
				if (json_array_add(peers, peer) < 0 ||
				    selector_to_json(peer, "podSelector", &p->pod_selector) < 0 ||
				    selector_to_json(peer, "namespaceSelector",
						     &p->namespace_selector) < 0)
					return -ENOMEM;
				if (!p->has_ip_block)
					continue;
				ipb = json_set_object(peer, "ipBlock");
				if (!ipb || json_set_string(ipb, "cidr", p->ip_block.cidr) < 0 ||
				    json_set_string_array(ipb, "except", p->ip_block.except,
							  p->ip_block.except_count, false) < 0)
					return -ENOMEM;
			}
		}
		if (!r->ports_present)
			continue;
		ports = json_set_array(item, "ports");
		if (!ports)
			return -ENOMEM;
		for (j = 0; j < r->port_count; j++) {
			const struct netpol_port *p = &r->ports[j];

			port = json_object_new_object();
			if (json_array_add(ports, port) < 0 ||
			    json_set_string(port, "protocol", model_protocol_name(p->protocol)) < 0 ||
			    (p->port_name && json_set_string(port, "port", p->port_name) < 0) ||
			    (!p->port_name && p->port && json_set_int64(port, "port", p->port) < 0) ||
			    (p->end_port && json_set_int64(port, "endPort", p->end_port) < 0))
				return -ENOMEM;
		}
	}
	return 0;
}

json_object *networkpolicy_to_json(const struct networkpolicy *np)
{
	json_object *obj, *spec, *types;
	int i;

	obj = model_build_envelope("networking.k8s.io/v1", "NetworkPolicy", &np->meta, &spec);
	if (!obj)
		return NULL;
	if (selector_to_json(spec, "podSelector", &np->pod_selector) < 0)
		goto fail;
	if (np->policy_types_present) {
		types = json_set_array(spec, "policyTypes");
		if (!types)
			goto fail;
		for (i = 0; type_names[i]; i++)
			if ((np->policy_types & (1u << i)) &&
			    json_array_add(types, json_object_new_string(type_names[i])) < 0)
				goto fail;
	}
	if (rules_to_json(spec, "ingress", "from", np->ingress_present, np->ingress,
			  np->ingress_count) < 0 ||
	    rules_to_json(spec, "egress", "to", np->egress_present, np->egress,
			  np->egress_count) < 0)
		goto fail;
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

unsigned networkpolicy_effective_types(const struct networkpolicy *np)
{
	if (np->policy_types_present)
		return np->policy_types;
	return NETPOL_TYPE_INGRESS | (np->egress_count ? NETPOL_TYPE_EGRESS : 0);
}

static void validate_rules(const char *key, const char *peers_key,
			   const struct netpol_rule *rules, size_t count,
			   struct model_errors *errs)
{
	char path[128];
	struct cidr net, ex;
	size_t i, j, k;

	for (i = 0; i < count; i++) {
		const struct netpol_rule *r = &rules[i];

		for (j = 0; j < r->peer_count; j++) {
			const struct netpol_peer *p = &r->peers[j];
			bool sel = p->pod_selector.present || p->namespace_selector.present;

			snprintf(path, sizeof(path), "spec.%s[%zu].%s[%zu]", key, i, peers_key, j);
			if (!sel && !p->has_ip_block)
				model_errors_add(errs, path,
						 "must set podSelector, namespaceSelector or ipBlock");
			if (sel && p->has_ip_block)
				model_errors_add(errs, path,
						 "ipBlock cannot be combined with podSelector or "
						 "namespaceSelector");
			if (!p->has_ip_block)
				continue;
			snprintf(path, sizeof(path), "spec.%s[%zu].%s[%zu].ipBlock.cidr", key, i,
				 peers_key, j);
			if (!p->ip_block.cidr || cidr_parse(p->ip_block.cidr, &net) < 0) {
				model_errors_add(errs, path, "must be a CIDR, got \"%.64s\"",
						 p->ip_block.cidr ? p->ip_block.cidr : "");
				continue;
			}
			for (k = 0; k < p->ip_block.except_count; k++) {
				snprintf(path, sizeof(path), "spec.%s[%zu].%s[%zu].ipBlock.except[%zu]",
					 key, i, peers_key, j, k);
				if (cidr_parse(p->ip_block.except[k], &ex) < 0)
					model_errors_add(errs, path, "must be a CIDR, got \"%.64s\"",
							 p->ip_block.except[k]);
				else if (!cidr_contains(&net, &ex) || cidr_equal(&net, &ex))
					model_errors_add(errs, path,
							 "must be strictly inside ipBlock.cidr %s, "
							 "got %.64s",
							 p->ip_block.cidr, p->ip_block.except[k]);
			}
		}
		for (j = 0; j < r->port_count; j++) {
			const struct netpol_port *p = &r->ports[j];

			snprintf(path, sizeof(path), "spec.%s[%zu].ports[%zu]", key, i, j);
			if (p->port_name && (!p->port_name[0] || strlen(p->port_name) > 15))
				model_errors_add(errs, path,
						 "named port must be 1 to 15 characters, got \"%.64s\"",
						 p->port_name);
			if (p->end_port && (p->port_name || !p->port))
				model_errors_add(errs, path,
						 "endPort %d needs a numeric port", p->end_port);
			else if (p->end_port && p->end_port < p->port)
				model_errors_add(errs, path,
						 "endPort %d must not be below port %d", p->end_port,
						 p->port);
		}
	}
}

void networkpolicy_validate(const struct networkpolicy *np, struct model_errors *errs)
{
	model_errors_set_object(errs, "NetworkPolicy", np->meta.name);
	object_meta_validate_name(&np->meta, errs);
	if (!np->pod_selector.present)
		model_errors_add(errs, "spec.podSelector",
				 "is required ({} selects every pod of the namespace)");
	validate_rules("ingress", "from", np->ingress, np->ingress_count, errs);
	validate_rules("egress", "to", np->egress, np->egress_count, errs);
}

static void rules_free(struct netpol_rule *rules, size_t count)
{
	size_t i, j;

	for (i = 0; i < count; i++) {
		for (j = 0; j < rules[i].peer_count; j++) {
			struct netpol_peer *p = &rules[i].peers[j];

			label_selector_free(&p->pod_selector.sel);
			label_selector_free(&p->namespace_selector.sel);
			free(p->ip_block.cidr);
			json_string_array_free(p->ip_block.except, p->ip_block.except_count);
		}
		free(rules[i].peers);
		for (j = 0; j < rules[i].port_count; j++)
			free(rules[i].ports[j].port_name);
		free(rules[i].ports);
	}
	free(rules);
}

void networkpolicy_free(struct networkpolicy *np)
{
	object_meta_free(&np->meta);
	label_selector_free(&np->pod_selector.sel);
	rules_free(np->ingress, np->ingress_count);
	rules_free(np->egress, np->egress_count);
	memset(np, 0, sizeof(*np));
}
