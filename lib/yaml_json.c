/* yaml_json: YAML <-> json-c through libyaml's event API.
 *
 * Parsing uses events rather than libyaml's document loader because the
 * loader replaces a missing tag with "!!str", which would make an explicit
 * "!!str 123" indistinguishable from a plain 123; events keep the tag and
 * the scalar style. The walk is a recursive descent over events, bounded in
 * depth (YAML_JSON_MAX_DEPTH) and in the number of json nodes built
 * (YAML_JSON_MAX_NODES, counting every node an alias copies), which is what
 * defeats "billion laughs" style alias bombs: a bomb is rejected by
 * arithmetic before its copies are made. Anchors are registered only when
 * their node is complete, so an alias can never refer to an ancestor and no
 * cycle can be built.
 *
 * Emitting drives libyaml's emitter, but picks the scalar style itself: a
 * string is written plain only when plain text would read back as the same
 * string (under our YAML 1.2 core resolver and, for kubectl's sake, under
 * YAML 1.1's yes/no/on/off/octal rules too). That one rule is what makes
 * emit -> parse an identity. */
#include "yaml_json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define YJ_TAG_PREFIX "tag:yaml.org,2002:"

struct yj_anchor {
	char *name;
	json_object *obj;
	size_t nodes;	/* json nodes in obj, charged again for each alias */
};

struct yj_parse {
	yaml_parser_t parser;
	char *err;
	size_t errlen;
	size_t nodes;
	struct yj_anchor *anchors;
	size_t anchor_count;
};

