/* json_util: typed access to json-c objects with error paths.
 *
 * Invariants: a cursor's obj is either NULL or a json object (never another
 * type), so getters only look keys up in objects. Values quoted in error
 * messages are cut to 64 characters so hostile input cannot blow up a log
 * line. Numbers arriving as doubles are accepted as integers only when they
 * are integral and inside the range, checked before any conversion so a
 * huge or NaN value never reaches an undefined cast. */
#include "json_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_cursor_root(struct json_cursor *c, json_object *obj,
		      struct model_errors *errs)
{
	c->obj = json_object_is_type(obj, json_type_object) ? obj : NULL;
	c->path[0] = '\0';
	c->errs = errs;
}

const char *json_path_join(const struct json_cursor *c, const char *key,
			   char *buf, size_t size)
{
	int n;

	/* A path longer than the buffer is cut, never an error: it only labels
	 * a message. Using the result keeps -Wformat-truncation quiet at -O3. */
	if (!key)
		n = snprintf(buf, size, "%s", c->path);
	else if (key[0] == '[' || c->path[0] == '\0')
		n = snprintf(buf, size, "%s%s", c->path, key);
	else
		n = snprintf(buf, size, "%s.%s", c->path, key);
	if (n < 0 && size > 0)
		buf[0] = '\0';
	return buf;
}

__attribute__((format(printf, 4, 0)))
static void json_reportv(const struct json_cursor *c, const char *key,
			 bool warning, const char *fmt, va_list ap)
{
	char path[JSON_PATH_MAX];
	char *msg = NULL;

	if (!c->errs)
		return;
	if (vasprintf(&msg, fmt, ap) < 0) {
		c->errs->oom = true;
		return;
	}
	json_path_join(c, key, path, sizeof(path));
	if (warning)
		model_errors_warn(c->errs, path, "%s", msg);
	else
		model_errors_add(c->errs, path, "%s", msg);
	free(msg);
}

void json_error(const struct json_cursor *c, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_reportv(c, key, false, fmt, ap);
	va_end(ap);
}

void json_warn(const struct json_cursor *c, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_reportv(c, key, true, fmt, ap);
	va_end(ap);
}

const char *json_type_label(json_object *value)
{
	switch (json_object_get_type(value)) {
	case json_type_null: return "null";
	case json_type_boolean: return "boolean";
	case json_type_double: return "number";
	case json_type_int: return "number";
	case json_type_object: return "object";
	case json_type_array: return "array";
	case json_type_string: return "string";
	}
	return "unknown";
}

/* Present and non-null value of key, or NULL. */
static json_object *lookup(const struct json_cursor *c, const char *key)
{
	json_object *v = NULL;

	if (!c->obj || !json_object_object_get_ex(c->obj, key, &v))
		return NULL;
	return json_object_is_type(v, json_type_null) ? NULL : v;
}

int json_cursor_child(const struct json_cursor *c, const char *key,
		      struct json_cursor *out)
{
	json_object *v = lookup(c, key);

	json_path_join(c, key, out->path, sizeof(out->path));
	out->errs = c->errs;
	out->obj = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		json_error(c, key, "must be an object, got %s", json_type_label(v));
		return -EINVAL;
	}
	out->obj = v;
	return 1;
}

int json_cursor_array(const struct json_cursor *c, const char *key,
		      json_object **arr, size_t *len)
{
	json_object *v = lookup(c, key);

	*arr = NULL;
	*len = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array)) {
		json_error(c, key, "must be an array, got %s", json_type_label(v));
		return -EINVAL;
	}
	*arr = v;
	*len = json_object_array_length(v);
	return 1;
}

int json_cursor_index(const struct json_cursor *c, const char *key,
		      json_object *arr, size_t i, struct json_cursor *out)
{
	json_object *v = json_object_array_get_idx(arr, i);
	char sub[JSON_PATH_MAX];

	json_path_join(c, key, sub, sizeof(sub));
	if (snprintf(out->path, sizeof(out->path), "%s[%zu]", sub, i) < 0)
		out->path[0] = '\0';
	out->errs = c->errs;
	out->obj = NULL;
	if (!json_object_is_type(v, json_type_object)) {
		if (c->errs)
			model_errors_add(c->errs, out->path,
					 "must be an object, got %s",
					 json_type_label(v));
		return -EINVAL;
	}
	out->obj = v;
	return 1;
}

