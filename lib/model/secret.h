/* secret: a Kubernetes v1 Secret, read for BGP passwords. `data` values are
 * base64 in JSON and decoded here (bytes + length: a secret may hold NULs);
 * stringData (write-only in the real API, but present in manifests) is kept
 * as text. secret_get() looks a key up in data, then stringData, as the API
 * server's merge would. Never log the values. */
#ifndef TWILL_MODEL_SECRET_H
#define TWILL_MODEL_SECRET_H

#include <stddef.h>

#include "labels.h"
#include "model/model.h"

struct secret_item {
	char *key;
	unsigned char *value; /* decoded; NUL-terminated for convenience */
	size_t len;
};

struct secret {
	struct object_meta meta;
	char *type;
	struct secret_item *data;
	size_t data_count;
	struct labels string_data;
};

int secret_from_json(json_object *obj, struct secret *secret, struct model_errors *errs);
json_object *secret_to_json(const struct secret *secret);
void secret_validate(const struct secret *secret, struct model_errors *errs);
void secret_free(struct secret *secret);
/* Value of key (decoded) or NULL; *len gets its length when not NULL. */
const unsigned char *secret_get(const struct secret *secret, const char *key, size_t *len);

/* Standard base64 (RFC 4648, padding required, no whitespace). *out is
 * heap-allocated and NUL-terminated. 0, -EINVAL, -ENOMEM. */
int model_base64_decode(const char *text, unsigned char **out, size_t *len);
/* NUL-terminated heap string or NULL on -ENOMEM. */
char *model_base64_encode(const unsigned char *data, size_t len);

#endif
