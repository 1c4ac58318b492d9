/* kubeconfig: the YAML is converted to json-c by lib/yaml_json and then
 * walked by name: current-context -> contexts[] -> clusters[] / users[].
 * Every lookup failure produces one message naming the file and the link of
 * that chain which is missing, because "invalid kubeconfig" alone is useless
 * at 3 a.m. The result owns plain strings only (no json references), so the
 * parsed document is dropped before returning.
 *
 * Invariant on success: server is set and exactly one of ca_file/ca_data is
 * set. Inline *-data values are base64-decoded here, so consumers only ever
 * see PEM text or file paths. */
#include "kubeconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yaml_json.h"

#define KUBE_CONFIG_MAX_FILE (16u << 20)

struct kc_parse {
	const char *source;
	const char *base_dir;
	char *err;
	size_t errlen;
};

static int kc_fail(struct kc_parse *p, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int kc_fail(struct kc_parse *p, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || p->errlen == 0)
		return rc;
	n = snprintf(p->err, p->errlen, "kubeconfig %s: ", p->source);
	if (n < 0 || (size_t)n >= p->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

void kube_config_free(struct kube_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->server);
	free(cfg->ca_file);
	free(cfg->ca_data);
	if (cfg->token) {
		memset(cfg->token, 0, strlen(cfg->token));
		free(cfg->token);
	}
	free(cfg->token_file);
	free(cfg->client_cert_file);
	free(cfg->client_cert_data);
	free(cfg->client_key_file);
	if (cfg->client_key_data) {
		memset(cfg->client_key_data, 0, strlen(cfg->client_key_data));
		free(cfg->client_key_data);
	}
	free(cfg->namespace);
	memset(cfg, 0, sizeof(*cfg));
}

/* The struct's string fields, for dup and equal. */
static const size_t kc_fields[] = {
	offsetof(struct kube_config, server),
	offsetof(struct kube_config, ca_file),
	offsetof(struct kube_config, ca_data),
	offsetof(struct kube_config, token),
	offsetof(struct kube_config, token_file),
	offsetof(struct kube_config, client_cert_file),
	offsetof(struct kube_config, client_cert_data),
	offsetof(struct kube_config, client_key_file),
	offsetof(struct kube_config, client_key_data),
	offsetof(struct kube_config, namespace),
};

_Static_assert(sizeof(kc_fields) / sizeof(kc_fields[0]) * sizeof(char *) ==
		       sizeof(struct kube_config),
	       "a field of struct kube_config is missing from kc_fields");

#define KC_FIELD(cfg, off) (*(char **)((char *)(cfg) + (off)))

int kube_config_dup(const struct kube_config *src, struct kube_config *dst)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < sizeof(kc_fields) / sizeof(kc_fields[0]); i++) {
		const char *v = KC_FIELD(src, kc_fields[i]);

		if (v && !(KC_FIELD(dst, kc_fields[i]) = strdup(v))) {
			kube_config_free(dst);
			return -ENOMEM;
		}
	}
	return 0;
}

bool kube_config_equal(const struct kube_config *a, const struct kube_config *b)
{
	size_t i;

	for (i = 0; i < sizeof(kc_fields) / sizeof(kc_fields[0]); i++) {
		const char *x = KC_FIELD(a, kc_fields[i]), *y = KC_FIELD(b, kc_fields[i]);

		if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
			return false;
	}
	return true;
}

