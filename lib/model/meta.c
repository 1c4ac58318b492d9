/* object_meta: ObjectMeta subset. Strings stay NULL when absent so a
 * serialised object carries exactly the fields it was read with (plus those
 * the caller set), which keeps update requests minimal and round trips exact. */
#include "model/meta.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int object_meta_from_json(const struct json_cursor *root, struct object_meta *m)
{
	struct json_cursor c;
	int rc;

	rc = json_cursor_child(root, "metadata", &c);
	if (rc <= 0)
		return rc == -EINVAL ? 0 : rc;
	if (json_get_string(&c, "name", &m->name) == -ENOMEM ||
	    json_get_string(&c, "namespace", &m->namespace) == -ENOMEM ||
	    json_get_string(&c, "uid", &m->uid) == -ENOMEM ||
	    json_get_string(&c, "resourceVersion", &m->resource_version) == -ENOMEM ||
	    json_get_string(&c, "creationTimestamp", &m->creation_timestamp) == -ENOMEM ||
	    json_get_string(&c, "deletionTimestamp", &m->deletion_timestamp) == -ENOMEM ||
	    json_get_int64(&c, "generation", 0, INT64_MAX, &m->generation) == -ENOMEM ||
	    json_get_string_map(&c, "labels", &m->labels) == -ENOMEM ||
	    json_get_string_map(&c, "annotations", &m->annotations) == -ENOMEM)
		return -ENOMEM;
	return 0;
}

int object_meta_to_json(const struct object_meta *m, json_object *root)
{
	json_object *o = json_set_object(root, "metadata");

	if (!o)
		return -ENOMEM;
	if (json_set_string(o, "name", m->name) < 0 ||
	    json_set_string(o, "namespace", m->namespace) < 0 ||
	    json_set_string(o, "uid", m->uid) < 0 ||
	    json_set_string(o, "resourceVersion", m->resource_version) < 0 ||
	    json_set_string(o, "creationTimestamp", m->creation_timestamp) < 0 ||
	    json_set_string(o, "deletionTimestamp", m->deletion_timestamp) < 0 ||
	    (m->generation && json_set_int64(o, "generation", m->generation) < 0) ||
	    json_set_string_map(o, "labels", &m->labels, false) < 0 ||
	    json_set_string_map(o, "annotations", &m->annotations, false) < 0)
		return -ENOMEM;
	return 0;
}

void object_meta_validate_name(const struct object_meta *m,
			       struct model_errors *errs)
{
	const char *n = m->name;
	size_t i, len;

	if (!n || !n[0]) {
		model_errors_add(errs, "metadata.name", "is required");
		return;
	}
	len = strlen(n);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)n[i];

		if (!(islower(ch) || isdigit(ch) || ch == '-' || ch == '.'))
			break;
	}
	if (len > 253 || i < len || !isalnum((unsigned char)n[0]) ||
	    !isalnum((unsigned char)n[len - 1]))
		model_errors_add(errs, "metadata.name",
				 "must be a lowercase DNS subdomain (a-z, 0-9, '-', '.'; "
				 "at most 253 characters), got \"%.64s\"", n);
}

bool object_meta_equal(const struct object_meta *a, const struct object_meta *b)
{
	return json_strcmp_null(a->name, b->name) == 0 &&
	       json_strcmp_null(a->namespace, b->namespace) == 0 &&
	       json_strcmp_null(a->uid, b->uid) == 0 &&
	       json_strcmp_null(a->resource_version, b->resource_version) == 0 &&
	       json_strcmp_null(a->creation_timestamp, b->creation_timestamp) == 0 &&
	       json_strcmp_null(a->deletion_timestamp, b->deletion_timestamp) == 0 &&
	       a->generation == b->generation &&
	       labels_equal(&a->labels, &b->labels) &&
	       labels_equal(&a->annotations, &b->annotations);
}

static int copy_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int object_meta_copy(struct object_meta *dst, const struct object_meta *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->generation = src->generation;
	if (copy_str(&dst->name, src->name) < 0 ||
	    copy_str(&dst->namespace, src->namespace) < 0 ||
	    copy_str(&dst->uid, src->uid) < 0 ||
	    copy_str(&dst->resource_version, src->resource_version) < 0 ||
	    copy_str(&dst->creation_timestamp, src->creation_timestamp) < 0 ||
	    copy_str(&dst->deletion_timestamp, src->deletion_timestamp) < 0 ||
	    labels_copy(&dst->labels, &src->labels) < 0 ||
	    labels_copy(&dst->annotations, &src->annotations) < 0) {
		object_meta_free(dst);
		return -ENOMEM;
	}
	return 0;
}

void object_meta_free(struct object_meta *m)
{
	free(m->name);
	free(m->namespace);
	free(m->uid);
	free(m->resource_version);
	free(m->creation_timestamp);
	free(m->deletion_timestamp);
	labels_free(&m->labels);
	labels_free(&m->annotations);
	memset(m, 0, sizeof(*m));
}
