/* informer: one thread runs the list/watch state machine; the cache (a json
 * object used as a hash map key -> object) and the event queue are guarded
 * by one mutex. Locking rule: the thread never calls out of this file with
 * the lock held except into json-c, and dispatch takes the whole queue under
 * the lock, then runs callbacks without it, so a handler may call
 * informer_get() without deadlocking.
 *
 * json-c reference counts are not atomic in Debian's build, so no json
 * object is ever shared between threads: cache objects belong to the
 * informer (only read, under the lock, by the accessors' deep copies), and
 * every object that leaves (events, accessors) is a fresh deep copy.
 *
 * Re-list after 410 applies informer_diff() to the cache, so the events a
 * consumer sees after a compaction are exactly the changes it missed. */
#include "informer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "log.h"

#define INFORMER_KEY_MAX 512

struct informer_event {
	struct informer_event *next;
	enum informer_change change;
	json_object *old_obj;
	json_object *new_obj;
};

struct informer {
	struct kube_client *client;
	struct kube_resource resource;
	char *namespace;
	char *label_selector;
	char *field_selector;
	struct informer_handlers handlers;
	unsigned backoff_initial_ms, backoff_max_ms;
	int watch_timeout_seconds;
	long page_size;
	void (*transform)(json_object *obj);
	bool compact; /* cache values are JSON text (json_type_string) */

	pthread_t thread;
	bool started;
	atomic_int stop;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* signalled on stop, for interruptible sleeps */
	int efd;

	/* under lock */
	json_object *cache;
	struct informer_event *head, **tail;
	bool synced;
	struct informer_stats stats;
	char resource_version[64];
};