static int kc_b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int kube_base64_decode(const char *in, size_t len, char **out, size_t *out_len)
{
	unsigned acc = 0;
	int bits = 0, value, padding = 0, digits = 0;
	size_t i, n = 0;
	char *buf;

	*out = NULL;
	buf = malloc(len / 4 * 3 + 4);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		char ch = in[i];

		if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		if (ch == '=') {
			padding++;
			continue;
		}
		value = kc_b64_value(ch);
		/* data after padding, or a non-alphabet byte */
		if (value < 0 || padding)
			goto bad;
		digits++;
		acc = (acc << 6) | (unsigned)value;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* A lone trailing digit (4k+1) cannot encode a byte; more than two
	 * '=' or padding that does not complete a quantum is malformed. */
	if (digits % 4 == 1 || padding > 2 || (padding && (digits + padding) % 4 != 0))
		goto bad;
	buf[n] = '\0';
	*out = buf;
	if (out_len)
		*out_len = n;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

/* A string member, NULL when absent; -EINVAL when present but not a string. */
static int kc_string(json_object *obj, const char *key, const char **out)
{
	json_object *v;

	*out = NULL;
	if (!obj || !json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	*out = json_object_get_string(v);
	if (!**out)
		*out = NULL;
	return 0;
}

/* Find {name: <name>, <inner>: {...}} in the named list; the inner object
 * (possibly absent) is returned. 0 when found, -ENOENT otherwise. */
static int kc_find(json_object *doc, const char *list, const char *inner, const char *name,
		   json_object **out)
{
	json_object *arr, *entry, *v;
	size_t i, n;

	*out = NULL;
	if (!json_object_object_get_ex(doc, list, &arr) || !json_object_is_type(arr, json_type_array))
		return -ENOENT;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		entry = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(entry, json_type_object) ||
		    !json_object_object_get_ex(entry, "name", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), name) != 0)
			continue;
		if (json_object_object_get_ex(entry, inner, &v) &&
		    json_object_is_type(v, json_type_object))
			*out = v;
		return 0;
	}
	return -ENOENT;
}

