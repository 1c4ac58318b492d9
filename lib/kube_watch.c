/* kube_watch: the decoder appends each chunk to a growable buffer, then
 * consumes every complete line from the front. Bytes after the last newline
 * stay buffered for the next chunk, which is how a line split anywhere (even
 * mid UTF-8 sequence) is reassembled before json-c ever sees it. Consumed
 * bytes are shifted out once per feed, not once per line, so a chunk holding
 * thousands of small events stays linear. */
#include "kube_watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const kube_event_names[] = {
	[KUBE_EVENT_ADDED] = "ADDED",
	[KUBE_EVENT_MODIFIED] = "MODIFIED",
	[KUBE_EVENT_DELETED] = "DELETED",
	[KUBE_EVENT_BOOKMARK] = "BOOKMARK",
	[KUBE_EVENT_ERROR] = "ERROR",
};

int kube_event_type_parse(const char *text, enum kube_event_type *out)
{
	size_t i;

	if (!text)
		return -EINVAL;
	for (i = 0; i < sizeof(kube_event_names) / sizeof(kube_event_names[0]); i++) {
		if (strcmp(text, kube_event_names[i]) == 0) {
			*out = (enum kube_event_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *kube_event_type_name(enum kube_event_type type)
{
	if ((unsigned)type >= sizeof(kube_event_names) / sizeof(kube_event_names[0]))
		return "UNKNOWN";
	return kube_event_names[type];
}

void kube_watch_decoder_init(struct kube_watch_decoder *dec, kube_event_fn fn, void *ctx)
{
	memset(dec, 0, sizeof(*dec));
	dec->fn = fn;
	dec->ctx = ctx;
}

void kube_watch_decoder_free(struct kube_watch_decoder *dec)
{
	free(dec->buf);
	dec->buf = NULL;
	dec->len = dec->cap = 0;
}

size_t kube_watch_decoder_pending(const struct kube_watch_decoder *dec)
{
	return dec->len;
}

static int kube_watch_line(struct kube_watch_decoder *dec, const char *line, size_t len)
{
	json_object *event = NULL, *type, *object;
	enum json_tokener_error jerr;
	enum kube_event_type t;
	struct json_tokener *tok;
	size_t i;
	int rc = -EBADMSG;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			break;
	if (i == len)
		return 0;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	event = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	/* json-c stops after the first value: anything but whitespace after it
	 * means the line was not one event. */
	for (i = json_tokener_get_parse_end(tok); event && i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			jerr = json_tokener_error_parse_unexpected;
	json_tokener_free(tok);
	if (!event || jerr != json_tokener_success || !json_object_is_type(event, json_type_object))
		goto out;
	if (!json_object_object_get_ex(event, "type", &type) ||
	    !json_object_is_type(type, json_type_string) ||
	    kube_event_type_parse(json_object_get_string(type), &t) < 0)
		goto out;
	if (!json_object_object_get_ex(event, "object", &object) ||
	    !json_object_is_type(object, json_type_object))
		goto out;
	dec->events++;
	rc = dec->fn ? dec->fn(t, object, dec->ctx) : 0;
out:
	json_object_put(event);
	return rc;
}

int kube_watch_decoder_feed(struct kube_watch_decoder *dec, const char *data, size_t len)
{
	size_t start = 0, i, cap;
	char *grown, *nl;
	int rc = 0;

	if (len == 0)
		return 0;
	if (dec->len + len > KUBE_WATCH_MAX_LINE + (size_t)1)
		return -EMSGSIZE;
	if (dec->len + len > dec->cap) {
		cap = dec->cap ? dec->cap : 8192;
		while (cap < dec->len + len)
			cap *= 2;
		grown = realloc(dec->buf, cap);
		if (!grown)
			return -ENOMEM;
		dec->buf = grown;
		dec->cap = cap;
	}
	memcpy(dec->buf + dec->len, data, len);
	dec->len += len;

	/* Only the new bytes can contain the next newline. */
	i = dec->len - len;
	while ((nl = memchr(dec->buf + i, '\n', dec->len - i)) != NULL) {
		size_t end = (size_t)(nl - dec->buf);

		rc = kube_watch_line(dec, dec->buf + start, end - start);
		start = end + 1;
		i = start;
		if (rc)
			break;
	}
	if (start > 0) {
		memmove(dec->buf, dec->buf + start, dec->len - start);
		dec->len -= start;
	}
	if (!rc && dec->len > KUBE_WATCH_MAX_LINE)
		return -EMSGSIZE;
	return rc;
}
