/* secret: parse/serialise/validate and a strict base64 codec. The decoder
 * rejects what the API server would never produce (missing padding, bits
 * set in the padding, whitespace) so a corrupted value is an error instead
 * of a wrong password. */
#include "model/secret.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(b64_chars, c);
	return p ? (int)(p - b64_chars) : -1;
}

int model_base64_decode(const char *text, unsigned char **out, size_t *len)
{
	size_t n = strlen(text), i, o = 0, pad = 0;
	unsigned char *buf;
	int v[4], k;

	*out = NULL;
	*len = 0;
	if (n % 4)
		return -EINVAL;
	if (n >= 1 && text[n - 1] == '=')
		pad++;
	if (n >= 2 && text[n - 2] == '=')
		pad++;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i += 4) {
		bool last = i + 4 == n;

		for (k = 0; k < 4; k++) {
			if (last && text[i + (size_t)k] == '=' && k >= 4 - (int)pad) {
				v[k] = 0;
				continue;
			}
			v[k] = b64_value(text[i + (size_t)k]);
			if (v[k] < 0)
				goto bad;
		}
		buf[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (!last || pad < 2)
			buf[o++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (!last || pad < 1)
			buf[o++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
		/* Non-canonical encodings leave bits in the padding. */
		if (last && ((pad == 2 && (v[1] & 0xf)) || (pad == 1 && (v[2] & 0x3))))
			goto bad;
	}
	buf[o] = '\0';
	*out = buf;
	*len = o;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

char *model_base64_encode(const unsigned char *data, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1);
	size_t i, o = 0;
	uint32_t v;

	if (!out)
		return NULL;
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)data[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		out[o++] = b64_chars[v >> 18 & 63];
		out[o++] = b64_chars[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64_chars[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64_chars[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int parse_data(const struct json_cursor *root, struct secret *s)
{
	struct json_cursor data;
	size_t n;
	int rc;

	if (json_cursor_child(root, "data", &data) <= 0)
		return 0;
	n = (size_t)json_object_object_length(data.obj);
	s->data = calloc(n + 1, sizeof(*s->data));
	if (!s->data)
		return -ENOMEM;
	json_object_object_foreach(data.obj, key, val) {
		struct secret_item *item = &s->data[s->data_count];

		if (!json_object_is_type(val, json_type_string)) {
			json_error(&data, key, "must be a base64 string, got %s",
				   json_type_label(val));
			continue;
		}
		rc = model_base64_decode(json_object_get_string(val), &item->value, &item->len);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0) {
			/* The value is secret: say what is wrong, never what it is. */
			json_error(&data, key, "is not valid base64");
			continue;
		}
		item->key = strdup(key);
		if (!item->key) {
			free(item->value);
			item->value = NULL;
			return -ENOMEM;
		}
		s->data_count++;
	}
	return 0;
}

int secret_from_json(json_object *obj, struct secret *secret, struct model_errors *errs)
{
	struct json_cursor root;
	int rc;

	memset(secret, 0, sizeof(*secret));
	rc = model_parse_envelope(obj, "v1", "Secret", &secret->meta, errs, NULL, &root, NULL);
	if (rc < 0)
		return rc;
	if (json_get_string(&root, "type", &secret->type) == -ENOMEM ||
	    parse_data(&root, secret) < 0 ||
	    json_get_string_map(&root, "stringData", &secret->string_data) == -ENOMEM) {
		if (errs)
			errs->oom = true;
		return -ENOMEM;
	}
	return 0;
}

json_object *secret_to_json(const struct secret *secret)
{
	json_object *obj, *data;
	char *enc;
	size_t i;

	obj = model_build_envelope("v1", "Secret", &secret->meta, NULL);
	if (!obj)
		return NULL;
	if (json_set_string(obj, "type", secret->type) < 0)
		goto fail;
	if (secret->data_count) {
		data = json_set_object(obj, "data");
		if (!data)
			goto fail;
		for (i = 0; i < secret->data_count; i++) {
			enc = model_base64_encode(secret->data[i].value, secret->data[i].len);
			if (!enc || json_set_string(data, secret->data[i].key, enc) < 0) {
				free(enc);
				goto fail;
			}
			free(enc);
		}
	}
	if (json_set_string_map(obj, "stringData", &secret->string_data, false) < 0)
		goto fail;
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

void secret_validate(const struct secret *secret, struct model_errors *errs)
{
	model_errors_set_object(errs, "Secret", secret->meta.name);
	object_meta_validate_name(&secret->meta, errs);
}

const unsigned char *secret_get(const struct secret *secret, const char *key, size_t *len)
{
	const char *v;
	size_t i;

	for (i = 0; i < secret->data_count; i++) {
		if (strcmp(secret->data[i].key, key) == 0) {
			if (len)
				*len = secret->data[i].len;
			return secret->data[i].value;
		}
	}
	v = labels_get(&secret->string_data, key);
	if (v && len)
		*len = strlen(v);
	return (const unsigned char *)v;
}

void secret_free(struct secret *secret)
{
	size_t i;

	object_meta_free(&secret->meta);
	free(secret->type);
	for (i = 0; i < secret->data_count; i++) {
		free(secret->data[i].key);
		if (secret->data[i].value)
			memset(secret->data[i].value, 0, secret->data[i].len);
		free(secret->data[i].value);
	}
	free(secret->data);
	labels_free(&secret->string_data);
	memset(secret, 0, sizeof(*secret));
}
