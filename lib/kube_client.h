/* kube_client: typed-enough access to the Kubernetes REST API.
 *
 * Resources are described by struct kube_resource (no dependency on the
 * model): core resources have group "" (paths /api/v1/...), others
 * /apis/<group>/<version>/.... Objects go in and out as json-c objects; the
 * caller owns every *out reference.
 *
 * Errors: every call returns 0 or a negative errno and fills the optional
 * struct kube_error with one readable line. HTTP errors follow the mapping in
 * kube_status.h (-ENOENT, -EEXIST, -EAGAIN for a 409 Conflict, -ESTALE for
 * 410, -EACCES for 401, ...); transport errors follow lib/http (-ETIMEDOUT,
 * -ECONNREFUSED, -EHOSTUNREACH, -EHOSTDOWN, -EPROTO for TLS).
 *
 * Concurrency: all calls may be made from several threads on one client
 * (plain requests serialise on one kept-alive connection; each watch uses
 * its own). Counters in kube_client_stats are atomic. A token_file is read
 * at kube_client_new(), again at most every 60 seconds (KUBE_TOKEN_REFRESH_S),
 * and at once when the server answers 401 (the request is then retried). */
#ifndef TWILL_KUBE_CLIENT_H
#define TWILL_KUBE_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "kube_status.h"
#include "kube_watch.h"
#include "kubeconfig.h"

struct kube_resource {
	const char *group; /* "" or NULL for core */
	const char *version;
	const char *plural;
	bool namespaced;
};

struct kube_list_opts {
	const char *label_selector; /* NULL: all */
	const char *field_selector;
	long page_size;             /* limit per request; 0: 500 */
	/* Applied to every item as its page arrives (NULL: none), so the list
	 * kube_list returns holds only what the caller keeps and at most one
	 * page of whole objects is in memory at a time. */
	void (*transform)(json_object *item);
};

struct kube_watch_opts {
	const char *resource_version; /* NULL/"": from "now" (server's choice) */
	const char *label_selector;
	const char *field_selector;
	int timeout_seconds;          /* server-side; 0: 300 */
	bool bookmarks;               /* allowWatchBookmarks=true */
	const atomic_int *cancel;     /* raised -> -ECANCELED soon after */
};

struct kube_client_stats {
	unsigned long requests;
	unsigned long errors;     /* non-2xx + transport failures */
	unsigned long conflicts;  /* 409 Conflict seen by updates */
	unsigned long watches;    /* watch streams opened */
};

struct kube_client;

/* 0, -EINVAL (no server / no CA / unreadable token file) or -ENOMEM. */
int kube_client_new(const struct kube_config *cfg, struct kube_client **out);
/* Same, overriding connect/total timeouts (ms, 0 = default). */
int kube_client_new_timeouts(const struct kube_config *cfg, long connect_ms, long total_ms,
			     struct kube_client **out);
void kube_client_free(struct kube_client *client);
/* New connect/total timeouts for the requests that start afterwards (as at
 * kube_client_new_timeouts; the kept connection stays). */
void kube_client_set_timeouts(struct kube_client *client, long connect_ms, long total_ms);
/* The kubeconfig's namespace ("default" when it named none). */
const char *kube_client_namespace(const struct kube_client *client);
void kube_client_stats(const struct kube_client *client, struct kube_client_stats *out);

/* Path of a collection (name NULL) or object. For a namespaced resource ns
 * NULL means all namespaces (collection only). Segments are %-escaped.
 * 0, -EINVAL (missing version/plural, name on all-namespaces) or
 * -ENAMETOOLONG. */
int kube_path(char *buf, size_t size, const struct kube_resource *res, const char *ns,
	      const char *name);
/* Append "?key=value" or "&key=value" with value %-escaped (RFC 3986
 * unreserved characters kept). 0 or -ENAMETOOLONG. */
int kube_query_append(char *buf, size_t size, const char *key, const char *value);

int kube_get(struct kube_client *c, const struct kube_resource *res, const char *ns,
	     const char *name, json_object **out, struct kube_error *err);
/* All pages merged into one List object: "items" holds every item and
 * metadata.resourceVersion is the snapshot's (to start a watch from).
 * opts may be NULL. An expired continue token gives -ESTALE. */
int kube_list(struct kube_client *c, const struct kube_resource *res, const char *ns,
	      const struct kube_list_opts *opts, json_object **out, struct kube_error *err);
/* out may be NULL when the caller does not need the stored object. */
int kube_create(struct kube_client *c, const struct kube_resource *res, const char *ns,
		json_object *obj, json_object **out, struct kube_error *err);
/* PUT; the object's metadata.resourceVersion is the precondition (a stale
 * one gives -EAGAIN). name NULL: metadata.name. */
int kube_update(struct kube_client *c, const struct kube_resource *res, const char *ns,
		const char *name, json_object *obj, json_object **out, struct kube_error *err);
/* JSON merge patch (RFC 7386). */
int kube_patch_merge(struct kube_client *c, const struct kube_resource *res, const char *ns,
		     const char *name, json_object *patch, json_object **out,
		     struct kube_error *err);
/* resource_version non-NULL: delete only that version (-EAGAIN otherwise). */
int kube_delete(struct kube_client *c, const struct kube_resource *res, const char *ns,
		const char *name, const char *resource_version, struct kube_error *err);

/* Compare-and-swap: mutate edits obj in place and returns 0 to write it,
 * > 0 when no write is needed, < 0 to abort with that error. It is called on
 * a freshly read object at every attempt, so it must be a pure function of
 * (obj, ctx). On 409 the object is re-read and mutate re-run, at most
 * max_retries times after the first attempt (-EAGAIN when exhausted). */
typedef int (*kube_mutate_fn)(json_object *obj, void *ctx);
int kube_update_cas(struct kube_client *c, const struct kube_resource *res, const char *ns,
		    const char *name, kube_mutate_fn mutate, void *ctx, int max_retries,
		    json_object **out, struct kube_error *err);

/* Stream events until the server ends the watch (0), the callback returns
 * non-zero (> 0: 0 returned; < 0: returned), cancel is raised (-ECANCELED),
 * or an error. ERROR events are not passed to fn: a 410 Gone/Expired one
 * ends the watch with -ESTALE (re-list needed), others with their mapped
 * errno; err describes it. */
int kube_watch(struct kube_client *c, const struct kube_resource *res, const char *ns,
	       const struct kube_watch_opts *opts, kube_event_fn fn, void *ctx,
	       struct kube_error *err);

/* metadata.name / namespace / resourceVersion of an object, or NULL. */
const char *kube_object_name(json_object *obj);
const char *kube_object_namespace(json_object *obj);
const char *kube_object_resource_version(json_object *obj);

#endif
