/* pod_annotate: record a pod's network identity on its Pod object.
 *
 * Contract: a set (cni_pod_annotate_set_start() + cni_pod_annotate_wait())
 * merge-patches metadata.annotations of Pod
 * <namespace>/<name> with
 *     twill.dev/podIP        first address (no prefix length)
 *     twill.dev/podIPs       all addresses, comma separated
 *     twill.dev/containerID  CNI_CONTAINERID
 * (lib/pod_annotations.h); cni_pod_annotate_clear() sets the three keys to
 * null (merge-patch delete), used to roll back a failed ADD. Errors become
 * CNI errors: unusable kubeconfig -> 7 naming kubernetes.kubeconfig; API
 * unreachable, timeouts, conflicts -> 11 (try again later); Pod not found or
 * forbidden -> 999 with the API's message.
 *
 * With server_socket (twill-ipam's node-local server, the same socket as
 * ipam.socket) the patch is the server's (ipam/server_annotate.h): same
 * result and errors, no libcurl in this process. A server that does not
 * take the request (nobody listening, an older server refusing it) -> the
 * patch is made here; one that took it but gave no answer -> 11.
 *
 * Without a server the client is prepared ahead: cni_pod_annotator_start()
 * returns at once and builds it on a thread (kubeconfig parsed, libcurl
 * loaded -- ~15-20 ms of CPU that then overlaps the IPAM plugin's run
 * instead of adding to the ADD's latency). The first patch waits for it
 * and reports its error, if any. The thread opens no socket (the connection
 * is made by the first request, on the caller's thread, so in the caller's
 * network namespace). cni_pod_annotator_free() waits for the thread and
 * frees everything; it accepts NULL. One annotator serves one ADD, from one
 * thread at a time. */
#ifndef TWILL_CNI_POD_ANNOTATE_H
#define TWILL_CNI_POD_ANNOTATE_H

#include "cni_error.h"

struct cni_pod_annotator;

/* 0, or the code 999 (err set: out of memory, pthread_create failed).
 * kubeconfig and server_socket (NULL: none) must outlive the annotator. */
int cni_pod_annotator_start(const char *kubeconfig, const char *server_socket,
			    struct cni_pod_annotator **out, struct cni_error *err);
void cni_pod_annotator_free(struct cni_pod_annotator *a);

/* A set in two steps, so the caller can work while the server patches:
 * _start hands the request over (it cannot fail: a failure
 * is kept for the wait) and _wait returns the set's outcome. The strings
 * must stay valid until the wait; the wait is a no-op without a start.
 * Without a server (or one that does not take it) the patch is made by the
 * wait. A clear waits for a set in flight first. */
int cni_pod_annotate_set_start(struct cni_pod_annotator *a, const char *pod_namespace,
			       const char *pod_name, const char *pod_ip, const char *pod_ips,
			       const char *container_id);
int cni_pod_annotate_wait(struct cni_pod_annotator *a, struct cni_error *err);
int cni_pod_annotate_clear(struct cni_pod_annotator *a, const char *pod_namespace,
			   const char *pod_name, struct cni_error *err);

#endif
