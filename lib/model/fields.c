/* fields: shared envelope handling and field checks. Everything here takes
 * the error list and the field path from the caller, so the kind files stay
 * a flat list of "read field, check field" lines. */
#include "model/fields.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector.h"

/* A string's text, or the type name of anything else (never NULL). */
static const char *json_value_text(json_object *v)
{
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v)
							: json_type_label(v);
}

int model_parse_envelope(json_object *obj, const char *api_version,
			 const char *kind, struct object_meta *meta,
			 struct model_errors *errs, const char *spec_key,
			 struct json_cursor *root, struct json_cursor *spec)
{
	json_object *v;
	int rc;

	model_errors_set_object(errs, kind, NULL);
	if (!json_object_is_type(obj, json_type_object)) {
		model_errors_add(errs, "", "must be a JSON object, got %s",
				 json_type_label(obj));
		return -EINVAL;
	}
	json_cursor_root(root, obj, errs);
	if (json_object_object_get_ex(obj, "kind", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     strcmp(json_object_get_string(v), kind) != 0)) {
		model_errors_add(errs, "kind", "must be %s, got %.64s", kind,
				 json_value_text(v));
		return -EINVAL;
	}
	if (json_object_object_get_ex(obj, "apiVersion", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     strcmp(json_object_get_string(v), api_version) != 0)) {
		model_errors_add(errs, "apiVersion", "must be %s for kind %s, got %.64s",
				 api_version, kind, json_value_text(v));
		return -EINVAL;
	}
	rc = object_meta_from_json(root, meta);
	if (rc < 0)
		return rc;
	model_errors_set_object(errs, kind, meta->name);
	if (spec_key && spec) {
		rc = json_cursor_child(root, spec_key, spec);
		if (rc == -ENOMEM)
			return rc;
	}
	return 0;
}

