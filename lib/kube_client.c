/* kube_client: builds REST paths from a struct kube_resource, sends them
 * through lib/http and turns every non-2xx answer into a kube_error via
 * kube_status. One helper, kube_call(), performs all unary requests so that
 * counting, error reporting and body parsing happen in exactly one place.
 *
 * Paths are built into fixed buffers (KUBE_URL_MAX); anything longer is
 * refused with -ENAMETOOLONG rather than truncated, because a truncated
 * selector would silently widen a list. List pagination is internal: pages
 * are appended into the first page's "items" so callers see one List whose
 * resourceVersion is the consistent snapshot a watch may start from. */
#include "kube_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "log.h"

#define KUBE_URL_MAX 4096
#define KUBE_TOKEN_MAX (64 * 1024)
/* Re-read a tokenFile this often (client-go: every minute); kubelet rotates
 * projected service-account tokens well before they expire. */
#define KUBE_TOKEN_REFRESH_S 60

struct kube_client {
	struct http_client *http;
	char *server;
	char *namespace;
	char *token_file;            /* set when the token came from a file */
	char *token;                 /* the token last read from it */
	time_t token_read_at;        /* CLOCK_MONOTONIC seconds */
	pthread_mutex_t token_lock;
	atomic_ulong requests;
	atomic_ulong errors;
	atomic_ulong conflicts;
	atomic_ulong watches;
};

