/* yaml_json: the YAML -> json-c half, through libyaml's event API (the
 * emitter is yaml_emit.c, scalar typing yaml_scalar.c).
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
 * cycle can be built. */
#include "yaml_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "yaml_scalar.h"

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

/* Build the json value of a scalar event. 0, or -EINVAL when an explicit
 * core tag does not fit the text, or -ENOMEM. */
static int yj_scalar(struct yj_parse *p, const yaml_event_t *ev, json_object **out)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	enum yaml_scalar_type type = plain ? yaml_scalar_resolve(text) : YAML_SCALAR_STRING;
	json_object *obj = NULL;

	if (strlen(text) != ev->data.scalar.length)
		return yj_fail(p, &ev->start_mark, "NUL character in scalar");
	if (tag && !strncmp(tag, YJ_TAG_PREFIX, strlen(YJ_TAG_PREFIX))) {
		const char *name = tag + strlen(YJ_TAG_PREFIX);
		enum yaml_scalar_type want = YAML_SCALAR_STRING, got = yaml_scalar_resolve(text);

		if (!strcmp(name, "str"))
			want = YAML_SCALAR_STRING;
		else if (!strcmp(name, "null"))
			want = YAML_SCALAR_NULL;
		else if (!strcmp(name, "bool"))
			want = YAML_SCALAR_BOOL;
		else if (!strcmp(name, "int"))
			want = YAML_SCALAR_INT;
		else if (!strcmp(name, "float"))
			want = YAML_SCALAR_FLOAT;
		else
			want = type;	/* other tags (!!binary, !!timestamp): ignored */
		if (want == YAML_SCALAR_FLOAT && got == YAML_SCALAR_INT)
			got = YAML_SCALAR_FLOAT;
		if (want != YAML_SCALAR_STRING && want != got)
			return yj_fail(p, &ev->start_mark, "value \"%.64s\" is not a valid %s", text,
				       name);
		type = want;
	} else if (tag && !strcmp(tag, "!")) {
		type = YAML_SCALAR_STRING;	/* the non-specific tag forces a string */
	}

	switch (type) {
	case YAML_SCALAR_NULL:
		*out = NULL;
		return 0;
	case YAML_SCALAR_BOOL:
		obj = json_object_new_boolean(yaml_scalar_bool(text));
		break;
	case YAML_SCALAR_INT:
		obj = yaml_scalar_int(text);
		break;
	case YAML_SCALAR_FLOAT:
		obj = yaml_scalar_float(text);
		break;
	case YAML_SCALAR_STRING:
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
