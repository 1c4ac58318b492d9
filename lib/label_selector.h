/* label_selector: the Kubernetes LabelSelector (metav1.LabelSelector) used by
 * NetworkPolicy podSelector/namespaceSelector.
 *
 * Semantics exactly as Kubernetes defines them: every matchLabels entry and
 * every matchExpressions requirement must hold (AND); an empty selector ({})
 * matches everything.
 *   In           key present and its value is one of values (values non-empty)
 *   NotIn        key absent, or its value is not one of values (values non-empty)
 *   Exists       key present (values must be empty/absent)
 *   DoesNotExist key absent  (values must be empty/absent)
 * Whether an ABSENT selector field means "all" or "none" depends on the field
 * (NetworkPolicyPeer differs from podSelector): that is the caller's call;
 * this module only sees selectors that are present.
 *
 * label_selector_from_json() validates like the API server: label keys and
 * values must be well-formed, unknown fields are rejected, and errors name
 * the field: "matchExpressions[1].operator: unsupported value \"Equals\"". */
#ifndef TWILL_LABEL_SELECTOR_H
#define TWILL_LABEL_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "labels.h"

enum label_selector_op {
	LABEL_SELECTOR_IN,
	LABEL_SELECTOR_NOT_IN,
	LABEL_SELECTOR_EXISTS,
	LABEL_SELECTOR_DOES_NOT_EXIST,
};

struct label_selector_requirement {
	char *key;
	enum label_selector_op op;
	char **values;
	size_t value_count;
};

struct label_selector {
	struct labels match_labels;
	struct label_selector_requirement *exprs;
	size_t expr_count;
};

#define LABEL_SELECTOR_INIT { LABELS_INIT, NULL, 0 }

/* Parse a LabelSelector JSON object into an empty *out. 0, -ENOMEM, or
 * -EINVAL with err naming the field (out is left empty on error). */
int label_selector_from_json(json_object *obj, struct label_selector *out, char *err,
			     size_t errlen);
/* 1 when labels satisfy every requirement, 0 otherwise. */
int label_selector_matches(const struct label_selector *sel, const struct labels *labels);
/* True for {} (matches everything). */
bool label_selector_is_empty(const struct label_selector *sel);
/* "In" / "NotIn" / "Exists" / "DoesNotExist". */
const char *label_selector_op_name(enum label_selector_op op);
/* 1 when key is a valid Kubernetes label key ([prefix/]name). */
int label_key_valid(const char *key);
/* 1 when value is a valid label value (empty, or <= 63 chars, alnum ends). */
int label_value_valid(const char *value);
void label_selector_free(struct label_selector *sel);

#endif
