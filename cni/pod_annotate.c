/* pod_annotate: one JSON merge patch per ADD (lib/pod_annotations.h).
 *
 * Through twill-ipam's node-local server when there is one: the request is
 * a few hundred bytes on a Unix socket and a worker patches on its kept API
 * connection, so this process loads no libcurl and makes no TLS handshake
 * (together most of an ADD's time here). Otherwise, or when the server does
 * not take the request, this process patches itself: preparing the client
 * (YAML kubeconfig, dlopen of libcurl and its ~30 libraries,
 * curl_global_init) is pure CPU and file reads, independent of the pod's
 * address, so it runs on a thread started before the IPAM plugin and is
 * joined by the first patch. Nothing is shared while it runs: the thread
 * writes only the annotator's prep fields, read after the join. */
#include "pod_annotate.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube_client.h"
#include "kubeconfig.h"
#include "log.h"
#include "pod_annotations.h"
#include "server_annotate.h"
#include "server_client.h"

/* Seconds to wait for the server's answer: its API timeouts and a margin. */
#define ANNOTATE_SERVER_TIMEOUT_S (IPAM_ANNOTATE_TOTAL_MS / 1000 + 5)

struct cni_pod_annotator {
	const char *kubeconfig;
	const char *socket;  /* the server's, or NULL: patch here */
	pthread_t thread;
	bool started, joined;
	/* written by the thread (or prepare_here), read after the join */
	struct kube_config cfg;
	struct kube_client *client;
	int prep_rc;      /* 0, or -errno; which step failed is in cfg_failed */
	bool cfg_failed;
	char msg[256];
	/* a set in flight (cni_pod_annotate_set_start): its arguments (the
	 * caller's strings) and the server connection, or its outcome */
	bool pending;
	const char *ns, *name, *ip, *ips, *container_id;
	int pending_fd;   /* >= 0: the server has the request */
	int done_rc;      /* pending_fd < 0: the outcome, err in done_err */
	struct cni_error done_err;
};

static void *annotator_prepare(void *arg)
{
	struct cni_pod_annotator *a = arg;

	if ((a->prep_rc = kube_config_load_file(a->kubeconfig, &a->cfg, a->msg,
						sizeof(a->msg))) < 0) {
		a->cfg_failed = true;
		return NULL;
	}
	a->prep_rc = kube_client_new_timeouts(&a->cfg, IPAM_ANNOTATE_CONNECT_MS,
					      IPAM_ANNOTATE_TOTAL_MS, &a->client);
	return NULL;
}

int cni_pod_annotator_start(const char *kubeconfig, const char *server_socket,
			    struct cni_pod_annotator **out, struct cni_error *err)
{
	struct cni_pod_annotator *a = calloc(1, sizeof(*a));
	int ret;

	*out = NULL;
	if (!a)
		return cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
	a->kubeconfig = kubeconfig;
	a->socket = server_socket;
	a->pending_fd = -1;
	if (!a->socket) {
		if ((ret = pthread_create(&a->thread, NULL, annotator_prepare, a))) {
			free(a);
			return cni_error_set(err, CNI_ERR_INTERNAL,
					     "kubernetes: starting a thread: %s", strerror(ret));
		}
		a->started = true;
	}
	*out = a;
	return 0;
}

void cni_pod_annotator_free(struct cni_pod_annotator *a)
{
	if (!a)
		return;
	if (a->pending_fd >= 0)
		close(a->pending_fd);
	if (a->started && !a->joined)
		pthread_join(a->thread, NULL);
	kube_client_free(a->client);
	kube_config_free(&a->cfg);
	free(a);
}

/* Wait for the prepared client (prepared here when no thread ran); its
 * failure as a CNI error. */
static int annotator_ready(struct cni_pod_annotator *a, struct cni_error *err)
{
	if (a->started && !a->joined) {
		pthread_join(a->thread, NULL);
		a->joined = true;
	} else if (!a->started) {
		annotator_prepare(a);
		a->started = a->joined = true;
	}
	if (a->cfg_failed)
		return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "kubernetes.kubeconfig: %s",
				     a->msg);
	if (a->prep_rc < 0)
		return cni_error_set(err, CNI_ERR_INVALID_CONFIG,
				     "kubernetes.kubeconfig: %s: cannot build a client: %s",
				     a->kubeconfig, strerror(-a->prep_rc));
	return 0;
}

/* Hand the request to the server: 0 with *fd, -EHOSTDOWN when it did not
 * take it (the caller patches itself), or the code with err set. */
static int server_send(struct cni_pod_annotator *a, const char *ns, const char *name,
		       const char *ip, const char *ips, const char *container_id, int *fd,
		       struct cni_error *err)
{
	static char op[] = IPAM_SERVER_OP_VAR "=" IPAM_SERVER_OP_ANNOTATE;
	char *envp[] = { op, NULL };
	char *req = ipam_server_annotate_request(a->kubeconfig, ns, name, ip, ips, container_id);
	int rc;