int informer_key(json_object *obj, char *buf, size_t size)
{
	const char *name = kube_object_name(obj);
	const char *ns = kube_object_namespace(obj);
	int n;

	if (!name || !*name)
		return -EINVAL;
	n = ns && *ns ? snprintf(buf, size, "%s/%s", ns, name) : snprintf(buf, size, "%s", name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool informer_same_version(json_object *a, json_object *b)
{
	const char *ra = kube_object_resource_version(a);
	const char *rb = kube_object_resource_version(b);

	/* Without resourceVersions fall back to comparing content. */
	if (!ra || !rb)
		return json_object_equal(a, b);
	return strcmp(ra, rb) == 0;
}

int informer_diff(json_object *cache, json_object *items, informer_diff_fn fn, void *ctx)
{
	json_object *seen = NULL, *item, *old;
	char key[INFORMER_KEY_MAX];
	size_t i, n;
	int rc = 0;

	seen = json_object_new_object();
	if (!seen)
		return -ENOMEM;
	n = items && json_object_is_type(items, json_type_array) ? json_object_array_length(items)
								: 0;
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(items, i);
		if (informer_key(item, key, sizeof(key)) < 0)
			continue;
		if (json_object_object_add(seen, key, NULL)) {
			rc = -ENOMEM;
			goto out;
		}
		if (!json_object_object_get_ex(cache, key, &old))
			rc = fn(INFORMER_ADD, key, NULL, item, ctx);
		else if (!informer_same_version(old, item))
			rc = fn(INFORMER_UPDATE, key, old, item, ctx);
		if (rc)
			goto out;
	}
	{
		json_object_object_foreach(cache, ckey, cval)
		{
			if (json_object_object_get_ex(seen, ckey, NULL))
				continue;
			rc = fn(INFORMER_DELETE, ckey, cval, NULL, ctx);
			if (rc)
				goto out;
		}
	}
out:
	json_object_put(seen);
	return rc;
}

static json_object *informer_copy(json_object *src)
{
	json_object *dst = NULL;

	if (!src || json_object_deep_copy(src, &dst, NULL) < 0)
		return NULL;
	return dst;
}

/* What the cache stores for obj: obj itself (a reference) or its text. */
static json_object *informer_cache_value(const struct informer *inf, json_object *obj)
{
	const char *text;

	if (!inf->compact)
		return json_object_get(obj);
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	return text ? json_object_new_string(text) : NULL;
}

/* A new reference to the object a cache value stands for: the value itself
 * (shared; callers hand it on, never edit it) or a fresh parse. */
static json_object *informer_cache_object(const struct informer *inf, json_object *val)
{
	if (!inf->compact)
		return json_object_get(val);
	return json_tokener_parse(json_object_get_string(val));
}

/* A private copy for a consumer. */
static json_object *informer_cache_copy(const struct informer *inf, json_object *val)
{
	return inf->compact ? json_tokener_parse(json_object_get_string(val)) : informer_copy(val);
}

/* Queue an event; takes ownership of old_obj/new_obj. Lock held. */
static int informer_enqueue(struct informer *inf, enum informer_change change,
			    json_object *old_obj, json_object *new_obj)
{
	struct informer_event *ev = calloc(1, sizeof(*ev));

	if (!ev) {
		json_object_put(old_obj);
		json_object_put(new_obj);
		return -ENOMEM;
	}
	ev->change = change;
	ev->old_obj = old_obj;
	ev->new_obj = new_obj;
	*inf->tail = ev;
	inf->tail = &ev->next;
	inf->stats.events++;
	return 0;
}

/* Apply one change to the cache and queue its event. new_obj is borrowed
 * (the cache takes its own reference). Lock held. */
/* Compact caches queue the cached text itself (strings are never edited,
 * so sharing the reference is safe) and informer_dispatch() parses it: a
 * list of thousands of objects then queues no copies. */
static int informer_apply_compact(struct informer *inf, enum informer_change change,
				  const char *key, json_object *new_obj)
{
	json_object *old = NULL, *parsed, *val = NULL;
	bool same;

	if (json_object_object_get_ex(inf->cache, key, &old))
		json_object_get(old); /* survive removal; the event owns it now */
	if (change == INFORMER_DELETE) {
		if (!old)
			return 0;
		json_object_object_del(inf->cache, key);
		return informer_enqueue(inf, INFORMER_DELETE, old, NULL);
	}
	if (old) {
		parsed = json_tokener_parse(json_object_get_string(old));
		if (!parsed) {
			json_object_put(old);
			return -ENOMEM;
		}
		same = informer_same_version(parsed, new_obj);
		json_object_put(parsed);
		if (same) {
			json_object_put(old);
			return 0;
		}
	}
	val = informer_cache_value(inf, new_obj);
	if (!val || json_object_object_add(inf->cache, key, json_object_get(val))) {
		json_object_put(val);
		json_object_put(val);
		json_object_put(old);
		return -ENOMEM;
	}
	return informer_enqueue(inf, old ? INFORMER_UPDATE : INFORMER_ADD, old, val);
}

static int informer_apply(struct informer *inf, enum informer_change change, const char *key,
			  json_object *new_obj)
{
	json_object *old = NULL, *copy = NULL;

	if (inf->compact)
		return informer_apply_compact(inf, change, key, new_obj);
	if (json_object_object_get_ex(inf->cache, key, &old))
		json_object_get(old); /* survive removal; the event owns it now */
	if (change == INFORMER_DELETE) {
		if (!old)
			return 0; /* never seen: nothing to tell */
		json_object_object_del(inf->cache, key);
		return informer_enqueue(inf, INFORMER_DELETE, old, NULL);
	}
	if (old && informer_same_version(old, new_obj)) {
		json_object_put(old);
		return 0;
	}
	copy = informer_copy(new_obj);
	if (!copy || json_object_object_add(inf->cache, key, json_object_get(new_obj))) {
		json_object_put(copy);
		json_object_put(old);
		return -ENOMEM;
	}
	return informer_enqueue(inf, old ? INFORMER_UPDATE : INFORMER_ADD, old, copy);
}

static void informer_signal(struct informer *inf)
{
	uint64_t one = 1;

	if (write(inf->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, the fd is readable anyway. */
	}
}

struct informer_relist {
	struct informer *inf;
	int rc;
};

static int informer_relist_change(enum informer_change change, const char *key,
				  json_object *old_obj, json_object *new_obj, void *ctx)
{
	struct informer_relist *r = ctx;

	r->rc = informer_apply(r->inf, change, key, new_obj);
	return r->rc;
}

static int informer_list_once(struct informer *inf)
{
	struct kube_list_opts opts = {
		.label_selector = inf->label_selector,
		.field_selector = inf->field_selector,
		.page_size = inf->page_size,
		.transform = inf->transform, /* trimmed page by page, not after the whole list */
	};
	struct informer_relist r = { inf, 0 };
	struct kube_error err = { 0 };
	json_object *list = NULL, *items = NULL;
	const char *rv;
	char listed_rv[64];
	int rc;

	rc = kube_list(inf->client, &inf->resource, inf->namespace, &opts, &list, &err);
	if (rc) {
		log_warn("event=informer_list_failed resource=%s err=\"%s\"", inf->resource.plural,
			 err.message);
		return rc;
	}
	json_object_object_get_ex(list, "items", &items);
	rv = kube_object_resource_version(list);
	pthread_mutex_lock(&inf->lock);
	/* The diff walks the cache while apply edits it: diff against a
	 * snapshot of the keys' objects so deletions do not disturb it. */
	{
		json_object *snapshot = json_object_new_object();

		if (!snapshot) {
			rc = -ENOMEM;
		} else {
			json_object_object_foreach(inf->cache, k, v)
			{
				json_object *o = informer_cache_object(inf, v);

				if (!o || json_object_object_add(snapshot, k, o)) {
					json_object_put(o);
					rc = -ENOMEM;
					break;
				}
			}
			if (!rc)
				rc = informer_diff(snapshot, items, informer_relist_change, &r);
			json_object_put(snapshot);
		}
	}
	snprintf(inf->resource_version, sizeof(inf->resource_version), "%s", rv ? rv : "");
	snprintf(listed_rv, sizeof(listed_rv), "%s", rv ? rv : "");
	/* Freed before anyone learns the list is in: a consumer that trims its
	 * heap once in sync (felix) then sees the whole list's memory free. */
	json_object_put(list); /* rv points into it */
	if (!rc) {
		if (inf->synced)
			inf->stats.relists++;
		inf->stats.lists++;
		inf->synced = true;
	}
	pthread_mutex_unlock(&inf->lock);
	informer_signal(inf);
	log_info("event=informer_listed resource=%s resourceVersion=%s",
		 inf->resource.plural, listed_rv);
	return rc;
}

static int informer_watch_event(enum kube_event_type type, json_object *object, void *ctx)
{
	struct informer *inf = ctx;
	char key[INFORMER_KEY_MAX];
	const char *rv = kube_object_resource_version(object);
	int rc = 0;

	pthread_mutex_lock(&inf->lock);
	if (rv && *rv)
		snprintf(inf->resource_version, sizeof(inf->resource_version), "%s", rv);
	if (type != KUBE_EVENT_BOOKMARK && informer_key(object, key, sizeof(key)) == 0) {
		if (inf->transform) /* listed objects met it in kube_list, page by page */
			inf->transform(object);
		rc = informer_apply(inf, type == KUBE_EVENT_DELETED ? INFORMER_DELETE : INFORMER_ADD,
				    key, object);
	}
	pthread_mutex_unlock(&inf->lock);
	if (type != KUBE_EVENT_BOOKMARK)
		informer_signal(inf);
	return rc;
}

/* Sleep up to ms, returning early when stopping. */
static void informer_sleep(struct informer *inf, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&inf->lock);
	while (!atomic_load(&inf->stop))
		if (pthread_cond_timedwait(&inf->wake, &inf->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&inf->lock);
}

static void informer_count(struct informer *inf, unsigned long *counter)
{
	pthread_mutex_lock(&inf->lock);
	(*counter)++;
	pthread_mutex_unlock(&inf->lock);
}

static void *informer_thread(void *arg)
{
	struct informer *inf = arg;
	struct backoff backoff;
	bool need_list = true;
	char rv[64];
	int rc;

	backoff_init(&backoff, inf->backoff_initial_ms, inf->backoff_max_ms,
		     (uint64_t)(uintptr_t)inf ^ (uint64_t)time(NULL));
	while (!atomic_load(&inf->stop)) {
		struct kube_watch_opts wopts = {
			.label_selector = inf->label_selector,
			.field_selector = inf->field_selector,
			.timeout_seconds = inf->watch_timeout_seconds,
			.bookmarks = true,
			.cancel = &inf->stop,
		};
		struct kube_error err = { 0 };

		if (need_list) {
			rc = informer_list_once(inf);
			if (rc) {
				informer_count(inf, &inf->stats.errors);
				informer_sleep(inf, backoff_next(&backoff));
				continue;
			}
			need_list = false;
		}
		pthread_mutex_lock(&inf->lock);
		snprintf(rv, sizeof(rv), "%s", inf->resource_version);
		inf->stats.watches++;
		pthread_mutex_unlock(&inf->lock);
		wopts.resource_version = rv;
		rc = kube_watch(inf->client, &inf->resource, inf->namespace, &wopts,
				informer_watch_event, inf, &err);
		if (atomic_load(&inf->stop))
			break;
		if (rc == 0) {
			/* The server closed the stream (timeoutSeconds): resume. */
			informer_count(inf, &inf->stats.watch_reconnects);
			backoff_reset(&backoff);
			continue;
		}
		if (rc == -ESTALE) {
			log_info("event=informer_expired resource=%s resourceVersion=%s",
				 inf->resource.plural, rv);
			informer_count(inf, &inf->stats.expired);
			need_list = true;
			continue;
		}
		log_warn("event=informer_watch_failed resource=%s err=\"%s\"", inf->resource.plural,
			 err.message[0] ? err.message : "callback failed");
		informer_count(inf, &inf->stats.errors);
		need_list = true;
		informer_sleep(inf, backoff_next(&backoff));
	}
	return NULL;
}

static int informer_strdup(const char *src, char **dst)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int informer_new(struct kube_client *client, const struct informer_options *opts,
		 struct informer **out)
{
	struct informer *inf;
	pthread_condattr_t attr;

	*out = NULL;
	if (!client || !opts || !opts->resource.version || !opts->resource.plural)
		return -EINVAL;
	inf = calloc(1, sizeof(*inf));
	if (!inf)
		return -ENOMEM;
	inf->client = client;
	inf->resource = opts->resource;
	inf->handlers = opts->handlers;
	inf->backoff_initial_ms = opts->backoff_initial_ms ? opts->backoff_initial_ms : 200;
	inf->backoff_max_ms = opts->backoff_max_ms ? opts->backoff_max_ms : 30000;
	inf->watch_timeout_seconds = opts->watch_timeout_seconds;
	inf->page_size = opts->page_size;
	inf->transform = opts->transform;
	inf->compact = opts->compact_cache;
	inf->tail = &inf->head;
	inf->efd = -1;
	pthread_mutex_init(&inf->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&inf->wake, &attr);
	pthread_condattr_destroy(&attr);
	inf->cache = json_object_new_object();
	inf->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!inf->cache || inf->efd < 0 || informer_strdup(opts->namespace, &inf->namespace) ||
	    informer_strdup(opts->label_selector, &inf->label_selector) ||
	    informer_strdup(opts->field_selector, &inf->field_selector)) {
		int rc = inf->efd < 0 ? -errno : -ENOMEM;

		informer_free(inf);
		return rc;
	}
	*out = inf;
	return 0;
}

int informer_start(struct informer *inf)
{
	int rc;

	if (inf->started)
		return -EALREADY;
	rc = pthread_create(&inf->thread, NULL, informer_thread, inf);
	if (rc)
		return -rc;
	inf->started = true;
	return 0;
}

int informer_fd(const struct informer *inf)
{
	return inf->efd;
}

static void informer_event_free(struct informer_event *ev)
{
	json_object_put(ev->old_obj);
	json_object_put(ev->new_obj);
	free(ev);
}

/* Compact caches queue text: turn it into the private objects handlers
 * are promised. false on -ENOMEM. */
static bool informer_event_parse(struct informer_event *ev)
{
	json_object **slots[2] = { &ev->old_obj, &ev->new_obj };
	size_t i;

	for (i = 0; i < 2; i++) {
		json_object *text = *slots[i], *obj;

		if (!text)
			continue;
		obj = json_tokener_parse(json_object_get_string(text));
		if (!obj)
			return false;
		json_object_put(text);
		*slots[i] = obj;
	}
	return true;
}

int informer_dispatch(struct informer *inf)
{
	const struct informer_handlers *h = &inf->handlers;
	struct informer_event *list, *ev;
	uint64_t count;
	int n = 0;

	if (read(inf->efd, &count, sizeof(count)) < 0) {
		/* EAGAIN: nothing signalled; the queue may still hold events. */
	}
	pthread_mutex_lock(&inf->lock);
	list = inf->head;
	inf->head = NULL;
	inf->tail = &inf->head;
	pthread_mutex_unlock(&inf->lock);
	while ((ev = list) != NULL) {
		list = ev->next;
		if (inf->compact && !informer_event_parse(ev)) {
			log_error("event=informer_event_dropped resource=%s err=%d",
				  inf->resource.plural, -ENOMEM);
			informer_event_free(ev);
			continue;
		}
		switch (ev->change) {
		case INFORMER_ADD:
			if (h->on_add)
				h->on_add(ev->new_obj, h->ctx);
			break;
		case INFORMER_UPDATE:
			if (h->on_update)
				h->on_update(ev->old_obj, ev->new_obj, h->ctx);
			break;
		case INFORMER_DELETE:
			if (h->on_delete)
				h->on_delete(ev->old_obj, h->ctx);
			break;
		}
		informer_event_free(ev);
		n++;
	}
	return n;
}

bool informer_synced(struct informer *inf)
{
	bool synced;

	pthread_mutex_lock(&inf->lock);
	synced = inf->synced;
	pthread_mutex_unlock(&inf->lock);
	return synced;
}

json_object *informer_get(struct informer *inf, const char *ns, const char *name)
{
	char key[INFORMER_KEY_MAX];
	json_object *obj, *copy = NULL;
	int n;

	if (!name)
		return NULL;
	n = ns && *ns ? snprintf(key, sizeof(key), "%s/%s", ns, name)
		      : snprintf(key, sizeof(key), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	pthread_mutex_lock(&inf->lock);
	if (json_object_object_get_ex(inf->cache, key, &obj))
		copy = informer_cache_copy(inf, obj);
	pthread_mutex_unlock(&inf->lock);
	return copy;
}

json_object *informer_list_matching(struct informer *inf,
				    bool (*match)(json_object *obj, void *ctx), void *ctx)
{
	json_object *arr = json_object_new_array(), *copy;

	if (!arr)
		return NULL;
	pthread_mutex_lock(&inf->lock);
	{
		json_object_object_foreach(inf->cache, key, obj)
		{
			(void)key;
			if (inf->compact) {
				copy = informer_cache_copy(inf, obj);
				if (copy && match && !match(copy, ctx)) {
					json_object_put(copy);
					continue;
				}
			} else {
				if (match && !match(obj, ctx))
					continue;
				copy = informer_copy(obj);
			}
			if (!copy || json_object_array_add(arr, copy)) {
				json_object_put(copy);
				json_object_put(arr);
				arr = NULL;
				break;
			}
		}
	}
	pthread_mutex_unlock(&inf->lock);
	return arr;
}

json_object *informer_list(struct informer *inf)
{
	return informer_list_matching(inf, NULL, NULL);
}

void informer_stats(struct informer *inf, struct informer_stats *out)
{
	pthread_mutex_lock(&inf->lock);
	*out = inf->stats;
	pthread_mutex_unlock(&inf->lock);
}

void informer_free(struct informer *inf)
{
	struct informer_event *ev;

	if (!inf)
		return;
	if (inf->started) {
		pthread_mutex_lock(&inf->lock);
		atomic_store(&inf->stop, 1);
		pthread_cond_broadcast(&inf->wake);
		pthread_mutex_unlock(&inf->lock);
		pthread_join(inf->thread, NULL);
	}
	while ((ev = inf->head) != NULL) {
		inf->head = ev->next;
		informer_event_free(ev);
	}
	json_object_put(inf->cache);
	if (inf->efd >= 0)
		close(inf->efd);
	pthread_cond_destroy(&inf->wake);
	pthread_mutex_destroy(&inf->lock);
	free(inf->namespace);
	free(inf->label_selector);
	free(inf->field_selector);
	free(inf);
}
