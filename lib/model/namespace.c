/* namespace: metadata only; see namespace.h. */
#include "model/namespace.h"

#include <errno.h>
#include <string.h>

#include "model/fields.h"
#include "model/pod.h"

int namespace_from_json(json_object *obj, struct k8s_namespace *ns, struct model_errors *errs)
{
	struct json_cursor root;

	memset(ns, 0, sizeof(*ns));
	return model_parse_envelope(obj, "v1", "Namespace", &ns->meta, errs, NULL, &root, NULL);
}

json_object *namespace_to_json(const struct k8s_namespace *ns)
{
	return model_build_envelope("v1", "Namespace", &ns->meta, NULL);
}

void namespace_validate(const struct k8s_namespace *ns, struct model_errors *errs)
{
	const char *pools;
	char **list = NULL;
	size_t n = 0;

	model_errors_set_object(errs, "Namespace", ns->meta.name);
	object_meta_validate_name(&ns->meta, errs);
	pools = labels_get(&ns->meta.annotations, POD_ANNOTATION_IPV4_POOLS);
	if (pools && model_parse_pool_list(pools, &list, &n) == -EINVAL)
		model_errors_add(errs, "metadata.annotations[" POD_ANNOTATION_IPV4_POOLS "]",
				 "must be a JSON array of pool names or CIDRs, got '%.64s'", pools);
	json_string_array_free(list, n);
}

void namespace_free(struct k8s_namespace *ns)
{
	object_meta_free(&ns->meta);
}
