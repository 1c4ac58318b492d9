/* informer: a list+watch cache of one Kubernetes resource, for event-loop
 * daemons.
 *
 * A background thread lists the resource, then watches from the list's
 * resourceVersion, keeping a cache keyed by "namespace/name" (or "name" for
 * cluster resources):
 *   - a watch that ends normally (server timeout) is re-opened from the last
 *     seen resourceVersion;
 *   - a 410 Gone/Expired (the revision was compacted), and any other failure
 *     after a capped, jittered backoff (lib/backoff), leads to a re-list whose
 *     result is diffed against the cache: only real differences become events
 *     (add for new keys, update for a changed resourceVersion, delete for keys
 *     that vanished), so consumers never see a spurious storm after a re-list.
 * Callbacks never run on that thread. Events are queued and informer_fd()
 * (an eventfd) becomes readable; the owner's event loop calls
 * informer_dispatch(), which runs the handlers on the caller's thread in the
 * order the changes were observed.
 *
 * Objects handed to callbacks and returned by accessors are private deep
 * copies: the callee may keep them (json_object_get) or modify them freely.
 * Accessors (informer_get/list/synced/stats) are safe from any thread.
 * informer_free() stops the thread (it interrupts a watch within about a
 * second) and drops undelivered events. */
#ifndef TWILL_INFORMER_H
#define TWILL_INFORMER_H

#include <stdbool.h>

#include <json-c/json.h>

#include "kube_client.h"

struct informer_handlers {
	void (*on_add)(json_object *obj, void *ctx);
	void (*on_update)(json_object *old_obj, json_object *new_obj, void *ctx);
	void (*on_delete)(json_object *obj, void *ctx);
	void *ctx;
};

struct informer_options {
	struct kube_resource resource; /* strings must outlive the informer */
	const char *namespace;         /* NULL: all namespaces */
	const char *label_selector;
	const char *field_selector;
	struct informer_handlers handlers;
	unsigned backoff_initial_ms;   /* 0: 200 */
	unsigned backoff_max_ms;       /* 0: 30000 */
	int watch_timeout_seconds;     /* 0: 300 */
	long page_size;                /* 0: kube_list default */
	/* Optional, like client-go's SetTransform: called on the informer's
	 * thread with each listed or watched object before it is cached or
	 * handed to a handler, to drop what the consumer never reads (memory).
	 * It edits obj in place and must keep metadata.name, .namespace and
	 * .resourceVersion. Must be pure (no shared state). Listed objects meet
	 * it as their page arrives (kube_list_opts.transform), watched ones as
	 * their event arrives: once each. */
	void (*transform)(json_object *obj);
	/* Keep cached objects serialised (a json-c tree costs ~20x the text
	 * for small objects: a 16-slot hash table per JSON object). Queued
	 * events share that text; get/list/dispatch parse a private copy. For
	 * large caches of small objects (all pods of a cluster). */
	bool compact_cache;
};

struct informer_stats {
	unsigned long lists;            /* successful lists, initial included */
	unsigned long relists;          /* lists after the initial one */
	unsigned long watches;          /* watch streams opened */
	unsigned long watch_reconnects; /* normal stream ends, re-watched */
	unsigned long expired;          /* 410 Gone seen */
	unsigned long errors;           /* failed lists/watches */
	unsigned long events;           /* changes queued */
};

struct informer;

/* The client must outlive the informer. 0, -EINVAL or -ENOMEM. */
int informer_new(struct kube_client *client, const struct informer_options *opts,
		 struct informer **out);
/* Start the thread (once). 0 or -errno. */
int informer_start(struct informer *inf);
/* Readable when events are queued. Owned by the informer. */
int informer_fd(const struct informer *inf);
/* Run queued callbacks on this thread; returns how many changes ran. */
int informer_dispatch(struct informer *inf);
/* The initial list has completed (its events may still be undispatched). */
bool informer_synced(struct informer *inf);
/* Deep copy of the cached object, or NULL. ns NULL for cluster resources. */
json_object *informer_get(struct informer *inf, const char *ns, const char *name);
/* New array of deep copies of every cached object (NULL on -ENOMEM). */
json_object *informer_list(struct informer *inf);
/* The same restricted to objects match() accepts (it gets a borrowed
 * object; called under the informer's lock, so it must not call back into
 * the informer). Memory stays proportional to the result, not the cache. */
json_object *informer_list_matching(struct informer *inf,
				    bool (*match)(json_object *obj, void *ctx), void *ctx);
void informer_stats(struct informer *inf, struct informer_stats *out);
void informer_free(struct informer *inf);

/* ---- pure parts, exposed for tests ---- */

enum informer_change {
	INFORMER_ADD,
	INFORMER_UPDATE,
	INFORMER_DELETE,
};

/* Cache key of an object: "ns/name" or "name". 0, -EINVAL (no name),
 * -ENAMETOOLONG. */
int informer_key(json_object *obj, char *buf, size_t size);

/* Called once per difference. old_obj is the cached object (NULL for add),
 * new_obj the listed one (NULL for delete); both borrowed. Non-zero return
 * stops the diff and is returned. */
typedef int (*informer_diff_fn)(enum informer_change change, const char *key,
				json_object *old_obj, json_object *new_obj, void *ctx);

/* Difference between cache (a json object mapping key -> object) and items
 * (an array of listed objects): adds and updates in list order, then
 * deletes. Items without a name are skipped. Pure: neither input changes. */
int informer_diff(json_object *cache, json_object *items, informer_diff_fn fn, void *ctx);

#endif
