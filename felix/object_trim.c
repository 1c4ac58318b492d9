/* object_trim: in-place pruning of cached objects.
 *
 * Pruning works by building the kept children first and then deleting every
 * other key, because json-c forbids deleting from an object while iterating
 * it. Kept values are moved by reference (json_object_get before the parent
 * drops them), never deep-copied. */
#include "object_trim.h"

#include <string.h>

#define TWILL_ANNOTATION_PREFIX "twill.dev/"

/* Delete every key of obj not in keep (NULL-terminated). */
static void keep_only(json_object *obj, const char *const *keep)
{
	const char *drop[64];
	size_t n = 0, i;
	bool more = true;

	if (!json_object_is_type(obj, json_type_object))
		return;
	while (more) {
		more = false;
		n = 0;
		json_object_object_foreach(obj, key, val)
		{
			bool wanted = false;

			(void)val;
			for (i = 0; keep[i]; i++)
				if (strcmp(key, keep[i]) == 0)
					wanted = true;
			if (wanted)
				continue;
			if (n == sizeof(drop) / sizeof(drop[0])) {
				more = true; /* delete this batch, then look again */
				break;
			}
			drop[n++] = key;
		}
		for (i = 0; i < n; i++)
			json_object_object_del(obj, drop[i]);
	}
}

static json_object *child(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* Annotations: only twill's own survive (the CNI plugin's pod IPs). */
static void trim_annotations(json_object *ann)
{
	const char *drop[64];
	size_t n, i;
	bool more = true;

	if (!json_object_is_type(ann, json_type_object))
		return;
	while (more) {
		more = false;
		n = 0;
		json_object_object_foreach(ann, key, val)
		{
			(void)val;
			if (strncmp(key, TWILL_ANNOTATION_PREFIX, strlen(TWILL_ANNOTATION_PREFIX)) == 0)
				continue;
			if (n == sizeof(drop) / sizeof(drop[0])) {
				more = true;
				break;
			}
			drop[n++] = key;
		}
		for (i = 0; i < n; i++)
			json_object_object_del(ann, drop[i]);
	}
}

static void trim_meta(json_object *obj)
{
	static const char *const meta_keep[] = { "name", "namespace", "uid", "resourceVersion",
						 "deletionTimestamp", "labels", "annotations",
						 NULL };
	json_object *meta = child(obj, "metadata");

	keep_only(meta, meta_keep);
	trim_annotations(child(meta, "annotations"));
}

void felix_trim_object(json_object *obj)
{
	static const char *const top_keep[] = { "apiVersion", "kind", "metadata", "spec", NULL };

	keep_only(obj, top_keep);
	trim_meta(obj);
}

void felix_trim_pod(json_object *pod)
{
	static const char *const top_keep[] = { "apiVersion", "kind", "metadata", "spec",
						"status", NULL };
	static const char *const spec_keep[] = { "nodeName", "hostNetwork", "containers", NULL };
	static const char *const container_keep[] = { "name", "ports", NULL };
	static const char *const status_keep[] = { "phase", "podIP", "podIPs", NULL };
	json_object *containers;
	size_t i, len;

	keep_only(pod, top_keep);
	trim_meta(pod);
	keep_only(child(pod, "spec"), spec_keep);
	keep_only(child(pod, "status"), status_keep);
	containers = child(child(pod, "spec"), "containers");
	if (!json_object_is_type(containers, json_type_array))
		return;
	len = json_object_array_length(containers);
	for (i = 0; i < len; i++)
		keep_only(json_object_array_get_idx(containers, i), container_keep);
}

static bool on_node(json_object *pod, const char *node)
{
	json_object *name = child(child(pod, "spec"), "nodeName");

	return node && json_object_is_type(name, json_type_string) &&
	       strcmp(json_object_get_string(name), node) == 0;
}

bool felix_pod_event_is_local(json_object *old_pod, json_object *new_pod, const char *node)
{
	return on_node(old_pod, node) || on_node(new_pod, node);
}
