/* yaml_emit: yaml_json_emit() (declared in yaml_json.h), json-c -> YAML text.
 *
 * libyaml's emitter does the layout (kubectl-like block style, 2-space
 * indent, sequences flush with their key); this file only chooses each
 * scalar's style. Strings go out plain when yaml_scalar says the plain form
 * reads back as the same string, double-quoted otherwise; libyaml itself
 * upgrades plain to quoted when the characters demand it (": ", "#", leading
 * indicators). Empty objects and arrays use flow style ({} and []), since a
 * block collection cannot be empty. */
#include "yaml_json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "yaml_scalar.h"

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

static int yj_emit_scalar(yaml_emitter_t *em, const char *text, size_t len, bool is_string)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;

	if (is_string && yaml_scalar_needs_quotes(text))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (is_string)
		style = YAML_ANY_SCALAR_STYLE;	/* libyaml quotes what plain cannot say */
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len,
					  style == YAML_PLAIN_SCALAR_STYLE || style == YAML_ANY_SCALAR_STYLE,
					  1, style))
		return -EINVAL;	/* libyaml refuses text that is not UTF-8 here */
	return yaml_emitter_emit(em, &ev) ? 0 : -EINVAL;
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
		yaml_scalar_format_double(json_object_get_double(obj), num, sizeof(num));
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
