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
 * again later); Pod not found or forbidden -> 999 with the API's message.
 *
 * The client is prepared ahead: cni_pod_annotator_start() returns at once
 * and builds it on a thread (kubeconfig parsed, libcurl loaded -- ~15-20 ms
 * of CPU that then overlaps the IPAM plugin's run instead of adding to the
 * ADD's latency). The first set/clear waits for it and reports its error,
 * if any. The thread opens no socket (the connection is made by the first
 * request, on the caller's thread, so in the caller's network namespace).
 * cni_pod_annotator_free() waits for the thread and frees everything; it
 * accepts NULL. One annotator serves one ADD, from one thread at a time. */
#ifndef TWILL_CNI_POD_ANNOTATE_H
#define TWILL_CNI_POD_ANNOTATE_H

#include "cni_error.h"

#define POD_ANNOTATION_IP "twill.dev/podIP"
#define POD_ANNOTATION_IPS "twill.dev/podIPs"
#define POD_ANNOTATION_CONTAINER_ID "twill.dev/containerID"

struct cni_pod_annotator;

/* 0, or -ENOMEM / -errno of pthread_create (err set, code 999). The path
 * must outlive the annotator. */
int cni_pod_annotator_start(const char *kubeconfig, struct cni_pod_annotator **out,
			    struct cni_error *err);
void cni_pod_annotator_free(struct cni_pod_annotator *a);

int cni_pod_annotate_set(struct cni_pod_annotator *a, const char *pod_namespace,
			 const char *pod_name, const char *pod_ip, const char *pod_ips,
			 const char *container_id, struct cni_error *err);
int cni_pod_annotate_clear(struct cni_pod_annotator *a, const char *pod_namespace,
			   const char *pod_name, struct cni_error *err);

#endif
