/* model: kind dispatch. A table maps (apiVersion, kind) to the kind's four
 * functions through thin void* adapters, so the dispatcher never calls a
 * function through an incompatible pointer type. */
#include "model/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/bgpconfig.h"
#include "model/bgppeer.h"
#include "model/blockaffinity.h"
#include "model/felixconfig.h"
#include "model/ipamblock.h"
#include "model/ipamconfig.h"
#include "model/ipamhandle.h"
#include "model/ippool.h"
#include "model/namespace.h"
#include "model/networkpolicy.h"
#include "model/node.h"
#include "model/pod.h"
#include "model/secret.h"

struct kind_ops {
	enum model_kind kind;
	const char *api_version;
	const char *name;
	size_t size;
	int (*from_json)(json_object *obj, void *out, struct model_errors *errs);
	json_object *(*to_json)(const void *in);
	void (*validate)(const void *in, struct model_errors *errs);
	void (*free)(void *in);
};

#define KIND_ADAPTERS(prefix, type)                                                       \
	static int prefix##_from_v(json_object *obj, void *out, struct model_errors *errs) \
	{                                                                                 \
		return prefix##_from_json(obj, (type *)out, errs);                         \
	}                                                                                 \
	static json_object *prefix##_to_v(const void *in)                                 \
	{                                                                                 \
		return prefix##_to_json((const type *)in);                                 \
	}                                                                                 \
	static void prefix##_validate_v(const void *in, struct model_errors *errs)        \
	{                                                                                 \
		prefix##_validate((const type *)in, errs);                                 \
	}                                                                                 \
	static void prefix##_free_v(void *in)                                             \
	{                                                                                 \
		prefix##_free((type *)in);                                                 \
	}