static int yj_fail(struct yj_parse *p, const yaml_mark_t *mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int yj_fail(struct yj_parse *p, const yaml_mark_t *mark, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "line %zu column %zu: ", mark->line + 1,
		     mark->column + 1);
	if (n < 0 || (size_t)n >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int yj_nomem(struct yj_parse *p)
{
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "out of memory");
	return -ENOMEM;
}

static int yj_next(struct yj_parse *p, yaml_event_t *ev)
{
	if (yaml_parser_parse(&p->parser, ev))
		return 0;
	if (p->parser.error == YAML_MEMORY_ERROR)
		return yj_nomem(p);
	if (p->parser.context)
		return yj_fail(p, &p->parser.problem_mark, "%s %s", p->parser.problem,
			       p->parser.context);
	return yj_fail(p, &p->parser.problem_mark, "%s",
		       p->parser.problem ? p->parser.problem : "invalid YAML");
}

static void yj_anchors_clear(struct yj_parse *p)
{
	size_t i;

	for (i = 0; i < p->anchor_count; i++) {
		free(p->anchors[i].name);
		json_object_put(p->anchors[i].obj);
	}
	free(p->anchors);
	p->anchors = NULL;
	p->anchor_count = 0;
}

static int yj_charge(struct yj_parse *p, const yaml_mark_t *mark, size_t nodes)
{
	if (nodes > YAML_JSON_MAX_NODES - p->nodes)
		return yj_fail(p, mark, "document too large (more than %d nodes, aliases included)",
			       YAML_JSON_MAX_NODES);
	p->nodes += nodes;
	return 0;
}

/* A later anchor of the same name shadows the earlier one (YAML 1.2 6.9.2). */
static int yj_anchor_add(struct yj_parse *p, const yaml_char_t *name, json_object *obj,
			 size_t nodes)
{
	struct yj_anchor *grown;
	char *copy = strdup((const char *)name);

	if (!copy)
		return yj_nomem(p);
	grown = realloc(p->anchors, (p->anchor_count + 1) * sizeof(*grown));
	if (!grown) {
		free(copy);
		return yj_nomem(p);
	}
	p->anchors = grown;
	p->anchors[p->anchor_count].name = copy;
	p->anchors[p->anchor_count].obj = json_object_get(obj);
	p->anchors[p->anchor_count].nodes = nodes;
	p->anchor_count++;
	return 0;
}

static const struct yj_anchor *yj_anchor_find(const struct yj_parse *p, const yaml_char_t *name)
{
	size_t i;

	for (i = p->anchor_count; i-- > 0;)
		if (strcmp(p->anchors[i].name, (const char *)name) == 0)
			return &p->anchors[i];
	return NULL;
}

/* ---- scalar resolution (YAML 1.2 core schema) ---- */

static bool yj_is_null(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int yj_bool_value(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

static bool yj_digits(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

/* [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ */
static bool yj_is_int(const char *s)
{
	if (s[0] == '0' && s[1] == 'o')
		return yj_digits(s + 2, "01234567");
	if (s[0] == '0' && s[1] == 'x')
		return yj_digits(s + 2, "0123456789abcdefABCDEF");
	if (*s == '-' || *s == '+')
		s++;
	return yj_digits(s, "0123456789");
}

/* [-+]? ( "." [0-9]+ | [0-9]+ ( "." [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool yj_is_float_number(const char *s)
{
	size_t int_digits = 0, frac_digits = 0;

	if (*s == '-' || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9') {
		s++;
		int_digits++;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			frac_digits++;
		}
	}
	if (int_digits == 0 && frac_digits == 0)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static bool yj_float_special(const char *s, double *out)
{
	const char *body = (*s == '-' || *s == '+') ? s + 1 : s;

	if (!strcmp(body, ".inf") || !strcmp(body, ".Inf") || !strcmp(body, ".INF")) {
		*out = *s == '-' ? -INFINITY : INFINITY;
		return true;
	}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*out = NAN;
		return true;
	}
	return false;
}

enum yj_type { YJ_STRING, YJ_NULL, YJ_BOOL, YJ_INT, YJ_FLOAT };

static enum yj_type yj_resolve_type(const char *s)
{
	double d;

	if (yj_is_null(s))
		return YJ_NULL;
	if (yj_bool_value(s) >= 0)
		return YJ_BOOL;
	if (yj_is_int(s))
		return YJ_INT;
	if (yj_is_float_number(s) || yj_float_special(s, &d))
		return YJ_FLOAT;
	return YJ_STRING;
}

/* Integers that do not fit in int64 become doubles, as in JSON. */
static json_object *yj_int_object(const char *s)
{
	long long v;
	char *end;
	int base = 10;
	const char *digits = s;

	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
		base = s[1] == 'o' ? 8 : 16;
		digits = s + 2;
	}
	errno = 0;
	v = strtoll(digits, &end, base);
	if (errno == ERANGE && base == 10)
		return json_object_new_double(strtod(s, NULL));
	if (errno == ERANGE) {
		double d = 0;

		for (; *digits; digits++)
			d = d * base + (*digits <= '9' ? *digits - '0' : (*digits | 0x20) - 'a' + 10);
		return json_object_new_double(d);
	}
	return json_object_new_int64(v);
}

static json_object *yj_float_object(const char *s)
{
	double d;

	if (!yj_float_special(s, &d))
		d = strtod(s, NULL);
	return json_object_new_double(d);
}

/* Build the json value of a scalar event. 0, or -EINVAL when an explicit
 * core tag does not fit the text, or -ENOMEM. */
static int yj_scalar(struct yj_parse *p, const yaml_event_t *ev, json_object **out)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	enum yj_type type = plain ? yj_resolve_type(text) : YJ_STRING;
	json_object *obj = NULL;

	if (strlen(text) != ev->data.scalar.length)
		return yj_fail(p, &ev->start_mark, "NUL character in scalar");
	if (tag && !strncmp(tag, YJ_TAG_PREFIX, strlen(YJ_TAG_PREFIX))) {
		const char *name = tag + strlen(YJ_TAG_PREFIX);
		enum yj_type want = YJ_STRING, got = yj_resolve_type(text);

		if (!strcmp(name, "str"))
			want = YJ_STRING;
		else if (!strcmp(name, "null"))
			want = YJ_NULL;
		else if (!strcmp(name, "bool"))
			want = YJ_BOOL;
		else if (!strcmp(name, "int"))
			want = YJ_INT;
		else if (!strcmp(name, "float"))
			want = YJ_FLOAT;
		else
			want = type;	/* other tags (!!binary, !!timestamp): ignored */
		if (want == YJ_FLOAT && got == YJ_INT)
			got = YJ_FLOAT;
		if (want != YJ_STRING && want != got)
			return yj_fail(p, &ev->start_mark, "value \"%.64s\" is not a valid %s", text,
				       name);
		type = want;
	} else if (tag && !strcmp(tag, "!")) {
		type = YJ_STRING;	/* the non-specific tag forces a string */
	}

	switch (type) {
	case YJ_NULL:
		*out = NULL;
		return 0;
	case YJ_BOOL:
		obj = json_object_new_boolean(yj_bool_value(text));
		break;
	case YJ_INT:
		obj = yj_int_object(text);
		break;
	case YJ_FLOAT:
		obj = yj_float_object(text);
		break;
	case YJ_STRING:
		obj = json_object_new_string_len(text, (int)ev->data.scalar.length);
		break;
	}
	if (!obj)
		return yj_nomem(p);
	*out = obj;
	return 0;
}

/* ---- tree building ---- */

static int yj_node(struct yj_parse *p, yaml_event_t *ev, unsigned depth, json_object **out);

static int yj_sequence(struct yj_parse *p, unsigned depth, json_object *arr)
{
	yaml_event_t ev;
	json_object *child;
	int ret;

	for (;;) {
		ret = yj_next(p, &ev);
		if (ret < 0)
			return ret;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		ret = yj_node(p, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (ret < 0)
			return ret;
		if (json_object_array_add(arr, child) < 0) {
			json_object_put(child);
			return yj_nomem(p);
		}
	}
}

static int yj_mapping(struct yj_parse *p, unsigned depth, json_object *obj)
{
	yaml_event_t key_ev;
	json_object *child;
	const char *key;
	int ret;

	for (;;) {
		ret = yj_next(p, &key_ev);
		if (ret < 0)
			return ret;
		if (key_ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key_ev);
			return 0;
		}
		if (key_ev.type != YAML_SCALAR_EVENT) {
			ret = yj_fail(p, &key_ev.start_mark, "mapping keys must be scalars");
			goto next;
		}
		key = (const char *)key_ev.data.scalar.value;
		if (strlen(key) != key_ev.data.scalar.length) {
			ret = yj_fail(p, &key_ev.start_mark, "NUL character in key");
			goto next;
		}
		if (json_object_object_get_ex(obj, key, NULL)) {
			ret = yj_fail(p, &key_ev.start_mark, "duplicate key \"%.100s\"", key);
			goto next;
		}
		ret = yj_charge(p, &key_ev.start_mark, 1);
		if (ret < 0)
			goto next;
		{
			yaml_event_t val_ev;

			ret = yj_next(p, &val_ev);
			if (ret < 0)
				goto next;
			ret = yj_node(p, &val_ev, depth + 1, &child);
			yaml_event_delete(&val_ev);
		}
		if (ret < 0)
			goto next;
		if (json_object_object_add(obj, key, child) < 0) {
			json_object_put(child);
			ret = yj_nomem(p);
		}
next:
		yaml_event_delete(&key_ev);
		if (ret < 0)
			return ret;
	}
}

/* Build the value that starts with event ev (owned by the caller). */
static int yj_node(struct yj_parse *p, yaml_event_t *ev, unsigned depth, json_object **out)
{
	const yaml_char_t *anchor = NULL;
	const struct yj_anchor *a;
	json_object *obj = NULL;
	size_t nodes_before = p->nodes;
	int ret;

	*out = NULL;
	if (depth > YAML_JSON_MAX_DEPTH)
		return yj_fail(p, &ev->start_mark, "nesting deeper than %d levels",
			       YAML_JSON_MAX_DEPTH);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		a = yj_anchor_find(p, ev->data.alias.anchor);
		if (!a)
			return yj_fail(p, &ev->start_mark, "unknown anchor \"%.100s\"",
				       (const char *)ev->data.alias.anchor);
		ret = yj_charge(p, &ev->start_mark, a->nodes);
		if (ret < 0)
			return ret;
		if (a->obj && json_object_deep_copy(a->obj, out, NULL) < 0)
			return yj_nomem(p);
		return 0;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		ret = yj_charge(p, &ev->start_mark, 1);
		if (ret == 0)
			ret = yj_scalar(p, ev, &obj);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		ret = yj_charge(p, &ev->start_mark, 1);
		if (ret == 0)
			ret = (obj = json_object_new_array()) ? yj_sequence(p, depth, obj) :
								  yj_nomem(p);
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		ret = yj_charge(p, &ev->start_mark, 1);
		if (ret == 0)
			ret = (obj = json_object_new_object()) ? yj_mapping(p, depth, obj) :
								   yj_nomem(p);
		break;
	default:
		return yj_fail(p, &ev->start_mark, "unexpected YAML event");
	}
	if (ret == 0 && anchor)
		ret = yj_anchor_add(p, anchor, obj, p->nodes - nodes_before);
	if (ret < 0) {
		json_object_put(obj);
		return ret;
	}
	*out = obj;
	return 0;
}

static int yj_push_doc(struct yj_parse *p, json_object ***docs, size_t *count, json_object *doc)
{
	json_object **grown = realloc(*docs, (*count + 1) * sizeof(*grown));

	if (!grown) {
		json_object_put(doc);
		return yj_nomem(p);
	}
	*docs = grown;
	(*docs)[(*count)++] = doc;
	return 0;
}

void yaml_json_free_docs(json_object **docs, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		json_object_put(docs[i]);
	free(docs);
}

int yaml_json_parse_all(const char *text, size_t len, json_object ***docs_out,
			size_t *count_out, char *err, size_t errlen)
{
	struct yj_parse p = { .err = err, .errlen = errlen };
	json_object **docs = NULL, *doc;
	yaml_event_t ev;
	size_t count = 0;
	bool done = false;
	int ret;

	*docs_out = NULL;
	*count_out = 0;
	if (err && errlen)
		err[0] = '\0';
	if (!yaml_parser_initialize(&p.parser))
		return yj_nomem(&p);
	yaml_parser_set_input_string(&p.parser, (const unsigned char *)text, len);
	while (!done) {
		ret = yj_next(&p, &ev);
		if (ret < 0)
			goto out;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			yj_anchors_clear(&p);	/* anchors are per document */
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_ALIAS_EVENT:
			ret = yj_node(&p, &ev, 1, &doc);
			if (ret == 0 && doc)	/* null documents are skipped */
				ret = yj_push_doc(&p, &docs, &count, doc);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	yj_anchors_clear(&p);
	yaml_parser_delete(&p.parser);
	if (ret < 0) {
		yaml_json_free_docs(docs, count);
		return ret;
	}
	*docs_out = docs;
	*count_out = count;
	return 0;
}

int yaml_json_parse_one(const char *text, size_t len, json_object **out, char *err, size_t errlen)
{
	json_object **docs;
	size_t count;
	int ret;

	*out = NULL;
	ret = yaml_json_parse_all(text, len, &docs, &count, err, errlen);
	if (ret < 0)
		return ret;
	if (count != 1) {
		if (err && errlen) {
			if (count == 0)
				snprintf(err, errlen, "no document");
			else
				snprintf(err, errlen, "expected one document, found %zu", count);
		}
		yaml_json_free_docs(docs, count);
		return -EINVAL;
	}
	*out = docs[0];
	free(docs);
	return 0;
}

/* ---- emitting ---- */

struct yj_buf {
	char *data;
	size_t len, cap;
	bool nomem;
};

static int yj_write(void *data, unsigned char *bytes, size_t size)
{
	struct yj_buf *buf = data;

	if (buf->len + size + 1 > buf->cap) {
		size_t cap = buf->cap ? buf->cap : 256;
		char *grown;

		while (cap < buf->len + size + 1)
			cap *= 2;
		grown = realloc(buf->data, cap);
		if (!grown) {
			buf->nomem = true;
			return 0;
		}
		buf->data = grown;
		buf->cap = cap;
	}
	memcpy(buf->data + buf->len, bytes, size);
	buf->len += size;
	buf->data[buf->len] = '\0';
	return 1;
}

/* YAML 1.1 readings kubectl (go-yaml v2) would give a plain scalar that our
 * 1.2 resolver reads as a string: booleans like yes/off, 0b/0-prefixed
 * octal and sexagesimal-looking numbers, '_' digit separators. Quoting these
 * keeps `twillctl get -o yaml | kubectl apply -f -` faithful. */
static bool yj_yaml11_special(const char *s)
{
	static const char *const words[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no",
					     "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
					     "=", "<<" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			return true;
	if (*s == '-' || *s == '+' || *s == '.')
		s++;
	if (!(*s >= '0' && *s <= '9'))
		return false;
	/* number-like: digits with any of _ : . e x b o; quote rather than guess */
	for (; *s; s++)
		if (!strchr("0123456789_:.eExXbBoOabcdefABCDEF+-", *s))
			return false;
	return true;
}

static bool yj_needs_quotes(const char *s)
{
	return yj_resolve_type(s) != YJ_STRING || yj_yaml11_special(s);
}

static int yj_emit_scalar(yaml_emitter_t *em, const char *text, size_t len, bool is_string)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;

	if (is_string && yj_needs_quotes(text))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (is_string)
		style = YAML_ANY_SCALAR_STYLE;	/* libyaml quotes what plain cannot say */
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len,
					  style == YAML_PLAIN_SCALAR_STYLE || style == YAML_ANY_SCALAR_STYLE,
					  1, style))
		return -ENOMEM;
	return yaml_emitter_emit(em, &ev) ? 0 : -EINVAL;
}

