/* pod_annotations: see pod_annotations.h. */
#include "pod_annotations.h"

#include <errno.h>
#include <string.h>

#include "model/pod.h"

static const struct kube_resource pods = { "", "v1", "pods", true };

static json_object *keys(const char *ip, const char *ips, const char *container_id)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (json_object_object_add(o, POD_ANNOTATION_POD_IP,
				   ip ? json_object_new_string(ip) : NULL) < 0 ||
	    json_object_object_add(o, POD_ANNOTATION_POD_IPS,
				   ips ? json_object_new_string(ips) : NULL) < 0 ||
	    json_object_object_add(o, POD_ANNOTATION_CONTAINER_ID,
				   container_id ? json_object_new_string(container_id) : NULL) <
		    0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

json_object *pod_annotations_set(const char *pod_ip, const char *pod_ips,
				 const char *container_id)
{
	if (!pod_ip || !pod_ips || !container_id)
		return NULL;
	return keys(pod_ip, pod_ips, container_id);
}

json_object *pod_annotations_clear(void)
{
	return keys(NULL, NULL, NULL);
}

int pod_annotations_patch(struct kube_client *c, const char *ns, const char *name,
			  json_object *annotations, struct cni_error *err)
{
	struct kube_error kerr;
	json_object *body = json_object_new_object(), *meta = json_object_new_object();
	int ret;

	memset(&kerr, 0, sizeof(kerr));
	if (!body || !meta) {
		json_object_put(meta);
		ret = cni_error_set(err, CNI_ERR_INTERNAL, "kubernetes: out of memory");
		goto out;
	}
	json_object_object_add(meta, "annotations", json_object_get(annotations));
	json_object_object_add(body, "metadata", meta);
	ret = kube_patch_merge(c, &pods, ns, name, body, NULL, &kerr);
	switch (ret) {
	case 0:
		break;
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