	if (!req)
		return cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
	rc = ipam_server_send(a->socket, envp, req, strlen(req), ANNOTATE_SERVER_TIMEOUT_S, fd);
	free(req);
	if (rc < 0 && rc != -EHOSTDOWN)
		rc = cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: %s", strerror(-rc));
	return rc;
}

/* The server's answer on fd (closed): 0, -EHOSTDOWN (the caller patches
 * itself: the server refused the request, or could not use the kubeconfig
 * -- e.g. a path not mounted in its container; a kubeconfig that is bad
 * for this process too then fails here with the same error) or the code
 * with err set. */
static int server_receive(struct cni_pod_annotator *a, int fd, const char *ns,
			  const char *name, struct cni_error *err)
{
	struct cni_error answer;
	char *body = NULL;
	size_t body_len = 0;
	int status, rc;

	cni_error_clear(&answer);
	rc = ipam_server_receive(fd, &body, &body_len, &status);
	if (rc == 0)
		rc = ipam_server_annotate_reply(status, body, &answer);
	if (rc == CNI_ERR_INVALID_CONFIG) {
		log_info("event=annotate_server_kubeconfig socket=%s msg=\"%s\"", a->socket,
			 answer.msg);
		rc = -EHOSTDOWN;
	} else if (rc > 0) {
		cni_error_set_details(err, answer.code, answer.details, "%s", answer.msg);
	} else if (rc == -ECONNRESET)
		rc = cni_error_set(err, CNI_ERR_TRY_AGAIN,
				   "kubernetes: patching Pod %s/%s: the IPAM server at %s took the "
				   "request but gave no answer; try again", ns, name, a->socket);
	free(body);
	return rc;
}

/* The patch made by this process. */
static int patch_here(struct cni_pod_annotator *a, const char *ns, const char *name,
		      const char *ip, const char *ips, const char *container_id,
		      struct cni_error *err)
{
	json_object *annotations;
	int ret;

	if (a->socket) {
		log_info("event=annotate_server_fallback socket=%s reason=\"not taken\"",
			 a->socket);
		a->socket = NULL;
	}
	if ((ret = annotator_ready(a, err)))
		return ret;
	annotations = ip ? pod_annotations_set(ip, ips, container_id) : pod_annotations_clear();
	if (!annotations)
		return cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
	ret = pod_annotations_patch(a->client, ns, name, annotations, err);
	json_object_put(annotations);
	return ret;
}

static int patch(struct cni_pod_annotator *a, const char *ns, const char *name, const char *ip,
		 const char *ips, const char *container_id, struct cni_error *err)
{
	int fd, ret;

	if (a->socket) {
		ret = server_send(a, ns, name, ip, ips, container_id, &fd, err);
		if (ret == 0)
			ret = server_receive(a, fd, ns, name, err);
		if (ret != -EHOSTDOWN)
			return ret;
	}
	return patch_here(a, ns, name, ip, ips, container_id, err);
}

int cni_pod_annotate_set_start(struct cni_pod_annotator *a, const char *pod_namespace,
			       const char *pod_name, const char *pod_ip, const char *pod_ips,
			       const char *container_id)
{
	a->pending = true;
	a->ns = pod_namespace;
	a->name = pod_name;
	a->ip = pod_ip;
	a->ips = pod_ips;
	a->container_id = container_id;
	a->pending_fd = -1;
	cni_error_clear(&a->done_err);
	a->done_rc = -EHOSTDOWN; /* not sent: the wait patches here */
	if (a->socket)
		a->done_rc = server_send(a, pod_namespace, pod_name, pod_ip, pod_ips, container_id,
					 &a->pending_fd, &a->done_err);
	return 0;
}

int cni_pod_annotate_wait(struct cni_pod_annotator *a, struct cni_error *err)
{
	int ret;

	if (!a->pending)
		return 0;
	a->pending = false;
	if (a->pending_fd >= 0) {
		ret = server_receive(a, a->pending_fd, a->ns, a->name, err);
		a->pending_fd = -1;
	} else {
		ret = a->done_rc;
		if (ret > 0)
			cni_error_set_details(err, a->done_err.code, a->done_err.details, "%s",
					      a->done_err.msg);
	}
	if (ret != -EHOSTDOWN)
		return ret;
	return patch_here(a, a->ns, a->name, a->ip, a->ips, a->container_id, err);
}

int cni_pod_annotate_clear(struct cni_pod_annotator *a, const char *pod_namespace,
			   const char *pod_name, struct cni_error *err)
{
	struct cni_error ignored;

	/* A set still in flight lands first, then is undone. */
	cni_error_clear(&ignored);
	cni_pod_annotate_wait(a, &ignored);
	return patch(a, pod_namespace, pod_name, NULL, NULL, NULL, err);
}
