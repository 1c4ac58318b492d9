/* pod_annotate: record a pod's network identity on its Pod object.
 *
 * Contract: cni_pod_annotate_set() merge-patches metadata.annotations of Pod
 * <namespace>/<name> with
 *     twill.dev/podIP        first address (no prefix length)
 *     twill.dev/podIPs       all addresses, comma separated
 *     twill.dev/containerID  CNI_CONTAINERID
 * through the API server named by the kubeconfig; cni_pod_annotate_clear() sets
 * the three keys to null (merge-patch delete), used to roll back a failed
 * ADD. Errors become CNI errors: unusable kubeconfig -> 7 naming
 * kubernetes.kubeconfig; API unreachable, timeouts, conflicts -> 11 (try
 * again later); Pod not found or forbidden -> 999 with the API's message. */
#ifndef TWILL_CNI_POD_ANNOTATE_H
#define TWILL_CNI_POD_ANNOTATE_H

#include "cni_error.h"

#define POD_ANNOTATION_IP "twill.dev/podIP"
#define POD_ANNOTATION_IPS "twill.dev/podIPs"
#define POD_ANNOTATION_CONTAINER_ID "twill.dev/containerID"

int cni_pod_annotate_set(const char *kubeconfig, const char *pod_namespace, const char *pod_name,
		     const char *pod_ip, const char *pod_ips, const char *container_id,
		     struct cni_error *err);
int cni_pod_annotate_clear(const char *kubeconfig, const char *pod_namespace, const char *pod_name,
		       struct cni_error *err);

#endif