static int kc_path(struct kc_parse *p, const char *path, char **out)
{
	if (path[0] == '/' || !p->base_dir) {
		*out = strdup(path);
		return *out ? 0 : -ENOMEM;
	}
	if (asprintf(out, "%s/%s", p->base_dir, path) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int kc_dup(const char *s, char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* One "file or inline data" pair: at most one may be set. */
static int kc_file_or_data(struct kc_parse *p, json_object *obj, const char *what,
			   const char *owner, const char *file_key, const char *data_key,
			   char **file_out, char **data_out)
{
	const char *file, *data;
	int rc;

	if (kc_string(obj, file_key, &file) || kc_string(obj, data_key, &data))
		return kc_fail(p, -EINVAL, "%s: %s/%s must be a string", owner, file_key, data_key);
	if (file && data)
		return kc_fail(p, -EINVAL, "%s: both %s and %s are set; use one", owner, file_key,
			       data_key);
	if (data) {
		rc = kube_base64_decode(data, strlen(data), data_out, NULL);
		if (rc == -EINVAL)
			return kc_fail(p, rc, "%s: %s is not valid base64", owner, data_key);
		return rc;
	}
	if (file)
		return kc_path(p, file, file_out);
	(void)what;
	return 0;
}

static int kc_cluster(struct kc_parse *p, json_object *doc, const char *name,
		      const char *context, struct kube_config *cfg)
{
	json_object *cluster, *insecure;
	const char *server;
	char owner[300];
	int rc;

	if (kc_find(doc, "clusters", "cluster", name, &cluster) || !cluster)
		return kc_fail(p, -EINVAL, "cluster \"%s\" (context \"%s\") not found", name,
			       context);
	snprintf(owner, sizeof(owner), "cluster \"%s\"", name);
	if (kc_string(cluster, "server", &server) || !server)
		return kc_fail(p, -EINVAL, "%s has no server", owner);
	if (strncmp(server, "https://", 8) != 0)
		return kc_fail(p, -EINVAL, "%s: server \"%s\" is not an https:// URL", owner,
			       server);
	if (json_object_object_get_ex(cluster, "insecure-skip-tls-verify", &insecure) &&
	    json_object_get_boolean(insecure))
		return kc_fail(p, -EINVAL,
			       "%s: insecure-skip-tls-verify is not supported (TLS verification "
			       "is always on; give certificate-authority)",
			       owner);
	rc = kc_dup(server, &cfg->server);
	if (rc)
		return rc;
	while (strlen(cfg->server) > 8 && cfg->server[strlen(cfg->server) - 1] == '/')
		cfg->server[strlen(cfg->server) - 1] = '\0';
	rc = kc_file_or_data(p, cluster, "CA", owner, "certificate-authority",
			     "certificate-authority-data", &cfg->ca_file, &cfg->ca_data);
	if (rc)
		return rc;
	if (!cfg->ca_file && !cfg->ca_data)
		return kc_fail(p, -EINVAL,
			       "%s has no certificate-authority or certificate-authority-data "
			       "(TLS verification cannot be disabled)",
			       owner);
	return 0;
}

static int kc_user(struct kc_parse *p, json_object *doc, const char *name, const char *context,
		   struct kube_config *cfg)
{
	json_object *user, *v;
	const char *token, *token_file;
	char owner[300];
	int rc;

	if (kc_find(doc, "users", "user", name, &user))
		return kc_fail(p, -EINVAL, "user \"%s\" (context \"%s\") not found", name, context);
	if (!user)
		return 0;
	snprintf(owner, sizeof(owner), "user \"%s\"", name);
	if (json_object_object_get_ex(user, "exec", &v) ||
	    json_object_object_get_ex(user, "auth-provider", &v))
		return kc_fail(p, -EINVAL, "%s: exec/auth-provider credential plugins are not "
			       "supported; use a token or client certificate", owner);
	if (kc_string(user, "token", &token) || kc_string(user, "tokenFile", &token_file))
		return kc_fail(p, -EINVAL, "%s: token/tokenFile must be a string", owner);
	rc = kc_dup(token, &cfg->token);
	if (!rc && !token && token_file)
		rc = kc_path(p, token_file, &cfg->token_file);
	if (rc)
		return rc;
	rc = kc_file_or_data(p, user, "client certificate", owner, "client-certificate",
			     "client-certificate-data", &cfg->client_cert_file,
			     &cfg->client_cert_data);
	if (rc)
		return rc;
	rc = kc_file_or_data(p, user, "client key", owner, "client-key", "client-key-data",
			     &cfg->client_key_file, &cfg->client_key_data);
	if (rc)
		return rc;
	if ((cfg->client_cert_file || cfg->client_cert_data) !=
	    (cfg->client_key_file || cfg->client_key_data))
		return kc_fail(p, -EINVAL, "%s: a client certificate needs a client key and vice "
			       "versa", owner);
	return 0;
}

int kube_config_parse(const char *text, size_t len, const char *base_dir, const char *source,
		      struct kube_config *out, char *err, size_t errlen)
{
	struct kc_parse p = { source ? source : "<memory>", base_dir, err, errlen };
	struct kube_config cfg = { 0 };
	json_object *doc = NULL, *context;
	const char *current, *cluster, *user, *ns;
	char yerr[256];
	int rc;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	rc = yaml_json_parse_one(text, len, &doc, yerr, sizeof(yerr));
	if (rc) {
		rc = kc_fail(&p, rc, "not valid YAML: %s", yerr);
		goto out;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		rc = kc_fail(&p, -EINVAL, "not a YAML mapping");
		goto out;
	}
	if (kc_string(doc, "current-context", &current) || !current) {
		rc = kc_fail(&p, -EINVAL, "no current-context set");
		goto out;
	}
	if (kc_find(doc, "contexts", "context", current, &context) || !context) {
		rc = kc_fail(&p, -EINVAL, "context \"%s\" (current-context) not found", current);
		goto out;
	}
	if (kc_string(context, "cluster", &cluster) || !cluster) {
		rc = kc_fail(&p, -EINVAL, "context \"%s\" names no cluster", current);
		goto out;
	}
	if (kc_string(context, "user", &user) || kc_string(context, "namespace", &ns)) {
		rc = kc_fail(&p, -EINVAL, "context \"%s\": user/namespace must be a string",
			     current);
		goto out;
	}
	rc = kc_cluster(&p, doc, cluster, current, &cfg);
	if (!rc && user)
		rc = kc_user(&p, doc, user, current, &cfg);
	if (!rc)
		rc = kc_dup(ns ? ns : "default", &cfg.namespace);
	if (rc)
		goto out;
	*out = cfg;
	memset(&cfg, 0, sizeof(cfg));
out:
	if (rc == -ENOMEM)
		kc_fail(&p, rc, "out of memory");
	kube_config_free(&cfg);
	json_object_put(doc);
	return rc;
}

/* Whole file into a NUL-terminated buffer. */
static int kc_read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n;
	FILE *f;
	int rc = 0;

	*out = NULL;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > KUBE_CONFIG_MAX_FILE) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = -EIO;
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return rc;
}

int kube_config_load_file(const char *path, struct kube_config *out, char *err, size_t errlen)
{
	char *text = NULL, *dir = NULL, *slash;
	char ebuf[64];
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = kc_read_file(path, &text, &len);
	if (rc) {
		if (err)
			snprintf(err, errlen, "kubeconfig %s: cannot read: %s", path,
				 strerror_r(-rc, ebuf, sizeof(ebuf)));
		return rc;
	}
	dir = strdup(path);
	if (!dir) {
		rc = -ENOMEM;
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	rc = kube_config_parse(text, len, dir, path, out, err, errlen);
out:
	free(dir);
	free(text);
	return rc;
}

static int kc_read_trimmed(const char *path, char **out)
{
	size_t len = 0;
	int rc = kc_read_file(path, out, &len);

	if (rc)
		return rc;
	while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r' ||
			   (*out)[len - 1] == ' '))
		(*out)[--len] = '\0';
	return 0;
}

