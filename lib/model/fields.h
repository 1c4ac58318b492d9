/* fields: building blocks shared by the kind files in lib/model — the
 * envelope (kind/apiVersion/metadata/spec), field checks that recur across
 * kinds (CIDRs, IPs, selectors, durations, secret references) and
 * unknown-field warnings. Internal to lib/model, but stable enough for
 * twillctl to reuse model_duration_parse(). */
#ifndef TWILL_MODEL_FIELDS_H
#define TWILL_MODEL_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include "cidr.h"
#include "json_util.h"
#include "model/meta.h"

/* {secretKeyRef: {name, key}}; both NULL when absent. */
struct secret_key_ref {
	char *name;
	char *key;
};

/* Start parsing: obj must be an object whose kind (when present) is kind and
 * whose apiVersion (when present) is api_version. Sets the error context to
 * kind + metadata.name, parses metadata into meta and points spec at "spec"
 * (spec->obj NULL when absent). 0, -EINVAL (not this kind: error recorded),
 * -ENOMEM. spec_key may be NULL for kinds without a spec. */
int model_parse_envelope(json_object *obj, const char *api_version,
			 const char *kind, struct object_meta *meta,
			 struct model_errors *errs, const char *spec_key,
			 struct json_cursor *root, struct json_cursor *spec);
/* New {apiVersion, kind, metadata} object, *spec set to a new "spec" object
 * when spec is not NULL. NULL on -ENOMEM. */
json_object *model_build_envelope(const char *api_version, const char *kind,
				  const struct object_meta *meta,
				  json_object **spec);
/* Warn about keys of c not in the NULL-terminated known list. */
void model_warn_unknown(const struct json_cursor *c, const char *const *known);

/* "90s", "2m", "1h30m", "500ms": one or more <integer><ms|s|m|h>.
 * 0 and *ms set, or -EINVAL (also on overflow). */
int model_duration_parse(const char *text, uint64_t *ms);

/* Field checks: each records "<path>: ..." quoting the value and returns 0
 * or -EINVAL. A NULL text is "is required" when required, else fine. */
int model_check_cidr(struct model_errors *errs, const char *path,
		     const char *text, bool required, struct cidr *out);
int model_check_ip(struct model_errors *errs, const char *path,
		   const char *text, bool required, struct ip_addr *out);
int model_check_selector(struct model_errors *errs, const char *path,
			 const char *text);
int model_check_duration(struct model_errors *errs, const char *path,
			 const char *text);

int secret_key_ref_from_json(const struct json_cursor *c, const char *key,
			     struct secret_key_ref *ref);
int secret_key_ref_to_json(const struct secret_key_ref *ref, json_object *obj,
			   const char *key);
void secret_key_ref_validate(const struct secret_key_ref *ref,
			     struct model_errors *errs, const char *path);
void secret_key_ref_free(struct secret_key_ref *ref);

/* Index of text in the NULL-terminated names, or -1. */
int model_enum_index(const char *const *names, const char *text);

#endif
