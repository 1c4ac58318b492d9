/* policy_kinds: descriptors over lib/model's Pod, Namespace and
 * NetworkPolicy (see policy_kinds.h). */
#include "policy_kinds.h"

#include "model/namespace.h"
#include "model/networkpolicy.h"
#include "model/pod.h"

static int parse_pod(json_object *o, void *p, struct model_errors *e)
{
	return pod_from_json(o, p, e);
}

static int parse_ns(json_object *o, void *p, struct model_errors *e)
{
	return namespace_from_json(o, p, e);
}

static int parse_np(json_object *o, void *p, struct model_errors *e)
{
	return networkpolicy_from_json(o, p, e);
}

static void release_pod(void *p)
{
	pod_free(p);
}

static void release_ns(void *p)
{
	namespace_free(p);
}

static void release_np(void *p)
{
	networkpolicy_free(p);
}

const struct policy_kind policy_kind_pod = { "Pod", sizeof(struct pod), parse_pod,
					     release_pod };
const struct policy_kind policy_kind_namespace = { "Namespace", sizeof(struct k8s_namespace),
						   parse_ns, release_ns };
const struct policy_kind policy_kind_networkpolicy = { "NetworkPolicy",
						       sizeof(struct networkpolicy), parse_np,
						       release_np };
