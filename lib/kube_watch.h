/* kube_watch: decoding of a Kubernetes watch stream.
 *
 * A watch response body is a sequence of JSON objects, one per line:
 *     {"type":"ADDED","object":{...}}\n{"type":"MODIFIED",...}\n
 * and arrives in arbitrary chunks: a chunk may end in the middle of a line,
 * of a string, of a UTF-8 sequence. The decoder buffers the partial line and
 * hands each complete event to a callback.
 *
 * Contract: the callback borrows `object` (take a json_object_get() to keep
 * it); it returns 0 to continue, > 0 to stop (feed returns that value) or
 * < 0 to fail (feed returns it). Blank lines are skipped. A line that is not
 * a JSON object with a known "type" and an object "object" fails with
 * -EBADMSG; a line longer than KUBE_WATCH_MAX_LINE fails with -EMSGSIZE.
 * After a failure the decoder must only be freed. */
#ifndef TWILL_KUBE_WATCH_H
#define TWILL_KUBE_WATCH_H

#include <stddef.h>

#include <json-c/json.h>

#define KUBE_WATCH_MAX_LINE (64u << 20)

enum kube_event_type {
	KUBE_EVENT_ADDED,
	KUBE_EVENT_MODIFIED,
	KUBE_EVENT_DELETED,
	KUBE_EVENT_BOOKMARK,
	KUBE_EVENT_ERROR, /* object is a Status */
};

typedef int (*kube_event_fn)(enum kube_event_type type, json_object *object, void *ctx);

struct kube_watch_decoder {
	char *buf;
	size_t len;
	size_t cap;
	kube_event_fn fn;
	void *ctx;
	unsigned long events; /* decoded so far */
};

void kube_watch_decoder_init(struct kube_watch_decoder *dec, kube_event_fn fn, void *ctx);
int kube_watch_decoder_feed(struct kube_watch_decoder *dec, const char *data, size_t len);
/* Bytes of an incomplete trailing line still buffered (0 at a clean end). */
size_t kube_watch_decoder_pending(const struct kube_watch_decoder *dec);
void kube_watch_decoder_free(struct kube_watch_decoder *dec);

/* "ADDED" -> KUBE_EVENT_ADDED etc.; 0 or -EINVAL. */
int kube_event_type_parse(const char *text, enum kube_event_type *out);
const char *kube_event_type_name(enum kube_event_type type);

#endif
