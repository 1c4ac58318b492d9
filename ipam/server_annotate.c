/* server_annotate: see server_annotate.h. */
#include "server_annotate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "kubeconfig.h"
#include "log.h"
#include "pod_annotations.h"

static const char *const fields[] = { "kubeconfig", "namespace", "name",
				      "podIP", "podIPs", "containerID" };
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))
#define N_REQUIRED 3 /* kubeconfig, namespace, name; the rest all or none */

char *ipam_server_annotate_request(const char *kubeconfig, const char *ns, const char *name,
				   const char *pod_ip, const char *pod_ips,
				   const char *container_id)
{
	const char *values[N_FIELDS] = { kubeconfig, ns, name, pod_ip, pod_ips, container_id };
	json_object *o = json_object_new_object();
	char *text = NULL;
	size_t i;

	if (!o)
		return NULL;
	for (i = 0; i < N_FIELDS; i++) {
		json_object *v;

		if (!values[i])
			continue;
		if (!(v = json_object_new_string(values[i])) ||
		    json_object_object_add(o, fields[i], v) < 0) {
			json_object_put(v);
			goto out;
		}
	}
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(o);
	return text;
}

/* The request's fields into values (borrowed from obj). 0 or code 4. */
static int read_request(json_object *obj, const char *values[N_FIELDS], struct cni_error *err)
{
	size_t i, have = 0;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return cni_error_set(err, CNI_ERR_INVALID_CONFIG,
				     "pod annotation request: not a JSON object");
	for (i = 0; i < N_FIELDS; i++) {
		json_object *v;

		values[i] = NULL;
		if (!json_object_object_get_ex(obj, fields[i], &v))
			continue;
		if (!json_object_is_type(v, json_type_string) || !*json_object_get_string(v))
			return cni_error_set(err, CNI_ERR_INVALID_CONFIG,
					     "pod annotation request: %s: must be a non-empty "
					     "string", fields[i]);
		values[i] = json_object_get_string(v);
		if (i >= N_REQUIRED)
			have++;
	}
	for (i = 0; i < N_REQUIRED; i++)
		if (!values[i])
			return cni_error_set(err, CNI_ERR_INVALID_CONFIG,
					     "pod annotation request: %s: required", fields[i]);
	if (have != 0 && have != N_FIELDS - N_REQUIRED)
		return cni_error_set(err, CNI_ERR_INVALID_CONFIG,
				     "pod annotation request: podIP, podIPs and containerID go "
				     "together");
	return 0;
}

int ipam_server_annotate(const char *request, size_t len, struct ipam_api_cache *cache)
{
	const char *v[N_FIELDS];
	struct kube_config kcfg;
	struct kube_client *client = NULL;
	struct cni_error err;
	json_object *obj = NULL, *annotations = NULL;
	json_tokener *tok = json_tokener_new();
	char msg[512];
	int code, rc;

	memset(&kcfg, 0, sizeof(kcfg));
	cni_error_clear(&err);
	if (!tok) {
		code = cni_error_set(&err, CNI_ERR_INTERNAL, "out of memory");
		goto out;
	}
	obj = json_tokener_parse_ex(tok, request, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
	}
	if ((code = read_request(obj, v, &err)))
		goto out;
	if ((rc = kube_config_load_file(v[0], &kcfg, msg, sizeof(msg))) < 0) {
		code = cni_error_set(&err, CNI_ERR_INVALID_CONFIG, "kubernetes.kubeconfig: %s",
				     msg);
		goto out;
	}
	if ((rc = ipam_api_cache_client(cache, &kcfg, IPAM_ANNOTATE_CONNECT_MS,
					IPAM_ANNOTATE_TOTAL_MS, &client)) < 0) {
		code = cni_error_set(&err, CNI_ERR_INVALID_CONFIG,
				     "kubernetes.kubeconfig: %s: cannot build a client: %s", v[0],
				     strerror(-rc));
		goto out;
	}
	annotations = v[3] ? pod_annotations_set(v[3], v[4], v[5]) : pod_annotations_clear();
	if (!annotations) {
		code = cni_error_set(&err, CNI_ERR_INTERNAL, "out of memory");
		goto out;
	}
	code = pod_annotations_patch(client, v[1], v[2], annotations, &err);
	if (code == 0)
		log_info("event=pod_annotations pod=%s/%s action=%s", v[1], v[2],
			 v[3] ? "set" : "clear");
out:
	if (code) {
		char *text = cni_error_json(&err, NULL);

		log_error("event=error op=" IPAM_SERVER_OP_ANNOTATE " code=%d msg=\"%s\"", err.code,
			  err.msg);
		puts(text ? text : "{\"code\":999,\"msg\":\"out of memory\"}");
		free(text);
	}
	fflush(stdout);
	json_object_put(annotations);
	json_object_put(obj);
	if (tok)
		json_tokener_free(tok);
	kube_config_free(&kcfg);
	return code ? 1 : 0;
}

int ipam_server_annotate_reply(int status, const char *body, struct cni_error *err)
{
	json_object *obj, *code = NULL, *msg = NULL, *details = NULL;
	int ret;

	if (status == 0)
		return 0;
	obj = body && *body ? json_tokener_parse(body) : NULL;
	if (obj && json_object_object_get_ex(obj, "code", &code) &&
	    json_object_is_type(code, json_type_int) && json_object_get_int(code) > 0) {
		const char *text = NULL;

		if (json_object_object_get_ex(obj, "msg", &msg))
			text = json_object_get_string(msg);
		json_object_object_get_ex(obj, "details", &details);
		ret = cni_error_set_details(err, json_object_get_int(code),
					    details ? json_object_get_string(details) : NULL, "%s",
					    text && *text ? text : "kubernetes: error without msg");
	} else {
		ret = cni_error_set(err, CNI_ERR_INTERNAL,
				    "kubernetes: the IPAM server's annotation request failed "
				    "(status %d) without an error object", status);
	}
	json_object_put(obj);
	return ret;
}