static int replace_string(char **out, const char *value, struct model_errors *errs)
{
	char *copy = strdup(value);

	if (!copy) {
		if (errs)
			errs->oom = true;
		return -ENOMEM;
	}
	free(*out);
	*out = copy;
	return 1;
}

int json_get_string(const struct json_cursor *c, const char *key, char **out)
{
	json_object *v = lookup(c, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		json_error(c, key, "must be a string, got %s", json_type_label(v));
		return -EINVAL;
	}
	return replace_string(out, json_object_get_string(v), c->errs);
}

int json_get_bool(const struct json_cursor *c, const char *key, bool *out)
{
	json_object *v = lookup(c, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		json_error(c, key, "must be a boolean, got %s", json_type_label(v));
		return -EINVAL;
	}
	*out = json_object_get_boolean(v);
	return 1;
}

int json_value_int64(json_object *value, int64_t *out)
{
	double d;

	if (json_object_is_type(value, json_type_int)) {
		/* json-c stores values above INT64_MAX as uint64; they are
		 * out of every range twill uses, so clamp and let the
		 * caller's range check reject them. */
		if (json_object_get_uint64(value) > (uint64_t)INT64_MAX &&
		    json_object_get_int64(value) >= 0) {
			*out = INT64_MAX;
			return 0;
		}
		*out = json_object_get_int64(value);
		return 0;
	}
	if (json_object_is_type(value, json_type_double)) {
		d = json_object_get_double(value);
		/* !(a && b) also catches NaN. */
		if (!(d >= -9.2e18 && d <= 9.2e18))
			return -ERANGE;
		if ((double)(int64_t)d != d)
			return -EINVAL;
		*out = (int64_t)d;
		return 0;
	}
	return -EINVAL;
}

static const char *quote_value(json_object *v, char *buf, size_t size)
{
	const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);

	snprintf(buf, size, "%.64s%s", s ? s : "?", s && strlen(s) > 64 ? "..." : "");
	return buf;
}

int json_get_int64(const struct json_cursor *c, const char *key, int64_t min,
		   int64_t max, int64_t *out)
{
	json_object *v = lookup(c, key);
	char quoted[80];
	int64_t n = 0;
	int rc;

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)) {
		json_error(c, key, "must be an integer, got %s", json_type_label(v));
		return -EINVAL;
	}
	rc = json_value_int64(v, &n);
	if (rc == -EINVAL) {
		json_error(c, key, "must be an integer, got %s",
			   quote_value(v, quoted, sizeof(quoted)));
		return -EINVAL;
	}
	if (rc < 0 || n < min || n > max) {
		json_error(c, key, "must be between %" PRId64 " and %" PRId64 ", got %s",
			   min, max, quote_value(v, quoted, sizeof(quoted)));
		return -EINVAL;
	}
	*out = n;
	return 1;
}

int json_get_int(const struct json_cursor *c, const char *key, int min,
		 int max, int *out)
{
	int64_t n;
	int rc = json_get_int64(c, key, min, max, &n);

	if (rc == 1)
		*out = (int)n;
	return rc;
}

int json_get_uint32(const struct json_cursor *c, const char *key,
		    uint32_t min, uint32_t max, uint32_t *out)
{
	int64_t n;
	int rc = json_get_int64(c, key, min, max, &n);

	if (rc == 1)
		*out = (uint32_t)n;
	return rc;
}

int json_get_enum(const struct json_cursor *c, const char *key,
		  const char *const *names, int *out)
{
	json_object *v = lookup(c, key);
	char allowed[256];
	const char *s;
	size_t off = 0;
	int i;

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		json_error(c, key, "must be a string, got %s", json_type_label(v));
		return -EINVAL;
	}
	s = json_object_get_string(v);
	allowed[0] = '\0';
	for (i = 0; names[i]; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return 1;
		}
		if (off < sizeof(allowed))
			off += (size_t)snprintf(allowed + off, sizeof(allowed) - off,
						"%s%s", i ? ", " : "", names[i]);
	}
	json_error(c, key, "must be one of %s, got \"%.64s\"", allowed, s);
	return -EINVAL;
}

