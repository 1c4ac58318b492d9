/* pod_annotate: one JSON merge patch per ADD.
 *
 * A merge patch (not a read-modify-write) touches only our three keys, so it
 * cannot race with other writers of the Pod and needs no retry loop. The
 * client has short timeouts: the plugin runs once and exits, and a CNI ADD
 * must not hang on an unreachable API server.
 *
 * Preparing the client (YAML kubeconfig, dlopen of libcurl and its ~30
 * libraries, curl_global_init) is pure CPU and file reads, independent of
 * the pod's address, so it runs on a thread started before the IPAM plugin
 * and is joined by the first patch. Nothing is shared while it runs: the
 * thread writes only the annotator's prep fields, read after the join. */
#include "pod_annotate.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kube_client.h"
#include "kubeconfig.h"
#include "log.h"

static const struct kube_resource pods = { "", "v1", "pods", true };

struct cni_pod_annotator {
	const char *kubeconfig;
	pthread_t thread;
	bool joined;
	/* written by the thread, read after the join */
	struct kube_config cfg;
	struct kube_client *client;
	int prep_rc;      /* 0, or -errno; which step failed is in cfg_failed */
	bool cfg_failed;
	char msg[256];
};

static void *annotator_prepare(void *arg)
{
	struct cni_pod_annotator *a = arg;

	if ((a->prep_rc = kube_config_load_file(a->kubeconfig, &a->cfg, a->msg,
						sizeof(a->msg))) < 0) {
		a->cfg_failed = true;
		return NULL;
	}
	a->prep_rc = kube_client_new_timeouts(&a->cfg, 3000, 10000, &a->client);
	return NULL;
}

int cni_pod_annotator_start(const char *kubeconfig, struct cni_pod_annotator **out,
			    struct cni_error *err)
{
	struct cni_pod_annotator *a = calloc(1, sizeof(*a));
	int ret;

	*out = NULL;
	if (!a)
		return cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
	a->kubeconfig = kubeconfig;
	if ((ret = pthread_create(&a->thread, NULL, annotator_prepare, a))) {
		free(a);
		return cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: starting a thread: %s",
				     strerror(ret));
	}
	*out = a;
	return 0;
}

void cni_pod_annotator_free(struct cni_pod_annotator *a)
{
	if (!a)
		return;
	if (!a->joined)
		pthread_join(a->thread, NULL);
	kube_client_free(a->client);
	kube_config_free(&a->cfg);
	free(a);
}

/* Wait for the prepared client; its failure as a CNI error. */
static int annotator_ready(struct cni_pod_annotator *a, struct cni_error *err)
{
	if (!a->joined) {
		pthread_join(a->thread, NULL);
		a->joined = true;
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

static int patch(struct cni_pod_annotator *a, const char *ns, const char *name,
		 json_object *annotations, struct cni_error *err)
{
	struct kube_error kerr;
	json_object *body = json_object_new_object(), *meta = json_object_new_object();
	int ret;

	memset(&kerr, 0, sizeof(kerr));
	if (!body || !meta) {
		json_object_put(annotations);
		json_object_put(meta);
		ret = cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
		goto out;
	}
	json_object_object_add(meta, "annotations", annotations);
	json_object_object_add(body, "metadata", meta);
	if ((ret = annotator_ready(a, err)))
		goto out;
	ret = kube_patch_merge(a->client, &pods, ns, name, body, NULL, &kerr);
	if (ret == 0)
		goto out;
	switch (ret) {
	case -EAGAIN:
	case -ETIMEDOUT:
	case -ECONNREFUSED:
	case -EHOSTUNREACH:
	case -EHOSTDOWN:
	case -EBUSY:
		ret = cni_error_set_details(err, CNI_ERR_TRY_AGAIN, kerr.message,
					    "kubernetes: patching Pod %s/%s failed: %s", ns, name,
					    strerror(-ret));
		break;
	default:
		ret = cni_error_set_details(err, CNI_ERR_INTERNAL, kerr.message,
					    "kubernetes: patching Pod %s/%s failed: %s", ns, name,
					    kerr.message[0] ? kerr.message : strerror(-ret));
		break;
	}
out:
	json_object_put(body);
	return ret;
}

int cni_pod_annotate_set(struct cni_pod_annotator *a, const char *pod_namespace,
			 const char *pod_name, const char *pod_ip, const char *pod_ips,
			 const char *container_id, struct cni_error *err)
{
	json_object *keys = json_object_new_object();

	if (!keys)
		return cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
	json_object_object_add(keys, POD_ANNOTATION_IP, json_object_new_string(pod_ip));
	json_object_object_add(keys, POD_ANNOTATION_IPS, json_object_new_string(pod_ips));
	json_object_object_add(keys, POD_ANNOTATION_CONTAINER_ID, json_object_new_string(container_id));
	return patch(a, pod_namespace, pod_name, keys, err);
}

int cni_pod_annotate_clear(struct cni_pod_annotator *a, const char *pod_namespace,
			   const char *pod_name, struct cni_error *err)
{
	json_object *keys = json_object_new_object();

	if (!keys)
		return cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
	json_object_object_add(keys, POD_ANNOTATION_IP, NULL);
	json_object_object_add(keys, POD_ANNOTATION_IPS, NULL);
	json_object_object_add(keys, POD_ANNOTATION_CONTAINER_ID, NULL);
	return patch(a, pod_namespace, pod_name, keys, err);
}
