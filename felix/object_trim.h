/* object_trim: what twill-felix keeps of the Pods, Namespaces and
 * NetworkPolicies its informers cache, and which pod events concern this
 * node's routes.
 *
 * felix caches every pod of the cluster (NetworkPolicy peer selectors need
 * their labels and IPs), so each cached object is cut down to the fields a
 * reader in felix uses — the informer's transform hook (lib/informer.h)
 * runs these before caching, on the informer's thread:
 *  - every kind: metadata.name, namespace, uid, resourceVersion,
 *    deletionTimestamp, labels, and only the twill.dev/ annotations
 *    (managedFields and kubectl's last-applied-configuration go);
 *  - Pod: spec.nodeName, spec.hostNetwork, spec.containers[].name and
 *    .ports, status.phase, status.podIP, status.podIPs;
 *  - NetworkPolicy: spec as is (the compiler reads all of it);
 *  - Namespace: no spec or status.
 * Pure functions on json-c objects; they never fail (a field of the wrong
 * type is dropped, the model's parser reports what is then missing). */
#ifndef TWILL_FELIX_OBJECT_TRIM_H
#define TWILL_FELIX_OBJECT_TRIM_H

#include <stdbool.h>

#include <json-c/json.h>

void felix_trim_pod(json_object *pod);
/* Namespaces and NetworkPolicies: metadata as above, spec kept, status dropped. */
void felix_trim_object(json_object *obj);

/* Whether a pod event can change this node's routes: the pod (old or new
 * version; either may be NULL) has spec.nodeName == node. */
bool felix_pod_event_is_local(json_object *old_pod, json_object *new_pod, const char *node);

#endif
