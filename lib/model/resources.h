/* resources: how each kind twill uses is addressed in the Kubernetes API.
 * The kube client builds URLs from these (/api/v1/... for group "",
 * /apis/<group>/<version>/... otherwise) and twillctl resolves the names a
 * user types, kubectl-style: kind ("IPPool", case-insensitive), plural
 * ("ippools"), singular ("ippool") or a short name ("twpool"). */
#ifndef TWILL_MODEL_RESOURCES_H
#define TWILL_MODEL_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>

struct model_resource {
	const char *group;   /* "" for core v1 */
	const char *version; /* "v1" */
	const char *plural;  /* "ippools" */
	const char *kind;    /* "IPPool" */
	bool namespaced;
	const char *singular;   /* "ippool" */
	const char *short_name; /* "twpool", or NULL */
};

/* The whole table (count in *n); stable order. */
const struct model_resource *model_resources(size_t *n);
/* Exact kind (case-insensitive); NULL when unknown. */
const struct model_resource *model_resource_by_kind(const char *kind);
/* Plural, singular, short name or kind, case-insensitive; NULL when unknown. */
const struct model_resource *model_resource_by_plural(const char *name);
/* "twill.dev/v1" or "v1" into buf. */
const char *model_resource_api_version(const struct model_resource *r,
				       char *buf, size_t size);

#endif
