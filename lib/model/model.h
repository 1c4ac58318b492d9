/* model: the entry point of twill's resource model.
 *
 * Every kind twill reads or writes has one file in lib/model/ with a struct
 * and four functions:
 *     int  <kind>_from_json(json_object *, struct <kind> *, struct model_errors *);
 *     json_object *<kind>_to_json(const struct <kind> *);
 *     void <kind>_validate(const struct <kind> *, struct model_errors *);
 *     void <kind>_free(struct <kind> *);
 * from_json applies the documented defaults, records type errors and returns
 * 0, -EINVAL (the object could not be read at all: not an object, wrong kind)
 * or -ENOMEM; field errors are in errs, so check model_errors_failed() too.
 * to_json returns a new object (NULL on -ENOMEM) that from_json turns back
 * into an equal struct. validate runs the semantic checks a CRD schema cannot
 * express and names the field in every message.
 *
 * model_validate_object() is the dispatcher twillctl validate uses: given any
 * manifest it picks the parser from apiVersion + kind, parses, validates and
 * frees. Unknown kinds are an error naming apiVersion and kind. Unknown
 * fields of twill kinds become warnings (the API server prunes them, so the
 * user would lose them silently otherwise). */
#ifndef TWILL_MODEL_H
#define TWILL_MODEL_H

#include <json-c/json.h>

#include "json_util.h"
#include "model/errors.h"
#include "model/meta.h"

#define MODEL_GROUP "twill.dev"
#define MODEL_API_VERSION "twill.dev/v1"
/* Namespace holding twill's own objects (BGP password Secrets). */
#define MODEL_TWILL_NAMESPACE "twill-system"

enum model_kind {
	MODEL_KIND_UNKNOWN = 0,
	MODEL_KIND_IPPOOL,
	MODEL_KIND_BGPCONFIGURATION,
	MODEL_KIND_BGPPEER,
	MODEL_KIND_FELIXCONFIGURATION,
	MODEL_KIND_IPAMBLOCK,
	MODEL_KIND_BLOCKAFFINITY,
	MODEL_KIND_IPAMHANDLE,
	MODEL_KIND_IPAMCONFIG,
	MODEL_KIND_NODE,
	MODEL_KIND_POD,
	MODEL_KIND_NAMESPACE,
	MODEL_KIND_NETWORKPOLICY,
	MODEL_KIND_SECRET,
	MODEL_KIND_COUNT,
};

/* Kind from apiVersion + kind strings; MODEL_KIND_UNKNOWN when the pair is
 * not one twill models (e.g. kind IPPool with apiVersion v1). */
enum model_kind model_kind_lookup(const char *api_version, const char *kind);
const char *model_kind_name(enum model_kind kind);
const char *model_kind_api_version(enum model_kind kind);

/* Parse + validate any manifest. Returns 0 when it was parsed (check
 * model_errors_failed(errs) for the verdict), -EINVAL when it could not be
 * identified (error recorded), -ENOMEM. */
int model_validate_object(json_object *obj, struct model_errors *errs);

/* Parse + serialise + parse again and compare: 0 when the object survives a
 * round trip unchanged, -EINVAL when the kind is unknown or the object does
 * not parse, -EPROTO when the round trip changed it (a model bug). Used by
 * the fuzzer and tests. */
int model_round_trip(json_object *obj);

#endif
