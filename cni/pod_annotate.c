/* pod_annotate: one JSON merge patch per ADD.
 *
 * A merge patch (not a read-modify-write) touches only our three keys, so it
 * cannot race with other writers of the Pod and needs no retry loop. The
 * client is created per call with short timeouts: the plugin runs once and
 * exits, and a CNI ADD must not hang on an unreachable API server. */
#include "pod_annotate.h"

#include <errno.h>
#include <string.h>

#include "kube_client.h"
#include "kubeconfig.h"
#include "log.h"

static const struct kube_resource pods = { "", "v1", "pods", true };

static int patch(const char *kubeconfig, const char *ns, const char *name,
		 json_object *annotations, struct cni_error *err)
{
	struct kube_config cfg;
	struct kube_client *client = NULL;
	struct kube_error kerr;
	json_object *body = json_object_new_object(), *meta = json_object_new_object();
	char msg[256];
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	memset(&kerr, 0, sizeof(kerr));
	if (!body || !meta) {
		json_object_put(annotations);
		json_object_put(meta);
		ret = cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
		goto out;
	}
	json_object_object_add(meta, "annotations", annotations);
	json_object_object_add(body, "metadata", meta);
	if (kube_config_load_file(kubeconfig, &cfg, msg, sizeof(msg)) < 0) {
		ret = cni_error_set(err, CNI_ERR_INVALID_CONFIG, "kubernetes.kubeconfig: %s", msg);
		goto out;
	}
	if (kube_client_new_timeouts(&cfg, 3000, 10000, &client) < 0) {
		ret = cni_error_set(err, CNI_ERR_INVALID_CONFIG,
				    "kubernetes.kubeconfig: %s: cannot build a client", kubeconfig);
		goto out;
	}
	ret = kube_patch_merge(client, &pods, ns, name, body, NULL, &kerr);
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
	kube_client_free(client);
	kube_config_free(&cfg);
	json_object_put(body);
	return ret;
}

int cni_pod_annotate_set(const char *kubeconfig, const char *pod_namespace, const char *pod_name,
		     const char *pod_ip, const char *pod_ips, const char *container_id,
		     struct cni_error *err)
{
	json_object *a = json_object_new_object();

	if (!a)
		return cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
	json_object_object_add(a, POD_ANNOTATION_IP, json_object_new_string(pod_ip));
	json_object_object_add(a, POD_ANNOTATION_IPS, json_object_new_string(pod_ips));
	json_object_object_add(a, POD_ANNOTATION_CONTAINER_ID, json_object_new_string(container_id));
	return patch(kubeconfig, pod_namespace, pod_name, a, err);
}

int cni_pod_annotate_clear(const char *kubeconfig, const char *pod_namespace, const char *pod_name,
		       struct cni_error *err)
{
	json_object *a = json_object_new_object();

	if (!a)
		return cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
	json_object_object_add(a, POD_ANNOTATION_IP, NULL);
	json_object_object_add(a, POD_ANNOTATION_IPS, NULL);
	json_object_object_add(a, POD_ANNOTATION_CONTAINER_ID, NULL);
	return patch(kubeconfig, pod_namespace, pod_name, a, err);
}
