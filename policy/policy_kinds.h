/* policy_kinds: the three object kinds the policy model is built from (Pod,
 * Namespace, NetworkPolicy) as uniform descriptors, so a cache or a
 * one-shot list parser can hold any of them in an array of `size`-byte
 * structs: parse() fills a zeroed struct from the object's JSON (the
 * model's *_from_json contract), release() frees what parse() allocated
 * inside it (never the struct itself). */
#ifndef TWILL_POLICY_KINDS_H
#define TWILL_POLICY_KINDS_H

#include <stddef.h>

#include <json-c/json.h>

#include "model/errors.h"

struct policy_kind {
	const char *name; /* "Pod", ... for logs */
	size_t size;
	int (*parse)(json_object *obj, void *out, struct model_errors *errs);
	void (*release)(void *obj);
};

extern const struct policy_kind policy_kind_pod;
extern const struct policy_kind policy_kind_namespace;
extern const struct policy_kind policy_kind_networkpolicy;

#endif
