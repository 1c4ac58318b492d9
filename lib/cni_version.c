/* cni_version: version parsing and the feature gates derived from it.
 *
 * Gates are expressed as "at least X" on parsed numbers rather than string
 * compares, so "0.10.0" (if it ever existed) would order correctly. */
#include "cni_version.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

const char *const cni_supported_versions[] = {
	"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL,
};

static int parse_number(const char **p, unsigned *out)
{
	unsigned long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	if (*s == '0' && s[1] >= '0' && s[1] <= '9')
		return -EINVAL;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -EINVAL;
		s++;
	}
	*out = (unsigned)v;
	*p = s;
	return 0;
}

int cni_version_parse(const char *text, struct cni_version *out)
{
	const char *p = text;
	struct cni_version v;

	if (!text || parse_number(&p, &v.major) || *p++ != '.' || parse_number(&p, &v.minor) ||
	    *p++ != '.' || parse_number(&p, &v.patch) || *p != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

int cni_version_compare(const struct cni_version *a, const struct cni_version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return 0;
}

bool cni_version_at_least(const char *text, const char *min)
{
	struct cni_version a, b;

	if (cni_version_parse(text, &a) || cni_version_parse(min, &b))
		return false;
	return cni_version_compare(&a, &b) >= 0;
}

bool cni_version_supported(const char *text)
{
	size_t i;

	if (!text)
		return false;
	for (i = 0; cni_supported_versions[i]; i++)
		if (strcmp(text, cni_supported_versions[i]) == 0)
			return true;
	return false;
}

bool cni_version_has_check(const char *text)
{
	return cni_version_at_least(text, "0.4.0");
}

bool cni_version_has_gc_status(const char *text)
{
	return cni_version_at_least(text, "1.1.0");
}

bool cni_version_has_ip_version_field(const char *text)
{
	return !cni_version_at_least(text, "1.0.0");
}

bool cni_version_has_v11_fields(const char *text)
{
	return cni_version_at_least(text, "1.1.0");
}

char *cni_version_info_json(const char *version)
{
	json_object *obj = json_object_new_object();
	json_object *arr = json_object_new_array();
	char *text = NULL;
	size_t i;

	if (!obj || !arr) {
		json_object_put(arr);
		goto out;
	}
	for (i = 0; cni_supported_versions[i]; i++)
		if (json_object_array_add(arr, json_object_new_string(cni_supported_versions[i]))) {
			json_object_put(arr);
			goto out;
		}
	if (json_object_object_add(obj, "cniVersion",
				   json_object_new_string(version ? version : CNI_VERSION_LATEST)) ||
	    json_object_object_add(obj, "supportedVersions", arr))
		goto out;
	text = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(obj);
	return text;
}