int kube_config_in_cluster(const char *sa_dir, struct kube_config *out, char *err, size_t errlen)
{
	struct kube_config cfg = { 0 };
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char path[4096];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!sa_dir)
		sa_dir = KUBE_CONFIG_SA_DIR;
	if (!host || !*host || !port || !*port) {
		if (err)
			snprintf(err, errlen, "in-cluster config: KUBERNETES_SERVICE_HOST/PORT not "
				 "set (not running in a pod? give a kubeconfig)");
		return -ENOENT;
	}
	/* An IPv6 service address needs brackets in a URL. */
	if (asprintf(&cfg.server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
		     port) < 0) {
		cfg.server = NULL;
		rc = -ENOMEM;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/ca.crt", sa_dir);
	if (access(path, R_OK) < 0) {
		rc = -ENOENT;
		if (err)
			snprintf(err, errlen, "in-cluster config: CA %s not readable", path);
		goto out;
	}
	cfg.ca_file = strdup(path);
	snprintf(path, sizeof(path), "%s/token", sa_dir);
	if (access(path, R_OK) < 0) {
		rc = -ENOENT;
		if (err)
			snprintf(err, errlen, "in-cluster config: token %s not readable", path);
		goto out;
	}
	cfg.token_file = strdup(path);
	snprintf(path, sizeof(path), "%s/namespace", sa_dir);
	if (kc_read_trimmed(path, &cfg.namespace) < 0 || !cfg.namespace[0]) {
		free(cfg.namespace);
		cfg.namespace = strdup("default");
	}
	if (!cfg.ca_file || !cfg.token_file || !cfg.namespace) {
		rc = -ENOMEM;
		goto out;
	}
	*out = cfg;
	memset(&cfg, 0, sizeof(cfg));
	rc = 0;
out:
	kube_config_free(&cfg);
	return rc;
}

static int load_order(const char *path, bool home, struct kube_config *out, char *err,
		      size_t errlen)
{
	const char *env = getenv("KUBECONFIG"), *dir = getenv("HOME");
	char first[4096];
	size_t n;
	int rc;

	if (path && *path)
		return kube_config_load_file(path, out, err, errlen);
	if (env && *env) {
		/* Merging several files is kubectl's job; take the first. */
		n = strcspn(env, ":");
		if (n > 0 && n < sizeof(first)) {
			memcpy(first, env, n);
			first[n] = '\0';
			return kube_config_load_file(first, out, err, errlen);
		}
	}
	if (home && dir && *dir) {
		rc = snprintf(first, sizeof(first), "%s/.kube/config", dir);
		if (rc > 0 && (size_t)rc < sizeof(first) && access(first, F_OK) == 0)
			return kube_config_load_file(first, out, err, errlen);
	}
	rc = kube_config_in_cluster(NULL, out, err, errlen);
	if (rc == -ENOENT && home && err && errlen) {
		n = strlen(err);
		snprintf(err + n, errlen - n, "; no --kubeconfig, $KUBECONFIG or ~/.kube/config either");
	}
	return rc;
}

int kube_config_load(const char *path, struct kube_config *out, char *err, size_t errlen)
{
	return load_order(path, false, out, err, errlen);
}

int kube_config_load_user(const char *path, struct kube_config *out, char *err, size_t errlen)
{
	return load_order(path, true, out, err, errlen);
}
