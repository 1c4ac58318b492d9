/* object_meta: the part of Kubernetes ObjectMeta that twill reads and writes.
 * Every kind struct in lib/model embeds one as its first member `meta`.
 * Parsing ignores fields twill does not use; serialising writes only what is
 * set (NULL strings and generation 0 are left out) so a write never invents
 * a resourceVersion or uid. */
#ifndef TWILL_MODEL_META_H
#define TWILL_MODEL_META_H

#include <stdbool.h>
#include <stdint.h>

#include "json_util.h"
#include "labels.h"

struct object_meta {
	char *name;
	char *namespace;
	char *uid;
	char *resource_version;
	int64_t generation;
	char *creation_timestamp;
	char *deletion_timestamp;
	struct labels labels;
	struct labels annotations;
};

/* Reads root.metadata (absent metadata is an error only for `name`, which
 * the kind validators check). Returns 0 or -errno; type errors are recorded. */
int object_meta_from_json(const struct json_cursor *root, struct object_meta *m);
/* Adds "metadata" to root. 0 or -ENOMEM. */
int object_meta_to_json(const struct object_meta *m, json_object *root);
/* name must be present and a DNS-1123 subdomain (lowercase alnum, '-', '.',
 * at most 253 chars, alnum at both ends). Records errors at metadata.name. */
void object_meta_validate_name(const struct object_meta *m,
			       struct model_errors *errs);
bool object_meta_equal(const struct object_meta *a, const struct object_meta *b);
int object_meta_copy(struct object_meta *dst, const struct object_meta *src);
void object_meta_free(struct object_meta *m);

#endif
