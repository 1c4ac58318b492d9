/* kubeconfig: where the Kubernetes API is and how to authenticate to it.
 *
 * Sources, in kube_config_load() order:
 *   1. an explicit kubeconfig path;
 *   2. $KUBECONFIG (first entry of a ':'-separated list);
 *   3. in-cluster: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT and the
 *      service account directory (token, ca.crt, namespace).
 * kube_config_load_user() is the order an operator's CLI (twillctl) follows,
 * kubectl's: between 2 and 3 it tries $HOME/.kube/config when that file
 * exists. The daemons and CNI plugins use kube_config_load(), which never
 * does: a plugin run by kubelet as root must not pick up an administrator's
 * credentials from /root/.kube/config.
 * From a kubeconfig, current-context selects a context, which names a cluster
 * (server, certificate-authority or certificate-authority-data) and a user
 * (token, tokenFile, client-certificate(-data), client-key(-data)) and
 * optionally a namespace. Relative file paths are resolved against the
 * kubeconfig's own directory, as kubectl does. *-data fields are base64 and
 * stored decoded (PEM text).
 *
 * A config without a CA is an error: TLS verification is always on, so
 * insecure-skip-tls-verify is rejected too. Errors are -EINVAL (or -ENOENT
 * for a missing file, -ENOMEM) with one message naming the file and the
 * missing piece, e.g.
 *     kubeconfig /x: context "foo" (current-context) not found
 * Secrets are never copied into error messages. */
#ifndef TWILL_KUBECONFIG_H
#define TWILL_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define KUBE_CONFIG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct kube_config {
	char *server;           /* "https://host:port", no trailing slash */
	char *ca_file;          /* exactly one of ca_file / ca_data is set */
	char *ca_data;          /* PEM */
	char *token;            /* bearer token, or */
	char *token_file;       /* read at client creation */
	char *client_cert_file; /* client cert: file or data (PEM) */
	char *client_cert_data;
	char *client_key_file;
	char *client_key_data;
	char *namespace;        /* default namespace, "default" when unset */
};

/* Parse kubeconfig text. base_dir resolves relative paths (NULL: cwd);
 * source names the file in messages (NULL: "<memory>"). On error *out is
 * left zeroed and err (may be NULL) holds the message. */
int kube_config_parse(const char *text, size_t len, const char *base_dir, const char *source,
		      struct kube_config *out, char *err, size_t errlen);
int kube_config_load_file(const char *path, struct kube_config *out, char *err, size_t errlen);
/* sa_dir NULL means KUBE_CONFIG_SA_DIR (tests point it elsewhere). */
int kube_config_in_cluster(const char *sa_dir, struct kube_config *out, char *err, size_t errlen);
int kube_config_load(const char *path, struct kube_config *out, char *err, size_t errlen);
int kube_config_load_user(const char *path, struct kube_config *out, char *err, size_t errlen);
void kube_config_free(struct kube_config *cfg);
/* Every field of *src copied into *dst: 0 or -ENOMEM (dst zeroed). */
int kube_config_dup(const struct kube_config *src, struct kube_config *dst);
/* True when every field is equal (both unset, or the same text). */
bool kube_config_equal(const struct kube_config *a, const struct kube_config *b);

/* Standard base64 (padding optional, whitespace ignored) into a malloc'd,
 * NUL-terminated buffer. 0, -EINVAL or -ENOMEM. Exposed for tests. */
int kube_base64_decode(const char *in, size_t len, char **out, size_t *out_len);

#endif