#define KIND_ENTRY(k, api, name, prefix, type)                                            \
	{ k, api, name, sizeof(type), prefix##_from_v, prefix##_to_v, prefix##_validate_v, \
	  prefix##_free_v }

KIND_ADAPTERS(ippool, struct ippool)
KIND_ADAPTERS(bgpconfig, struct bgpconfig)
KIND_ADAPTERS(bgppeer, struct bgppeer)
KIND_ADAPTERS(felixconfig, struct felixconfig)
KIND_ADAPTERS(ipamblock, struct ipamblock)
KIND_ADAPTERS(blockaffinity, struct blockaffinity)
KIND_ADAPTERS(ipamhandle, struct ipamhandle)
KIND_ADAPTERS(ipamconfig, struct ipamconfig)
KIND_ADAPTERS(node, struct node)
KIND_ADAPTERS(pod, struct pod)
KIND_ADAPTERS(namespace, struct k8s_namespace)
KIND_ADAPTERS(networkpolicy, struct networkpolicy)
KIND_ADAPTERS(secret, struct secret)

static const struct kind_ops kinds[] = {
	KIND_ENTRY(MODEL_KIND_IPPOOL, MODEL_API_VERSION, "IPPool", ippool, struct ippool),
	KIND_ENTRY(MODEL_KIND_BGPCONFIGURATION, MODEL_API_VERSION, "BGPConfiguration",
		   bgpconfig, struct bgpconfig),
	KIND_ENTRY(MODEL_KIND_BGPPEER, MODEL_API_VERSION, "BGPPeer", bgppeer, struct bgppeer),
	KIND_ENTRY(MODEL_KIND_FELIXCONFIGURATION, MODEL_API_VERSION, "FelixConfiguration",
		   felixconfig, struct felixconfig),
	KIND_ENTRY(MODEL_KIND_IPAMBLOCK, MODEL_API_VERSION, "IPAMBlock", ipamblock,
		   struct ipamblock),
	KIND_ENTRY(MODEL_KIND_BLOCKAFFINITY, MODEL_API_VERSION, "BlockAffinity", blockaffinity,
		   struct blockaffinity),
	KIND_ENTRY(MODEL_KIND_IPAMHANDLE, MODEL_API_VERSION, "IPAMHandle", ipamhandle,
		   struct ipamhandle),
	KIND_ENTRY(MODEL_KIND_IPAMCONFIG, MODEL_API_VERSION, "IPAMConfig", ipamconfig,
		   struct ipamconfig),
	KIND_ENTRY(MODEL_KIND_NODE, "v1", "Node", node, struct node),
	KIND_ENTRY(MODEL_KIND_POD, "v1", "Pod", pod, struct pod),
	KIND_ENTRY(MODEL_KIND_NAMESPACE, "v1", "Namespace", namespace, struct k8s_namespace),
	KIND_ENTRY(MODEL_KIND_NETWORKPOLICY, "networking.k8s.io/v1", "NetworkPolicy",
		   networkpolicy, struct networkpolicy),
	KIND_ENTRY(MODEL_KIND_SECRET, "v1", "Secret", secret, struct secret),
};

#define KIND_COUNT (sizeof(kinds) / sizeof(kinds[0]))

static const struct kind_ops *ops_for(enum model_kind kind)
{
	size_t i;

	for (i = 0; i < KIND_COUNT; i++)
		if (kinds[i].kind == kind)
			return &kinds[i];
	return NULL;
}

enum model_kind model_kind_lookup(const char *api_version, const char *kind)
{
	size_t i;

	if (!api_version || !kind)
		return MODEL_KIND_UNKNOWN;
	for (i = 0; i < KIND_COUNT; i++)
		if (strcmp(kinds[i].api_version, api_version) == 0 &&
		    strcmp(kinds[i].name, kind) == 0)
			return kinds[i].kind;
	return MODEL_KIND_UNKNOWN;
}

const char *model_kind_name(enum model_kind kind)
{
	const struct kind_ops *ops = ops_for(kind);

	return ops ? ops->name : "Unknown";
}

const char *model_kind_api_version(enum model_kind kind)
{
	const struct kind_ops *ops = ops_for(kind);

	return ops ? ops->api_version : NULL;
}

/* Identify obj's kind, recording an error naming apiVersion/kind if we
 * cannot. */
static const struct kind_ops *identify(json_object *obj, struct model_errors *errs)
{
	const char *api = NULL, *kind = NULL;
	const struct kind_ops *ops;
	json_object *v;

	model_errors_set_object(errs, NULL, NULL);
	if (!json_object_is_type(obj, json_type_object)) {
		model_errors_add(errs, "", "a manifest must be a JSON/YAML object, got %s",
				 json_type_label(obj));
		return NULL;
	}
	if (json_object_object_get_ex(obj, "apiVersion", &v) &&
	    json_object_is_type(v, json_type_string))
		api = json_object_get_string(v);
	if (json_object_object_get_ex(obj, "kind", &v) && json_object_is_type(v, json_type_string))
		kind = json_object_get_string(v);
	if (!api || !kind) {
		model_errors_add(errs, api ? "kind" : "apiVersion",
				 "is required (a string), got apiVersion \"%.64s\" kind \"%.64s\"",
				 api ? api : "", kind ? kind : "");
		return NULL;
	}
	ops = ops_for(model_kind_lookup(api, kind));
	if (!ops)
		model_errors_add(errs, "kind",
				 "unknown apiVersion/kind \"%.64s\"/\"%.64s\": twill does not "
				 "model this kind",
				 api, kind);
	return ops;
}

int model_validate_object(json_object *obj, struct model_errors *errs)
{
	const struct kind_ops *ops = identify(obj, errs);
	void *item;
	int rc;

	if (!ops)
		return -EINVAL;
	item = calloc(1, ops->size);
	if (!item) {
		if (errs)
			errs->oom = true;
		return -ENOMEM;
	}
	rc = ops->from_json(obj, item, errs);
	if (rc == 0)
		ops->validate(item, errs);
	ops->free(item);
	free(item);
	return rc;
}

/* Parse obj and serialise it again; NULL on failure (*rc says why). */
static json_object *reserialise(const struct kind_ops *ops, json_object *obj, int *rc)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *out = NULL;
	void *item = calloc(1, ops->size);

	if (!item) {
		*rc = -ENOMEM;
		return NULL;
	}
	*rc = ops->from_json(obj, item, &errs);
	if (*rc == 0) {
		out = ops->to_json(item);
		if (!out)
			*rc = -ENOMEM;
	}
	ops->free(item);
	free(item);
	model_errors_free(&errs);
	return out;
}

int model_round_trip(json_object *obj)
{
	const struct kind_ops *ops = identify(obj, NULL);
	json_object *first, *second;
	int rc;

	if (!ops)
		return -EINVAL;
	first = reserialise(ops, obj, &rc);
	if (!first)
		return rc;
	second = reserialise(ops, first, &rc);
	if (second)
		rc = json_object_equal(first, second) ? 0 : -EPROTO;
	json_object_put(first);
	json_object_put(second);
	return rc;
}