void json_string_array_free(char **arr, size_t n)
{
	size_t i;

	if (!arr)
		return;
	for (i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

int json_get_string_array(const struct json_cursor *c, const char *key,
			  char ***out, size_t *n)
{
	json_object *arr, *v;
	char **items;
	size_t len, i, count = 0;
	int rc = json_cursor_array(c, key, &arr, &len);

	if (rc <= 0)
		return rc;
	items = calloc(len + 1, sizeof(*items));
	if (!items)
		goto oom;
	rc = 1;
	for (i = 0; i < len; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_string)) {
			char sub[JSON_PATH_MAX];

			if (snprintf(sub, sizeof(sub), "%s[%zu]", key, i) < 0)
				sub[0] = '\0';
			json_error(c, sub, "must be a string, got %s",
				   json_type_label(v));
			rc = -EINVAL;
			continue;
		}
		items[count] = strdup(json_object_get_string(v));
		if (!items[count]) {
			json_string_array_free(items, count);
			goto oom;
		}
		count++;
	}
	json_string_array_free(*out, *n);
	*out = items;
	*n = count;
	return rc;
oom:
	if (c->errs)
		c->errs->oom = true;
	return -ENOMEM;
}

int json_get_string_map(const struct json_cursor *c, const char *key,
			struct labels *out)
{
	struct labels map = LABELS_INIT;
	json_object *v = lookup(c, key);
	int rc = 1;

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		json_error(c, key, "must be an object, got %s", json_type_label(v));
		return -EINVAL;
	}
	json_object_object_foreach(v, k, val) {
		if (!json_object_is_type(val, json_type_string)) {
			char path[JSON_PATH_MAX];
			struct json_cursor sub;

			sub = *c;
			json_path_join(c, key, path, sizeof(path));
			if (snprintf(sub.path, sizeof(sub.path), "%s", path) < 0)
				sub.path[0] = '\0';
			json_error(&sub, k, "must be a string, got %s",
				   json_type_label(val));
			rc = -EINVAL;
			continue;
		}
		if (labels_set(&map, k, json_object_get_string(val)) < 0) {
			labels_free(&map);
			if (c->errs)
				c->errs->oom = true;
			return -ENOMEM;
		}
	}
	labels_free(out);
	*out = map;
	return rc;
}

int json_string_array_copy(char ***dst, char *const *src, size_t n)
{
	char **items = calloc(n + 1, sizeof(*items));
	size_t i;

	if (!items)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		items[i] = strdup(src[i]);
		if (!items[i]) {
			json_string_array_free(items, i);
			return -ENOMEM;
		}
	}
	*dst = items;
	return 0;
}

bool json_string_array_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static int add_value(json_object *obj, const char *key, json_object *value)
{
	if (!value)
		return -ENOMEM;
	if (json_object_object_add(obj, key, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

int json_set_string(json_object *obj, const char *key, const char *value)
{
	if (!value)
		return 0;
	return add_value(obj, key, json_object_new_string(value));
}

int json_set_bool(json_object *obj, const char *key, bool value)
{
	return add_value(obj, key, json_object_new_boolean(value));
}

int json_set_int64(json_object *obj, const char *key, int64_t value)
{
	return add_value(obj, key, json_object_new_int64(value));
}

int json_array_add(json_object *arr, json_object *value)
{
	if (!value)
		return -ENOMEM;
	if (json_object_array_add(arr, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

int json_set_string_array(json_object *obj, const char *key,
			  char *const *values, size_t n, bool always)
{
	json_object *arr;
	size_t i;

	if (n == 0 && !always)
		return 0;
	arr = json_set_array(obj, key);
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (json_array_add(arr, json_object_new_string(values[i])) < 0)
			return -ENOMEM;
	return 0;
}

int json_set_string_map(json_object *obj, const char *key,
			const struct labels *map, bool always)
{
	json_object *o;
	size_t i;

	if (map->count == 0 && !always)
		return 0;
	o = json_set_object(obj, key);
	if (!o)
		return -ENOMEM;
	for (i = 0; i < map->count; i++)
		if (json_set_string(o, map->items[i].key, map->items[i].value) < 0)
			return -ENOMEM;
	return 0;
}

json_object *json_set_object(json_object *obj, const char *key)
{
	json_object *o = json_object_new_object();

	return add_value(obj, key, o) < 0 ? NULL : o;
}

json_object *json_set_array(json_object *obj, const char *key)
{
	json_object *a = json_object_new_array();

	return add_value(obj, key, a) < 0 ? NULL : a;
}

int json_strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}