json_object *model_build_envelope(const char *api_version, const char *kind,
				  const struct object_meta *meta,
				  json_object **spec)
{
	json_object *obj = json_object_new_object();

	if (!obj)
		return NULL;
	if (json_set_string(obj, "apiVersion", api_version) < 0 ||
	    json_set_string(obj, "kind", kind) < 0 ||
	    object_meta_to_json(meta, obj) < 0)
		goto fail;
	if (spec) {
		*spec = json_set_object(obj, "spec");
		if (!*spec)
			goto fail;
	}
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

int model_enum_index(const char *const *names, const char *text)
{
	int i;

	if (!text)
		return -1;
	for (i = 0; names[i]; i++)
		if (strcmp(names[i], text) == 0)
			return i;
	return -1;
}

void model_warn_unknown(const struct json_cursor *c, const char *const *known)
{
	if (!c->obj)
		return;
	json_object_object_foreach(c->obj, key, val) {
		(void)val;
		if (model_enum_index(known, key) < 0)
			json_warn(c, key, "unknown field, the API server will drop it");
	}
}

int model_duration_parse(const char *text, uint64_t *ms)
{
	const char *p = text;
	uint64_t total = 0, n, unit;

	if (!text || !*text)
		return -EINVAL;
	while (*p) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = 0;
		while (*p >= '0' && *p <= '9') {
			if (n > (UINT64_MAX - 9) / 10)
				return -EINVAL;
			n = n * 10 + (uint64_t)(*p - '0');
			p++;
		}
		if (p[0] == 'm' && p[1] == 's') {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else {
			return -EINVAL;
		}
		if (n > (UINT64_MAX - total) / unit)
			return -EINVAL;
		total += n * unit;
	}
	*ms = total;
	return 0;
}

static int check_required(struct model_errors *errs, const char *path,
			  const char *text, bool required)
{
	if (text && text[0])
		return 1;
	if (required) {
		model_errors_add(errs, path, "is required");
		return -EINVAL;
	}
	return 0;
}

int model_check_cidr(struct model_errors *errs, const char *path,
		     const char *text, bool required, struct cidr *out)
{
	struct cidr tmp;
	int rc = check_required(errs, path, text, required);

	if (rc <= 0)
		return rc;
	if (cidr_parse(text, &tmp) < 0) {
		model_errors_add(errs, path, "must be an IPv4 or IPv6 CIDR, got \"%.64s\"",
				 text);
		return -EINVAL;
	}
	if (!cidr_is_network(&tmp)) {
		model_errors_add(errs, path,
				 "host bits must be zero (a network address), got \"%.64s\"",
				 text);
		return -EINVAL;
	}
	if (out)
		*out = tmp;
	return 0;
}

int model_check_ip(struct model_errors *errs, const char *path,
		   const char *text, bool required, struct ip_addr *out)
{
	struct ip_addr tmp;
	int rc = check_required(errs, path, text, required);

	if (rc <= 0)
		return rc;
	if (ip_parse(text, &tmp) < 0) {
		model_errors_add(errs, path, "must be an IPv4 or IPv6 address, got \"%.64s\"",
				 text);
		return -EINVAL;
	}
	if (out)
		*out = tmp;
	return 0;
}

int model_check_selector(struct model_errors *errs, const char *path,
			 const char *text)
{
	struct selector *sel = NULL;
	char err[160];
	int rc;

	if (!text)
		return 0;
	err[0] = '\0';
	rc = selector_parse(text, &sel, err, sizeof(err));
	selector_free(sel);
	if (rc == -EINVAL) {
		model_errors_add(errs, path, "invalid selector \"%.64s\": %s", text, err);
		return rc;
	}
	if (rc < 0 && errs)
		errs->oom = true;
	return rc;
}

int model_check_duration(struct model_errors *errs, const char *path,
			 const char *text)
{
	uint64_t ms;

	if (!text)
		return 0;
	if (model_duration_parse(text, &ms) < 0) {
		model_errors_add(errs, path,
				 "must be a duration like \"90s\", \"2m\" or \"1h30m\", got \"%.64s\"",
				 text);
		return -EINVAL;
	}
	return 0;
}

int secret_key_ref_from_json(const struct json_cursor *c, const char *key,
			     struct secret_key_ref *ref)
{
	struct json_cursor outer, inner;
	int rc;

	rc = json_cursor_child(c, key, &outer);
	if (rc <= 0)
		return rc;
	rc = json_cursor_child(&outer, "secretKeyRef", &inner);
	if (rc <= 0)
		return rc;
	if (json_get_string(&inner, "name", &ref->name) == -ENOMEM ||
	    json_get_string(&inner, "key", &ref->key) == -ENOMEM)
		return -ENOMEM;
	/* Present but empty secretKeyRef must still round-trip as "set". */
	if (!ref->name && !(ref->name = strdup("")))
		return -ENOMEM;
	return 1;
}

int secret_key_ref_to_json(const struct secret_key_ref *ref, json_object *obj,
			   const char *key)
{
	json_object *outer, *inner;

	if (!ref->name && !ref->key)
		return 0;
	outer = json_set_object(obj, key);
	inner = outer ? json_set_object(outer, "secretKeyRef") : NULL;
	if (!inner || json_set_string(inner, "name", ref->name) < 0 ||
	    json_set_string(inner, "key", ref->key) < 0)
		return -ENOMEM;
	return 0;
}

void secret_key_ref_validate(const struct secret_key_ref *ref,
			     struct model_errors *errs, const char *path)
{
	char sub[JSON_PATH_MAX];

	if (!ref->name && !ref->key)
		return;
	if (!ref->name || !ref->name[0]) {
		snprintf(sub, sizeof(sub), "%s.secretKeyRef.name", path);
		model_errors_add(errs, sub, "is required");
	}
	if (!ref->key || !ref->key[0]) {
		snprintf(sub, sizeof(sub), "%s.secretKeyRef.key", path);
		model_errors_add(errs, sub, "is required");
	}
}

void secret_key_ref_free(struct secret_key_ref *ref)
{
	free(ref->name);
	free(ref->key);
	ref->name = ref->key = NULL;
}
