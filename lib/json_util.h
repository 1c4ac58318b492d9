/* json_util: the repetitive JSON plumbing behind lib/model, on top of json-c.
 *
 * Reading goes through a cursor: a json object plus its field path and the
 * error list. Every getter takes the cursor and a key and
 *   - returns 0 and leaves *out untouched when the key is absent or null, so
 *     callers pre-load defaults and call the getter;
 *   - returns 1 and stores the value when it is present with the right type
 *     (and, for integers, within [min, max]);
 *   - returns -EINVAL and records "<path>.<key>: must be a string, got number"
 *     (or the range error, quoting the value) when it is not;
 *   - returns -ENOMEM when a copy fails (the error list notes it too).
 * Getters never abort and never trust the input: a hostile document can at
 * worst produce many errors. Strings returned are heap copies owned by the
 * caller; previous values in *out are freed first when replaced.
 *
 * Writing uses json_set_*(): each adds one key to an object and returns 0 or
 * -ENOMEM; NULL strings / empty optional collections are skipped so the
 * output stays as small as the input was. */
#ifndef TWILL_JSON_UTIL_H
#define TWILL_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "labels.h"
#include "model/errors.h"

#define JSON_PATH_MAX 256

struct json_cursor {
	json_object *obj; /* a json object, or NULL when absent */
	char path[JSON_PATH_MAX];
	struct model_errors *errs;
};

/* Cursor on a root object with an empty path. */
void json_cursor_root(struct json_cursor *c, json_object *obj,
		      struct model_errors *errs);
/* Child object: 1 present (out points at it), 0 absent/null (out->obj =
 * NULL, path still set so errors can name it), -EINVAL when not an object. */
int json_cursor_child(const struct json_cursor *c, const char *key,
		      struct json_cursor *out);
/* Array member: *len gets its length. Same return convention; the array is
 * returned in *arr (NULL when absent). */
int json_cursor_array(const struct json_cursor *c, const char *key,
		      json_object **arr, size_t *len);
/* Cursor on element i of arr (found under key of c); -EINVAL and an error
 * when the element is not an object. */
int json_cursor_index(const struct json_cursor *c, const char *key,
		      json_object *arr, size_t i, struct json_cursor *out);
/* "<c.path>.<key>" into buf (no leading dot for the root). */
const char *json_path_join(const struct json_cursor *c, const char *key,
			   char *buf, size_t size);
/* Record an error/warning at "<c.path>.<key>" (key may be NULL = c.path). */
void json_error(const struct json_cursor *c, const char *key, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));
void json_warn(const struct json_cursor *c, const char *key, const char *fmt,
	       ...) __attribute__((format(printf, 3, 4)));

/* Type name for messages: "string", "number", "object", ... */
const char *json_type_label(json_object *value);

int json_get_string(const struct json_cursor *c, const char *key, char **out);
int json_get_bool(const struct json_cursor *c, const char *key, bool *out);
/* Integers: JSON numbers without fraction (json-c int or a double with an
 * integral value) in [min, max]. */
int json_get_int64(const struct json_cursor *c, const char *key, int64_t min,
		   int64_t max, int64_t *out);
int json_get_int(const struct json_cursor *c, const char *key, int min,
		 int max, int *out);
int json_get_uint32(const struct json_cursor *c, const char *key,
		    uint32_t min, uint32_t max, uint32_t *out);
/* String must be one of the NULL-terminated names; *out gets its index. */
int json_get_enum(const struct json_cursor *c, const char *key,
		  const char *const *names, int *out);
/* Array of strings: *out is a NULL-terminated heap array (count in *n). */
int json_get_string_array(const struct json_cursor *c, const char *key,
			  char ***out, size_t *n);
/* Object of string values into a labels map (replaces *out's contents). */
int json_get_string_map(const struct json_cursor *c, const char *key,
			struct labels *out);
/* Parse a value (not a key) as an integer: helper for arrays of ints. */
int json_value_int64(json_object *value, int64_t *out);

void json_string_array_free(char **arr, size_t n);
int json_string_array_copy(char ***dst, char *const *src, size_t n);
bool json_string_array_equal(char *const *a, size_t na, char *const *b,
			     size_t nb);

int json_set_string(json_object *obj, const char *key, const char *value);
int json_set_bool(json_object *obj, const char *key, bool value);
int json_set_int64(json_object *obj, const char *key, int64_t value);
/* Always written (even when empty) when always is true, else skipped if n == 0. */
int json_set_string_array(json_object *obj, const char *key,
			  char *const *values, size_t n, bool always);
/* Skipped when the map is empty and always is false. */
int json_set_string_map(json_object *obj, const char *key,
			const struct labels *map, bool always);
/* Add a new empty object (or array) under key; NULL on -ENOMEM. */
json_object *json_set_object(json_object *obj, const char *key);
json_object *json_set_array(json_object *obj, const char *key);
/* Append to array; takes ownership of value even on failure. */
int json_array_add(json_object *arr, json_object *value);

/* strcmp that treats NULL == NULL and NULL < "". */
int json_strcmp_null(const char *a, const char *b);

#endif
