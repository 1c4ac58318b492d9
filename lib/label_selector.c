/* label_selector: Kubernetes LabelSelector parsing (from json-c) and matching.
 *
 * Validation mirrors the API server's (apimachinery's ValidateLabelSelector
 * and label key/value rules) so that an object twill accepts is one
 * kube-apiserver would have accepted, and a bad one is reported with the
 * same field path a user sees from kubectl. The parsed form keeps values as
 * plain arrays: selectors hold a handful of values and matching is a linear
 * scan, which beats any set structure at that size.
 * Invariant: a struct label_selector is either empty (LABEL_SELECTOR_INIT)
 * or fully valid; the parser builds into a local and hands it over only on
 * success. */
#include "label_selector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ls_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* name part of a key, and a whole value: <= 63, alnum ends, [-_.] inside */
static int ls_name_valid(const char *s, size_t len, bool allow_empty)
{
	size_t i;

	if (len == 0)
		return allow_empty;
	if (len > 63 || !ls_alnum(s[0]) || !ls_alnum(s[len - 1]))
		return 0;
	for (i = 0; i < len; i++)
		if (!ls_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

/* RFC 1123 subdomain: lowercase labels of [a-z0-9-] with alnum ends, joined
 * by dots, at most 253 characters. */
static int ls_dns_subdomain_valid(const char *s, size_t len)
{
	size_t i, label_start = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			size_t label_len = i - label_start;

			if (label_len == 0 || label_len > 63 || s[label_start] == '-' ||
			    s[i - 1] == '-')
				return 0;
			label_start = i + 1;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	}
	return 1;
}

int label_key_valid(const char *key)
{
	const char *slash;
	size_t len;

	if (!key)
		return 0;
	len = strlen(key);
	slash = strchr(key, '/');
	if (!slash)
		return ls_name_valid(key, len, false);
	if (strchr(slash + 1, '/'))
		return 0;
	return ls_dns_subdomain_valid(key, (size_t)(slash - key)) &&
	       ls_name_valid(slash + 1, len - (size_t)(slash - key) - 1, false);
}

int label_value_valid(const char *value)
{
	return value && ls_name_valid(value, strlen(value), true);
}

const char *label_selector_op_name(enum label_selector_op op)
{
	switch (op) {
	case LABEL_SELECTOR_IN:
		return "In";
	case LABEL_SELECTOR_NOT_IN:
		return "NotIn";
	case LABEL_SELECTOR_EXISTS:
		return "Exists";
	case LABEL_SELECTOR_DOES_NOT_EXIST:
		return "DoesNotExist";
	}
	return "?";
}

static int ls_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ls_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void ls_requirement_free(struct label_selector_requirement *req)
{
	size_t i;

	for (i = 0; i < req->value_count; i++)
		free(req->values[i]);
	free(req->values);
	free(req->key);
}

void label_selector_free(struct label_selector *sel)
{
	size_t i;

	if (!sel)
		return;
	labels_free(&sel->match_labels);
	for (i = 0; i < sel->expr_count; i++)
		ls_requirement_free(&sel->exprs[i]);
	free(sel->exprs);
	sel->exprs = NULL;
	sel->expr_count = 0;
}

static int ls_parse_match_labels(json_object *obj, struct labels *out, char *err, size_t errlen)
{
	if (!obj)
		return 0;	/* null is the same as absent */
	if (!json_object_is_type(obj, json_type_object))
		return ls_fail(err, errlen, "matchLabels: expected an object");
	json_object_object_foreach(obj, key, value)
	{
		const char *text;

		if (!label_key_valid(key))
			return ls_fail(err, errlen, "matchLabels: invalid label key \"%.300s\"", key);
		if (!json_object_is_type(value, json_type_string))
			return ls_fail(err, errlen, "matchLabels.%s: expected a string", key);
		text = json_object_get_string(value);
		if (!label_value_valid(text))
			return ls_fail(err, errlen, "matchLabels.%s: invalid label value \"%.300s\"",
				       key, text);
		if (labels_set(out, key, text) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int ls_parse_op(const char *text, enum label_selector_op *op)
{
	static const enum label_selector_op ops[] = { LABEL_SELECTOR_IN, LABEL_SELECTOR_NOT_IN,
						      LABEL_SELECTOR_EXISTS,
						      LABEL_SELECTOR_DOES_NOT_EXIST };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(text, label_selector_op_name(ops[i])) == 0) {
			*op = ops[i];
			return 0;
		}
	}
	return -EINVAL;
}

static int ls_parse_values(json_object *values, size_t idx, struct label_selector_requirement *req,
			   char *err, size_t errlen)
{
	size_t i, n;

	if (!values)
		return 0;
	if (!json_object_is_type(values, json_type_array))
		return ls_fail(err, errlen, "matchExpressions[%zu].values: expected an array", idx);
	n = json_object_array_length(values);
	if (n == 0)
		return 0;
	req->values = calloc(n, sizeof(*req->values));
	if (!req->values)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(values, i);
		const char *text;

		if (!json_object_is_type(v, json_type_string))
			return ls_fail(err, errlen,
				       "matchExpressions[%zu].values[%zu]: expected a string", idx, i);
		text = json_object_get_string(v);
		if (!label_value_valid(text))
			return ls_fail(err, errlen,
				       "matchExpressions[%zu].values[%zu]: invalid label value "
				       "\"%.300s\"",
				       idx, i, text);
		req->values[i] = strdup(text);
		if (!req->values[i])
			return -ENOMEM;
		req->value_count++;
	}
	return 0;
}

static int ls_parse_requirement(json_object *obj, size_t idx,
				struct label_selector_requirement *req, char *err, size_t errlen)
{
	json_object *key = NULL, *op = NULL, *values = NULL;
	bool needs_values;
	int ret;

	if (!json_object_is_type(obj, json_type_object))
		return ls_fail(err, errlen, "matchExpressions[%zu]: expected an object", idx);
	json_object_object_foreach(obj, field, value)
	{
		if (strcmp(field, "key") == 0)
			key = value;
		else if (strcmp(field, "operator") == 0)
			op = value;
		else if (strcmp(field, "values") == 0)
			values = value;
		else
			return ls_fail(err, errlen, "matchExpressions[%zu].%.100s: unknown field",
				       idx, field);
	}
	if (!key)
		return ls_fail(err, errlen, "matchExpressions[%zu].key: required", idx);
	if (!json_object_is_type(key, json_type_string) ||
	    !label_key_valid(json_object_get_string(key)))
		return ls_fail(err, errlen, "matchExpressions[%zu].key: invalid label key \"%.300s\"",
			       idx, json_object_get_string(key));
	if (!op)
		return ls_fail(err, errlen, "matchExpressions[%zu].operator: required", idx);
	if (!json_object_is_type(op, json_type_string) ||
	    ls_parse_op(json_object_get_string(op), &req->op) < 0)
		return ls_fail(err, errlen,
			       "matchExpressions[%zu].operator: unsupported value \"%.100s\"", idx,
			       json_object_get_string(op));
	req->key = strdup(json_object_get_string(key));
	if (!req->key)
		return -ENOMEM;
	ret = ls_parse_values(values, idx, req, err, errlen);
	if (ret < 0)
		return ret;
	needs_values = req->op == LABEL_SELECTOR_IN || req->op == LABEL_SELECTOR_NOT_IN;
	if (needs_values && req->value_count == 0)
		return ls_fail(err, errlen,
			       "matchExpressions[%zu].values: must be specified when operator is "
			       "%s",
			       idx, label_selector_op_name(req->op));
	if (!needs_values && req->value_count > 0)
		return ls_fail(err, errlen,
			       "matchExpressions[%zu].values: may not be specified when operator "
			       "is %s",
			       idx, label_selector_op_name(req->op));
	return 0;
}

static int ls_parse_match_expressions(json_object *arr, struct label_selector *sel, char *err,
				      size_t errlen)
{
	size_t i, n;
	int ret;

	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return ls_fail(err, errlen, "matchExpressions: expected an array");
	n = json_object_array_length(arr);
	if (n == 0)
		return 0;
	sel->exprs = calloc(n, sizeof(*sel->exprs));
	if (!sel->exprs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		/* Count first so label_selector_free() releases a partial entry. */
		sel->expr_count++;
		ret = ls_parse_requirement(json_object_array_get_idx(arr, i), i, &sel->exprs[i],
					   err, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int label_selector_from_json(json_object *obj, struct label_selector *out, char *err,
			     size_t errlen)
{
	struct label_selector sel = LABEL_SELECTOR_INIT;
	int ret = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!json_object_is_type(obj, json_type_object)) {
		ret = ls_fail(err, errlen, "expected a label selector object");
		goto out;
	}
	json_object_object_foreach(obj, field, value)
	{
		if (strcmp(field, "matchLabels") == 0)
			ret = ls_parse_match_labels(value, &sel.match_labels, err, errlen);
		else if (strcmp(field, "matchExpressions") == 0)
			ret = ls_parse_match_expressions(value, &sel, err, errlen);
		else
			ret = ls_fail(err, errlen, "%.100s: unknown field", field);
		if (ret < 0)
			goto out;
	}
out:
	if (ret < 0) {
		if (ret == -ENOMEM && err && errlen)
			snprintf(err, errlen, "out of memory");
		label_selector_free(&sel);
		return ret;
	}
	*out = sel;
	return 0;
}

static bool ls_value_listed(const struct label_selector_requirement *req, const char *value)
{
	size_t i;

	for (i = 0; i < req->value_count; i++)
		if (strcmp(req->values[i], value) == 0)
			return true;
	return false;
}

static bool ls_requirement_matches(const struct label_selector_requirement *req,
				   const struct labels *labels)
{
	const char *value = labels_get(labels, req->key);

	switch (req->op) {
	case LABEL_SELECTOR_IN:
		return value && ls_value_listed(req, value);
	case LABEL_SELECTOR_NOT_IN:
		return !value || !ls_value_listed(req, value);
	case LABEL_SELECTOR_EXISTS:
		return value != NULL;
	case LABEL_SELECTOR_DOES_NOT_EXIST:
		return value == NULL;
	}
	return false;
}

int label_selector_matches(const struct label_selector *sel, const struct labels *labels)
{
	static const struct labels empty = LABELS_INIT;
	size_t i;

	if (!labels)
		labels = &empty;
	for (i = 0; i < sel->match_labels.count; i++) {
		const char *value = labels_get(labels, sel->match_labels.items[i].key);

		if (!value || strcmp(value, sel->match_labels.items[i].value) != 0)
			return 0;
	}
	for (i = 0; i < sel->expr_count; i++)
		if (!ls_requirement_matches(&sel->exprs[i], labels))
			return 0;
	return 1;
}

bool label_selector_is_empty(const struct label_selector *sel)
{
	return sel->match_labels.count == 0 && sel->expr_count == 0;
}
