/* bgppeer: parse/serialise/validate. peerIP accepts the port forms Calico
 * users write ("IP:port", "[IPv6]:port"); a bare IPv6 address contains
 * colons too, so the port form for IPv6 requires brackets. */
#include "model/bgppeer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const source_names[] = { "UseNodeIP", "None", NULL };
static const char *const spec_fields[] = {
	"node", "nodeSelector", "peerIP", "asNumber", "peerSelector",
	"keepOriginalNextHop", "password", "maxRestartTime", "sourceAddress", NULL
};

int bgppeer_from_json(json_object *obj, struct bgppeer *peer, struct model_errors *errs)
{
	struct json_cursor root, spec;
	int src, rc;

	memset(peer, 0, sizeof(*peer));
	rc = model_parse_envelope(obj, MODEL_API_VERSION, "BGPPeer", &peer->meta, errs,
				  "spec", &root, &spec);
	if (rc < 0)
		return rc;
	model_warn_unknown(&spec, spec_fields);
	if (json_get_string(&spec, "node", &peer->node) == -ENOMEM ||
	    json_get_string(&spec, "nodeSelector", &peer->node_selector) == -ENOMEM ||
	    json_get_string(&spec, "peerIP", &peer->peer_ip) == -ENOMEM ||
	    json_get_string(&spec, "peerSelector", &peer->peer_selector) == -ENOMEM ||
	    json_get_string(&spec, "maxRestartTime", &peer->max_restart_time) == -ENOMEM ||
	    secret_key_ref_from_json(&spec, "password", &peer->password) == -ENOMEM)
		return -ENOMEM;
	json_get_uint32(&spec, "asNumber", 1, UINT32_MAX, &peer->as_number);
	json_get_bool(&spec, "keepOriginalNextHop", &peer->keep_original_next_hop);
	if (json_get_enum(&spec, "sourceAddress", source_names, &src) == 1)
		peer->source_address = (enum bgppeer_source_address)src;
	return 0;
}

json_object *bgppeer_to_json(const struct bgppeer *peer)
{
	json_object *obj, *spec;

	obj = model_build_envelope(MODEL_API_VERSION, "BGPPeer", &peer->meta, &spec);
	if (!obj)
		return NULL;
	if (json_set_string(spec, "node", peer->node) < 0 ||
	    json_set_string(spec, "nodeSelector", peer->node_selector) < 0 ||
	    json_set_string(spec, "peerIP", peer->peer_ip) < 0 ||
	    (peer->as_number && json_set_int64(spec, "asNumber", peer->as_number) < 0) ||
	    json_set_string(spec, "peerSelector", peer->peer_selector) < 0 ||
	    json_set_bool(spec, "keepOriginalNextHop", peer->keep_original_next_hop) < 0 ||
	    secret_key_ref_to_json(&peer->password, spec, "password") < 0 ||
	    json_set_string(spec, "maxRestartTime", peer->max_restart_time) < 0 ||
	    json_set_string(spec, "sourceAddress", source_names[peer->source_address]) < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static int parse_port(const char *text, uint16_t *port)
{
	unsigned long n = 0;
	const char *p;

	if (!*text || strlen(text) > 5)
		return -EINVAL;
	for (p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n < 1 || n > 65535 || (text[0] == '0'))
		return -EINVAL;
	*port = (uint16_t)n;
	return 0;
}

int bgppeer_parse_peer_ip(const char *text, struct ip_addr *ip, uint16_t *port)
{
	char host[IP_ADDR_STRLEN + 1];
	const char *close, *colon;
	size_t len;

	if (!text)
		return -EINVAL;
	*port = 179;
	if (text[0] == '[') {
		close = strchr(text, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		len = (size_t)(close - text - 1);
		if (len == 0 || len >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, len);
		host[len] = '\0';
		if (ip_parse(host, ip) < 0 || ip->family != AF_INET6)
			return -EINVAL;
		return parse_port(close + 2, port);
	}
	colon = strchr(text, ':');
	if (colon && !strchr(colon + 1, ':')) {
		len = (size_t)(colon - text);
		if (len == 0 || len >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, len);
		host[len] = '\0';
		if (ip_parse(host, ip) < 0 || ip->family != AF_INET)
			return -EINVAL;
		return parse_port(colon + 1, port);
	}
	return ip_parse(text, ip) < 0 ? -EINVAL : 0;
}

void bgppeer_validate(const struct bgppeer *peer, struct model_errors *errs)
{
	struct ip_addr ip;
	uint16_t port;
	bool has_ip = peer->peer_ip && peer->peer_ip[0];
	bool has_sel = peer->peer_selector && peer->peer_selector[0];

	model_errors_set_object(errs, "BGPPeer", peer->meta.name);
	object_meta_validate_name(&peer->meta, errs);
	if (peer->node && peer->node[0] && peer->node_selector && peer->node_selector[0])
		model_errors_add(errs, "spec.nodeSelector",
				 "cannot be set together with spec.node (\"%.64s\")", peer->node);
	if (has_ip && has_sel)
		model_errors_add(errs, "spec.peerSelector",
				 "cannot be set together with spec.peerIP (\"%.64s\")",
				 peer->peer_ip);
	else if (!has_ip && !has_sel)
		model_errors_add(errs, "spec.peerIP",
				 "one of spec.peerIP or spec.peerSelector is required");
	if (has_ip) {
		if (bgppeer_parse_peer_ip(peer->peer_ip, &ip, &port) < 0)
			model_errors_add(errs, "spec.peerIP",
					 "must be an IP address, \"IPv4:port\" or "
					 "\"[IPv6]:port\", got \"%.64s\"",
					 peer->peer_ip);
		if (peer->as_number == 0)
			model_errors_add(errs, "spec.asNumber",
					 "is required when spec.peerIP is set");
	}
	model_check_selector(errs, "spec.nodeSelector", peer->node_selector);
	model_check_selector(errs, "spec.peerSelector", peer->peer_selector);
	model_check_duration(errs, "spec.maxRestartTime", peer->max_restart_time);
	secret_key_ref_validate(&peer->password, errs, "spec.password");
}

void bgppeer_free(struct bgppeer *peer)
{
	object_meta_free(&peer->meta);
	free(peer->node);
	free(peer->node_selector);
	free(peer->peer_ip);
	free(peer->peer_selector);
	free(peer->max_restart_time);
	secret_key_ref_free(&peer->password);
	memset(peer, 0, sizeof(*peer));
}
