/* namespace: a Kubernetes v1 Namespace as twill sees it — labels (for
 * NetworkPolicy namespaceSelector) and the twill.dev/ipv4pools annotation. */
#ifndef TWILL_MODEL_NAMESPACE_H
#define TWILL_MODEL_NAMESPACE_H

#include "model/model.h"

struct k8s_namespace {
	struct object_meta meta;
};

int namespace_from_json(json_object *obj, struct k8s_namespace *ns, struct model_errors *errs);
json_object *namespace_to_json(const struct k8s_namespace *ns);
void namespace_validate(const struct k8s_namespace *ns, struct model_errors *errs);
void namespace_free(struct k8s_namespace *ns);

#endif