static const char *kube_meta_string(json_object *obj, const char *key)
{
	json_object *meta, *value;

	if (!obj || !json_object_object_get_ex(obj, "metadata", &meta) ||
	    !json_object_object_get_ex(meta, key, &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

const char *kube_object_name(json_object *obj)
{
	return kube_meta_string(obj, "name");
}

const char *kube_object_namespace(json_object *obj)
{
	return kube_meta_string(obj, "namespace");
}

const char *kube_object_resource_version(json_object *obj)
{
	return kube_meta_string(obj, "resourceVersion");
}

static int kube_is_unreserved(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* Append text to buf at *pos, %-escaping when escape is set. */
static int kube_append(char *buf, size_t size, size_t *pos, const char *text, int escape)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p; p++) {
		if (!escape || kube_is_unreserved(*p)) {
			if (*pos + 1 >= size)
				return -ENAMETOOLONG;
			buf[(*pos)++] = (char)*p;
		} else {
			if (*pos + 3 >= size)
				return -ENAMETOOLONG;
			buf[(*pos)++] = '%';
			buf[(*pos)++] = hex[*p >> 4];
			buf[(*pos)++] = hex[*p & 15];
		}
	}
	buf[*pos] = '\0';
	return 0;
}

int kube_path(char *buf, size_t size, const struct kube_resource *res, const char *ns,
	      const char *name)
{
	size_t pos = 0;
	int rc;

	if (!buf || size == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (!res || !res->version || !*res->version || !res->plural || !*res->plural)
		return -EINVAL;
	if ((ns && !*ns) || (name && !*name))
		return -EINVAL;
	/* A namespaced object needs its namespace; cluster ones have none. */
	if (res->namespaced && name && !ns)
		return -EINVAL;
	if (!res->namespaced)
		ns = NULL;
	if (res->group && *res->group) {
		rc = kube_append(buf, size, &pos, "/apis/", 0);
		rc = rc ? rc : kube_append(buf, size, &pos, res->group, 1);
		rc = rc ? rc : kube_append(buf, size, &pos, "/", 0);
	} else {
		rc = kube_append(buf, size, &pos, "/api/", 0);
	}
	rc = rc ? rc : kube_append(buf, size, &pos, res->version, 1);
	if (ns) {
		rc = rc ? rc : kube_append(buf, size, &pos, "/namespaces/", 0);
		rc = rc ? rc : kube_append(buf, size, &pos, ns, 1);
	}
	rc = rc ? rc : kube_append(buf, size, &pos, "/", 0);
	rc = rc ? rc : kube_append(buf, size, &pos, res->plural, 1);
	if (name) {
		rc = rc ? rc : kube_append(buf, size, &pos, "/", 0);
		rc = rc ? rc : kube_append(buf, size, &pos, name, 1);
	}
	if (rc)
		buf[0] = '\0';
	return rc;
}

int kube_query_append(char *buf, size_t size, const char *key, const char *value)
{
	size_t pos = strlen(buf), saved = pos;
	int rc;

	rc = kube_append(buf, size, &pos, strchr(buf, '?') ? "&" : "?", 0);
	rc = rc ? rc : kube_append(buf, size, &pos, key, 1);
	rc = rc ? rc : kube_append(buf, size, &pos, "=", 0);
	rc = rc ? rc : kube_append(buf, size, &pos, value ? value : "", 1);
	if (rc)
		buf[saved] = '\0';
	return rc;
}

static int kube_read_token_file(const char *path, char **out)
{
	char *buf = NULL;
	size_t n;
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	buf = malloc(KUBE_TOKEN_MAX + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	n = fread(buf, 1, KUBE_TOKEN_MAX, f);
	if (ferror(f)) {
		rc = -EIO;
		goto out;
	}
	buf[n] = '\0';
	/* Token files usually end in a newline that is not part of the token. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	*out = buf;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return rc;
}

void kube_client_free(struct kube_client *client)
{
	if (!client)
		return;
	http_client_free(client->http);
	free(client->server);
	free(client->namespace);
	free(client->token_file);
	if (client->token) {
		memset(client->token, 0, strlen(client->token));
		free(client->token);
	}
	pthread_mutex_destroy(&client->token_lock);
	free(client);
}

void kube_client_set_timeouts(struct kube_client *c, long connect_ms, long total_ms)
{
	http_client_set_timeouts(c->http, connect_ms, total_ms);
}

int kube_client_new_timeouts(const struct kube_config *cfg, long connect_ms, long total_ms,
			     struct kube_client **out)
{
	struct http_options opts = { 0 };
	struct kube_client *c = NULL;
	char *token = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->server || !*cfg->server || (!cfg->ca_file && !cfg->ca_data))
		return -EINVAL;
	if (!cfg->token && cfg->token_file) {
		rc = kube_read_token_file(cfg->token_file, &token);
		if (rc) {
			log_error("event=kube_token_read file=%s err=\"%s\"", cfg->token_file,
				  strerror(-rc));
			return -EINVAL;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	pthread_mutex_init(&c->token_lock, NULL);
	if (token) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		c->token_read_at = now.tv_sec;
		c->token_file = strdup(cfg->token_file);
		c->token = strdup(token);
		if (!c->token_file || !c->token) {
			rc = -ENOMEM;
			goto out;
		}
	}
	c->server = strdup(cfg->server);
	c->namespace = strdup(cfg->namespace && *cfg->namespace ? cfg->namespace : "default");
	if (!c->server || !c->namespace) {
		rc = -ENOMEM;
		goto out;
	}
	len = strlen(c->server);
	while (len > 0 && c->server[len - 1] == '/')
		c->server[--len] = '\0';
	opts.ca_file = cfg->ca_file;
	opts.ca_pem = cfg->ca_file ? NULL : cfg->ca_data;
	opts.token = cfg->token ? cfg->token : token;
	opts.cert_file = cfg->client_cert_file;
	opts.cert_pem = cfg->client_cert_file ? NULL : cfg->client_cert_data;
	opts.key_file = cfg->client_key_file;
	opts.key_pem = cfg->client_key_file ? NULL : cfg->client_key_data;
	opts.connect_timeout_ms = connect_ms;
	opts.timeout_ms = total_ms;
	rc = http_client_new(&opts, &c->http);
	if (rc)
		goto out;
	*out = c;
	c = NULL;
out:
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	kube_client_free(c);
	return rc;
}

int kube_client_new(const struct kube_config *cfg, struct kube_client **out)
{
	return kube_client_new_timeouts(cfg, 0, 0, out);
}

const char *kube_client_namespace(const struct kube_client *client)
{
	return client->namespace;
}

void kube_client_stats(const struct kube_client *client, struct kube_client_stats *out)
{
	out->requests = atomic_load(&client->requests);
	out->errors = atomic_load(&client->errors);
	out->conflicts = atomic_load(&client->conflicts);
	out->watches = atomic_load(&client->watches);
}

static int kube_parse_json(const char *body, size_t len, json_object **out)
{
	struct json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;

	*out = NULL;
	if (!body || len == 0 || len > (size_t)INT32_MAX)
		return -EBADMSG;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!obj || jerr != json_tokener_success) {
		json_object_put(obj);
		return -EBADMSG;
	}
	*out = obj;
	return 0;
}

/* One unary request. path is the display path (no query), url_path the
 * path plus query. */
/* Re-read the token file when it is due (or now, when force: the server
 * just answered 401). Returns true when the token changed, so the caller may
 * retry once. A file that cannot be read keeps the previous token. */
static bool kube_token_refresh(struct kube_client *c, bool force)
{
	struct timespec now;
	char *token = NULL;
	bool changed = false;
	int rc;

	if (!c->token_file)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&c->token_lock);
	if (!force && now.tv_sec - c->token_read_at < KUBE_TOKEN_REFRESH_S)
		goto out;
	c->token_read_at = now.tv_sec;
	rc = kube_read_token_file(c->token_file, &token);
	if (rc) {
		log_warn("event=kube_token_reread file=%s err=\"%s\" action=keep_previous",
			 c->token_file, strerror(-rc));
		goto out;
	}
	if (strcmp(token, c->token) == 0 || http_client_set_token(c->http, token) < 0)
		goto out;
	memset(c->token, 0, strlen(c->token));
	free(c->token);
	c->token = token;
	token = NULL;
	changed = true;
	log_info("event=kube_token_rotated file=%s", c->token_file);
out:
	pthread_mutex_unlock(&c->token_lock);
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	return changed;
}

static int kube_call(struct kube_client *c, const char *method, const char *path,
		     const char *url_path, json_object *body, const char *content_type,
		     json_object **out, struct kube_error *err)
{
	struct http_response resp;
	char url[KUBE_URL_MAX + 512];
	const char *text = NULL;
	size_t text_len = 0;
	int rc;

	if (out)
		*out = NULL;
	if (snprintf(url, sizeof(url), "%s%s", c->server, url_path) >= (int)sizeof(url))
		return -ENAMETOOLONG;
	if (body) {
		text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
		text_len = strlen(text);
	}
	kube_token_refresh(c, false);
	atomic_fetch_add(&c->requests, 1);
	rc = http_request(c->http, method, url, text, text_len, content_type, &resp);
	if (rc == 0 && resp.status == 401 && kube_token_refresh(c, true)) {
		/* The token file was rotated under us: one retry with the new token. */
		http_response_clear(&resp);
		atomic_fetch_add(&c->requests, 1);
		rc = http_request(c->http, method, url, text, text_len, content_type, &resp);
	}
	if (rc) {
		atomic_fetch_add(&c->errors, 1);
		kube_error_transport(err, method, path, rc, resp.error);
		goto out;
	}
	if (resp.status < 200 || resp.status > 299) {
		atomic_fetch_add(&c->errors, 1);
		rc = kube_status_parse(method, path, (int)resp.status, resp.body, resp.body_len, err);
		if (rc == -EAGAIN)
			atomic_fetch_add(&c->conflicts, 1);
		goto out;
	}
	if (out) {
		rc = kube_parse_json(resp.body, resp.body_len, out);
		if (rc) {
			atomic_fetch_add(&c->errors, 1);
			kube_error_transport(err, method, path, rc,
					     "response body is not valid JSON");
		}
	}
out:
	http_response_clear(&resp);
	return rc;
}

int kube_get(struct kube_client *c, const struct kube_resource *res, const char *ns,
	     const char *name, json_object **out, struct kube_error *err)
{
	char path[KUBE_URL_MAX];
	int rc;

	*out = NULL;
	rc = kube_path(path, sizeof(path), res, ns, name ? name : "");
	if (rc)
		return rc;
	return kube_call(c, "GET", path, path, NULL, NULL, out, err);
}

static int kube_list_page(struct kube_client *c, const char *path,
			  const struct kube_list_opts *opts, const char *cont, json_object **out,
			  struct kube_error *err)
{
	char url[KUBE_URL_MAX];
	char limit[32];
	int rc;

	snprintf(url, sizeof(url), "%s", path);
	snprintf(limit, sizeof(limit), "%ld", opts && opts->page_size > 0 ? opts->page_size : 500);
	rc = kube_query_append(url, sizeof(url), "limit", limit);
	if (!rc && opts && opts->label_selector && *opts->label_selector)
		rc = kube_query_append(url, sizeof(url), "labelSelector", opts->label_selector);
	if (!rc && opts && opts->field_selector && *opts->field_selector)
		rc = kube_query_append(url, sizeof(url), "fieldSelector", opts->field_selector);
	if (!rc && cont)
		rc = kube_query_append(url, sizeof(url), "continue", cont);
	if (rc)
		return rc;
	return kube_call(c, "GET", path, url, NULL, NULL, out, err);
}

static void kube_list_transform(json_object *items, const struct kube_list_opts *opts)
{
	size_t i, n;

	if (!opts || !opts->transform || !json_object_is_type(items, json_type_array))
		return;
	n = json_object_array_length(items);
	for (i = 0; i < n; i++)
		opts->transform(json_object_array_get_idx(items, i));
}

static const char *kube_list_continue(json_object *list)
{
	const char *cont = kube_meta_string(list, "continue");

	return cont && *cont ? cont : NULL;
}

int kube_list(struct kube_client *c, const struct kube_resource *res, const char *ns,
	      const struct kube_list_opts *opts, json_object **out, struct kube_error *err)
{
	char path[KUBE_URL_MAX];
	json_object *list = NULL, *page = NULL, *items, *page_items, *meta;
	const char *next;
	char *cont = NULL;
	size_t i, n;
	int rc;

	*out = NULL;
	rc = kube_path(path, sizeof(path), res, ns, NULL);
	if (rc)
		return rc;
	rc = kube_list_page(c, path, opts, NULL, &list, err);
	if (rc)
		goto out;
	if (!json_object_object_get_ex(list, "items", &items) ||
	    !json_object_is_type(items, json_type_array)) {
		/* An empty list may come with "items": null. */
		items = json_object_new_array();
		if (!items || json_object_object_add(list, "items", items)) {
			json_object_put(items);
			rc = -ENOMEM;
			goto out;
		}
	}
	kube_list_transform(items, opts);
	while ((next = kube_list_continue(page ? page : list)) != NULL) {
		free(cont);
		cont = strdup(next);
		json_object_put(page);
		page = NULL;
		if (!cont) {
			rc = -ENOMEM;
			goto out;
		}
		rc = kube_list_page(c, path, opts, cont, &page, err);
		if (rc)
			goto out;
		if (json_object_object_get_ex(page, "items", &page_items) &&
		    json_object_is_type(page_items, json_type_array)) {
			kube_list_transform(page_items, opts);
			n = json_object_array_length(page_items);
			for (i = 0; i < n; i++) {
				json_object *item = json_object_array_get_idx(page_items, i);

				if (json_object_array_add(items, json_object_get(item))) {
					json_object_put(item);
					rc = -ENOMEM;
					goto out;
				}
			}
		}
	}
	if (json_object_object_get_ex(list, "metadata", &meta))
		json_object_object_del(meta, "continue");
	*out = list;
	list = NULL;
out:
	free(cont);
	json_object_put(page);
	json_object_put(list);
	return rc;
}

int kube_create(struct kube_client *c, const struct kube_resource *res, const char *ns,
		json_object *obj, json_object **out, struct kube_error *err)
{
	char path[KUBE_URL_MAX];
	int rc;

	if (out)
		*out = NULL;
	if (!obj)
		return -EINVAL;
	rc = kube_path(path, sizeof(path), res, ns, NULL);
	if (rc)
		return rc;
	return kube_call(c, "POST", path, path, obj, "application/json", out, err);
}

int kube_update(struct kube_client *c, const struct kube_resource *res, const char *ns,
		const char *name, json_object *obj, json_object **out, struct kube_error *err)
{
	char path[KUBE_URL_MAX];
	int rc;

	if (out)
		*out = NULL;
	if (!obj)
		return -EINVAL;
	if (!name)
		name = kube_object_name(obj);
	rc = kube_path(path, sizeof(path), res, ns, name ? name : "");
	if (rc)
		return rc;
	return kube_call(c, "PUT", path, path, obj, "application/json", out, err);
}

int kube_patch_merge(struct kube_client *c, const struct kube_resource *res, const char *ns,
		     const char *name, json_object *patch, json_object **out,
		     struct kube_error *err)
{
	char path[KUBE_URL_MAX];
	int rc;

	if (out)
		*out = NULL;
	if (!patch)
		return -EINVAL;
	rc = kube_path(path, sizeof(path), res, ns, name ? name : "");
	if (rc)
		return rc;
	return kube_call(c, "PATCH", path, path, patch, "application/merge-patch+json", out, err);
}

int kube_delete(struct kube_client *c, const struct kube_resource *res, const char *ns,
		const char *name, const char *resource_version, struct kube_error *err)
{
	char path[KUBE_URL_MAX];
	json_object *opts = NULL, *pre;
	int rc;

	rc = kube_path(path, sizeof(path), res, ns, name ? name : "");
	if (rc)
		return rc;
	if (resource_version) {
		opts = json_object_new_object();
		pre = json_object_new_object();
		if (!opts || !pre) {
			json_object_put(pre);
			rc = -ENOMEM;
			goto out;
		}
		json_object_object_add(opts, "apiVersion", json_object_new_string("v1"));
		json_object_object_add(opts, "kind", json_object_new_string("DeleteOptions"));
		json_object_object_add(pre, "resourceVersion",
				       json_object_new_string(resource_version));
		json_object_object_add(opts, "preconditions", pre);
	}
	rc = kube_call(c, "DELETE", path, path, opts, "application/json", NULL, err);
out:
	json_object_put(opts);
	return rc;
}

int kube_update_cas(struct kube_client *c, const struct kube_resource *res, const char *ns,
		    const char *name, kube_mutate_fn mutate, void *ctx, int max_retries,
		    json_object **out, struct kube_error *err)
{
	json_object *obj = NULL;
	int attempt, rc = -EAGAIN;

	if (out)
		*out = NULL;
	if (!mutate || max_retries < 0)
		return -EINVAL;
	for (attempt = 0; attempt <= max_retries; attempt++) {
		json_object_put(obj);
		obj = NULL;
		rc = kube_get(c, res, ns, name, &obj, err);
		if (rc)
			break;
		rc = mutate(obj, ctx);
		if (rc > 0) {
			rc = 0;
			if (out) {
				*out = obj;
				obj = NULL;
			}
			break;
		}
		if (rc < 0)
			break;
		rc = kube_update(c, res, ns, name, obj, out, err);
		if (rc != -EAGAIN)
			break;
		log_debug("event=kube_cas_conflict resource=%s name=%s attempt=%d", res->plural,
			  name, attempt + 1);
	}
	json_object_put(obj);
	return rc;
}

struct kube_watch_state {
	kube_event_fn fn;
	void *ctx;
	struct kube_watch_decoder dec;
	const char *path;
	struct kube_error *err;
	int error_rc;
};

static int kube_watch_event(enum kube_event_type type, json_object *object, void *ctx)
{
	struct kube_watch_state *s = ctx;
	json_object *code;
	int http_code = 500;
	const char *text;

	if (type != KUBE_EVENT_ERROR)
		return s->fn(type, object, s->ctx);
	if (json_object_object_get_ex(object, "code", &code) &&
	    json_object_is_type(code, json_type_int))
		http_code = json_object_get_int(code);
	text = json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN);
	s->error_rc = kube_status_parse("WATCH", s->path, http_code, text, strlen(text), s->err);
	/* Any ERROR ends this stream; 410 is the one the caller re-lists on. */
	if (http_code == 410)
		s->error_rc = -ESTALE;
	if (s->error_rc >= 0)
		s->error_rc = -EIO;
	return s->error_rc;
}

static int kube_watch_chunk(const char *data, size_t len, void *ctx)
{
	struct kube_watch_state *s = ctx;

	return kube_watch_decoder_feed(&s->dec, data, len);
}

int kube_watch(struct kube_client *c, const struct kube_resource *res, const char *ns,
	       const struct kube_watch_opts *opts, kube_event_fn fn, void *ctx,
	       struct kube_error *err)
{
	struct kube_watch_state s = { 0 };
	struct http_response resp;
	char path[KUBE_URL_MAX], url_path[KUBE_URL_MAX], url[KUBE_URL_MAX + 512];
	char timeout[32];
	int timeout_seconds = opts && opts->timeout_seconds > 0 ? opts->timeout_seconds : 300;
	int rc;

	if (!fn)
		return -EINVAL;
	rc = kube_path(path, sizeof(path), res, ns, NULL);
	if (rc)
		return rc;
	snprintf(url_path, sizeof(url_path), "%s", path);
	snprintf(timeout, sizeof(timeout), "%d", timeout_seconds);
	rc = kube_query_append(url_path, sizeof(url_path), "watch", "1");
	if (!rc && opts && opts->resource_version && *opts->resource_version)
		rc = kube_query_append(url_path, sizeof(url_path), "resourceVersion",
				       opts->resource_version);
	if (!rc && opts && opts->label_selector && *opts->label_selector)
		rc = kube_query_append(url_path, sizeof(url_path), "labelSelector",
				       opts->label_selector);
	if (!rc && opts && opts->field_selector && *opts->field_selector)
		rc = kube_query_append(url_path, sizeof(url_path), "fieldSelector",
				       opts->field_selector);
	if (!rc && opts && opts->bookmarks)
		rc = kube_query_append(url_path, sizeof(url_path), "allowWatchBookmarks", "true");
	if (!rc)
		rc = kube_query_append(url_path, sizeof(url_path), "timeoutSeconds", timeout);
	if (rc)
		return rc;
	if (snprintf(url, sizeof(url), "%s%s", c->server, url_path) >= (int)sizeof(url))
		return -ENAMETOOLONG;

	s.fn = fn;
	s.ctx = ctx;
	s.path = path;
	s.err = err;
	kube_watch_decoder_init(&s.dec, kube_watch_event, &s);
	kube_token_refresh(c, false);
	atomic_fetch_add(&c->watches, 1);
	atomic_fetch_add(&c->requests, 1);
	/* Client-side bound a little past the server's, so a silently dead
	 * connection cannot hang the watch forever. */
	rc = http_stream(c->http, url, (timeout_seconds + 30) * 1000L,
			 opts ? opts->cancel : NULL, kube_watch_chunk, &s, &resp);
	if (rc) {
		if (s.error_rc == 0 && rc != -EBADMSG && rc != -EMSGSIZE)
			kube_error_transport(err, "WATCH", path, rc, resp.error);
		else if (s.error_rc == 0)
			kube_error_transport(err, "WATCH", path, rc, "malformed watch event");
		atomic_fetch_add(&c->errors, 1);
		goto out;
	}
	if (resp.status < 200 || resp.status > 299) {
		atomic_fetch_add(&c->errors, 1);
		rc = kube_status_parse("WATCH", path, (int)resp.status, resp.body, resp.body_len,
				       err);
	}
out:
	http_response_clear(&resp);
	kube_watch_decoder_free(&s.dec);
	return rc;
}