/* Shortest text that reads back as exactly d, always recognisably a float. */
static void yj_format_double(double d, char *buf, size_t len)
{
	int prec;

	if (isnan(d)) {
		snprintf(buf, len, ".nan");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, len, d < 0 ? "-.inf" : ".inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (!strpbrk(buf, ".eE"))
		strncat(buf, ".0", len - strlen(buf) - 1);
}

static int yj_emit_node(yaml_emitter_t *em, json_object *obj, unsigned depth)
{
	yaml_event_t ev;
	char num[64];
	const char *s;
	int ret;

	if (depth > YAML_JSON_MAX_DEPTH)
		return -EINVAL;
	switch (json_object_get_type(obj)) {
	case json_type_null:
		return yj_emit_scalar(em, "null", 4, false);
	case json_type_boolean:
		s = json_object_get_boolean(obj) ? "true" : "false";
		return yj_emit_scalar(em, s, strlen(s), false);
	case json_type_int:
		s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
		return yj_emit_scalar(em, s, strlen(s), false);
	case json_type_double:
		yj_format_double(json_object_get_double(obj), num, sizeof(num));
		return yj_emit_scalar(em, num, strlen(num), false);
	case json_type_string:
		if (strlen(json_object_get_string(obj)) != (size_t)json_object_get_string_len(obj))
			return -EINVAL;	/* NUL inside: no YAML reader here takes it back */
		return yj_emit_scalar(em, json_object_get_string(obj),
				      (size_t)json_object_get_string_len(obj), true);
	case json_type_array: {
		size_t i, n = json_object_array_length(obj);

		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							  n ? YAML_BLOCK_SEQUENCE_STYLE :
							      YAML_FLOW_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -EINVAL;
		for (i = 0; i < n; i++) {
			ret = yj_emit_node(em, json_object_array_get_idx(obj, i), depth + 1);
			if (ret < 0)
				return ret;
		}
		if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return -EINVAL;
		return 0;
	}
	case json_type_object: {
		int n = json_object_object_length(obj);

		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							 n ? YAML_BLOCK_MAPPING_STYLE :
							     YAML_FLOW_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -EINVAL;
		json_object_object_foreach(obj, key, value)
		{
			ret = yj_emit_scalar(em, key, strlen(key), true);
			if (ret == 0)
				ret = yj_emit_node(em, value, depth + 1);
			if (ret < 0)
				return ret;
		}
		if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return -EINVAL;
		return 0;
	}
	}
	return -EINVAL;
}

int yaml_json_emit(json_object *obj, char **out)
{
	struct yj_buf buf = { 0 };
	yaml_emitter_t em;
	yaml_event_t ev;
	int ret = -EINVAL;

	*out = NULL;
	if (!yaml_emitter_initialize(&em))
		return -ENOMEM;
	yaml_emitter_set_output(&em, yj_write, &buf);
	yaml_emitter_set_indent(&em, 2);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_unicode(&em, 1);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&em, &ev))
		goto out;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&em, &ev))
		goto out;
	ret = yj_emit_node(&em, obj, 1);
	if (ret < 0)
		goto out;
	ret = -EINVAL;
	if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&em, &ev))
		goto out;
	if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev))
		goto out;
	if (!yaml_emitter_flush(&em))
		goto out;
	ret = 0;
out:
	if (buf.nomem || (ret < 0 && em.error == YAML_MEMORY_ERROR))
		ret = -ENOMEM;
	yaml_emitter_delete(&em);
	if (ret < 0) {
		free(buf.data);
		return ret;
	}
	if (!buf.data) {
		buf.data = strdup("");
		if (!buf.data)
			return -ENOMEM;
	}
	*out = buf.data;
	return 0;
}
