/* get: `twillctl get RESOURCE [NAME] [-o json|yaml|wide|name] [-l SELECTOR]
 * [--kubeconfig PATH]`, kubectl get for twill's own kinds without kubectl.
 *
 * The resource table below mirrors the CRDs in charts/twill/crds: the same
 * plural, singular and short names resolve, and the table columns are the
 * CRDs' additionalPrinterColumns (priority 1 ones only with -o wide), so the
 * output reads like `kubectl get`. "twill" (the CRDs' category) and "all"
 * list every kind, each row named kind.group/name as kubectl does for
 * categories. Columns are computed client-side from the objects, not asked of
 * the server as a Table, because twill's client speaks plain JSON lists.
 * Any transport or API error is one line on stderr and exit status 1. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "ctl.h"
#include "kube_client.h"
#include "kubeconfig.h"
#include "yaml_json.h"

#define GET_MAX_COLUMNS 8

struct get_column {
	const char *header;
	const char *path; /* dotted JSON path from the object root */
	bool wide;        /* printer column priority 1 */
};

struct get_kind {
	const char *kind;
	const char *plural;
	const char *singular;
	const char *short_name;
	struct get_column columns[GET_MAX_COLUMNS];
};

static const struct get_kind get_kinds[] = {
	{ "IPPool", "ippools", "ippool", "twpool",
	  { { "CIDR", "spec.cidr", false },
	    { "BLOCKSIZE", "spec.blockSize", false },
	    { "IPIP", "spec.ipipMode", false },
	    { "VXLAN", "spec.vxlanMode", false },
	    { "NAT", "spec.natOutgoing", false },
	    { "DISABLED", "spec.disabled", false },
	    { "NODESELECTOR", "spec.nodeSelector", true } } },
	{ "BGPConfiguration", "bgpconfigurations", "bgpconfiguration", "twbgpconfig",
	  { { "AS", "spec.asNumber", false },
	    { "MESH", "spec.nodeToNodeMeshEnabled", false },
	    { "LISTENPORT", "spec.listenPort", false },
	    { "LOGSEVERITY", "spec.logSeverityScreen", true } } },
	{ "BGPPeer", "bgppeers", "bgppeer", "twpeer",
	  { { "NODE", "spec.node", false },
	    { "PEERIP", "spec.peerIP", false },
	    { "AS", "spec.asNumber", false },
	    { "NODESELECTOR", "spec.nodeSelector", true },
	    { "PEERSELECTOR", "spec.peerSelector", true } } },
	{ "FelixConfiguration", "felixconfigurations", "felixconfiguration", "twfelixconfig",
	  { { "LOGSEVERITY", "spec.logSeverityScreen", false },
	    { "CLUSTERROUTES", "spec.programClusterRoutes", false },
	    { "VNI", "spec.vxlanVNI", false },
	    { "ROUTEPROTOCOL", "spec.routeProtocol", true },
	    { "INTERFACEPREFIX", "spec.interfacePrefix", true } } },
	{ "IPAMBlock", "ipamblocks", "ipamblock", "twblock",
	  { { "CIDR", "spec.cidr", false },
	    { "AFFINITY", "spec.affinity", false },
	    { "DELETED", "spec.deleted", true },
	    { "SEQUENCE", "spec.sequenceNumber", true } } },
	{ "BlockAffinity", "blockaffinities", "blockaffinity", "twaffinity",
	  { { "NODE", "spec.node", false },
	    { "CIDR", "spec.cidr", false },
	    { "STATE", "spec.state", false },
	    { "DELETED", "spec.deleted", true } } },
	{ "IPAMHandle", "ipamhandles", "ipamhandle", "twhandle",
	  { { "HANDLEID", "spec.handleID", false } } },
	{ "IPAMConfig", "ipamconfigs", "ipamconfig", "twipamconfig",
	  { { "STRICTAFFINITY", "spec.strictAffinity", false },
	    { "AUTOALLOCATE", "spec.autoAllocateBlocks", false },
	    { "MAXBLOCKSPERHOST", "spec.maxBlocksPerHost", false } } },
};

#define GET_NKINDS (sizeof(get_kinds) / sizeof(get_kinds[0]))

enum get_output { GET_OUT_TABLE, GET_OUT_WIDE, GET_OUT_JSON, GET_OUT_YAML, GET_OUT_NAME };

struct get_opts {
	enum get_output output;
	const char *selector;
	const char *kubeconfig;
	const char *resource;
	const char *name;
};

static void get_usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: twillctl get RESOURCE [NAME] [-o json|yaml|wide|name] [-l SELECTOR]\n"
		"                    [--kubeconfig PATH]\n"
		"  RESOURCE is a plural, singular or short name, or 'twill' for every kind:\n");
	for (i = 0; i < GET_NKINDS; i++)
		fprintf(out, "    %-20s (%s, %s)\n", get_kinds[i].plural, get_kinds[i].singular,
			get_kinds[i].short_name);
}

/* Case-insensitive like kubectl; "ippools.twill.dev" resolves too. */
static const struct get_kind *get_kind_lookup(const char *text)
{
	char buf[128];
	const char *dot;
	size_t i, len;

	dot = strchr(text, '.');
	len = dot ? (size_t)(dot - text) : strlen(text);
	if (dot && strcasecmp(dot + 1, "twill.dev") != 0)
		return NULL;
	if (len == 0 || len >= sizeof(buf))
		return NULL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (i = 0; i < GET_NKINDS; i++) {
		const struct get_kind *k = &get_kinds[i];

		if (strcasecmp(buf, k->plural) == 0 || strcasecmp(buf, k->singular) == 0 ||
		    strcasecmp(buf, k->short_name) == 0 || strcasecmp(buf, k->kind) == 0)
			return k;
	}
	return NULL;
}

static void get_resource_of(const struct get_kind *k, struct kube_resource *res)
{
	res->group = "twill.dev";
	res->version = "v1";
	res->plural = k->plural;
	res->namespaced = false;
}

/* Value at a dotted path, or NULL when any step is absent. */
static json_object *get_path(json_object *obj, const char *path)
{
	char key[64];
	const char *p = path, *dot;
	size_t len;

	while (obj && *p) {
		dot = strchr(p, '.');
		len = dot ? (size_t)(dot - p) : strlen(p);
		if (len >= sizeof(key))
			return NULL;
		memcpy(key, p, len);
		key[len] = '\0';
		if (!json_object_is_type(obj, json_type_object) ||
		    !json_object_object_get_ex(obj, key, &obj))
			return NULL;
		p = dot ? dot + 1 : p + len;
	}
	return obj;
}

/* kubectl's human-readable age: 45s, 5m10s, 3h, 2d4h, 300d, 3y20d. */
static void format_age(const char *timestamp, time_t now, char *buf, size_t size)
{
	struct tm tm;
	long long secs, mins, hours, days;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = timestamp ? strptime(timestamp, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!end) {
		snprintf(buf, size, "<unknown>");
		return;
	}
	secs = (long long)(now - timegm(&tm));
	if (secs < 0)
		secs = 0;
	mins = secs / 60;
	hours = mins / 60;
	days = hours / 24;
	if (secs < 120)
		snprintf(buf, size, "%llds", secs);
	else if (mins < 10 && secs % 60)
		snprintf(buf, size, "%lldm%llds", mins, secs % 60);
	else if (mins < 180)
		snprintf(buf, size, "%lldm", mins);
	else if (hours < 8 && mins % 60)
		snprintf(buf, size, "%lldh%lldm", hours, mins % 60);
	else if (hours < 48)
		snprintf(buf, size, "%lldh", hours);
	else if (days < 8 && hours % 24)
		snprintf(buf, size, "%lldd%lldh", days, hours % 24);
	else if (days < 730)
		snprintf(buf, size, "%lldd", days);
	else if (days < 2920 && days % 365)
		snprintf(buf, size, "%lldy%lldd", days / 365, days % 365);
	else
		snprintf(buf, size, "%lldy", days / 365);
}

static const char *cell_text(json_object *v)
{
	if (!v || json_object_is_type(v, json_type_null))
		return "<none>";
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		return s[0] ? s : "<none>";
	}
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/* Rows are built as strings first so column widths can be measured;
 * cells[row * ncols + col]. */
struct get_table {
	size_t ncols, nrows;
	char **cells;
};

static int table_add_cell(struct get_table *t, size_t row, size_t col, const char *text)
{
	t->cells[row * t->ncols + col] = strdup(text);
	return t->cells[row * t->ncols + col] ? 0 : -ENOMEM;
}

static void table_print(const struct get_table *t)
{
	size_t widths[GET_MAX_COLUMNS + 2] = { 0 };
	size_t r, c, len;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			len = strlen(t->cells[r * t->ncols + c]);
			if (len > widths[c])
				widths[c] = len;
		}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			if (c + 1 < t->ncols)
				printf("%-*s   ", (int)widths[c], t->cells[r * t->ncols + c]);
			else
				printf("%s\n", t->cells[r * t->ncols + c]);
		}
	}
}

static void table_free(struct get_table *t)
{
	size_t i;

	if (t->cells)
		for (i = 0; i < t->nrows * t->ncols; i++)
			free(t->cells[i]);
	free(t->cells);
}

/* One table for the items of one kind; with_kind prefixes names with
 * "kind.twill.dev/" (category listings). */
static int print_table(const struct get_kind *k, json_object **items, size_t n, bool wide,
		       bool with_kind)
{
	struct get_table t = { 0, 0, NULL };
	char age[32], name[320], lower[64];
	size_t cols[GET_MAX_COLUMNS], ncols = 0, i, c, r;
	time_t now = time(NULL);
	int ret = 0;

	for (i = 0; i < GET_MAX_COLUMNS && k->columns[i].header; i++)
		if (wide || !k->columns[i].wide)
			cols[ncols++] = i;
	t.ncols = ncols + 2;
	t.nrows = n + 1;
	t.cells = calloc(t.ncols * t.nrows, sizeof(*t.cells));
	if (!t.cells)
		return -ENOMEM;
	for (i = 0; k->kind[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)((k->kind[i] >= 'A' && k->kind[i] <= 'Z') ? k->kind[i] + 32
									     : k->kind[i]);
	lower[i] = '\0';
	ret = table_add_cell(&t, 0, 0, "NAME");
	for (c = 0; c < ncols && ret == 0; c++)
		ret = table_add_cell(&t, 0, c + 1, k->columns[cols[c]].header);
	if (ret == 0)
		ret = table_add_cell(&t, 0, ncols + 1, "AGE");
	for (r = 0; r < n && ret == 0; r++) {
		const char *obj_name = kube_object_name(items[r]);
		json_object *ts = get_path(items[r], "metadata.creationTimestamp");

		snprintf(name, sizeof(name), "%s%s%s", with_kind ? lower : "",
			 with_kind ? ".twill.dev/" : "", obj_name ? obj_name : "<none>");
		ret = table_add_cell(&t, r + 1, 0, name);
		for (c = 0; c < ncols && ret == 0; c++)
			ret = table_add_cell(&t, r + 1, c + 1,
					     cell_text(get_path(items[r], k->columns[cols[c]].path)));
		if (ret)
			break;
		format_age(ts && json_object_is_type(ts, json_type_string)
				   ? json_object_get_string(ts) : NULL,
			   now, age, sizeof(age));
		ret = table_add_cell(&t, r + 1, ncols + 1, age);
	}
	if (ret == 0)
		table_print(&t);
	table_free(&t);
	return ret;
}

static int print_document(json_object *obj, enum get_output output)
{
	char *text = NULL;
	int ret;

	if (output == GET_OUT_JSON) {
		printf("%s\n", json_object_to_json_string_ext(
				       obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		return 0;
	}
	ret = yaml_json_emit(obj, &text);
	if (ret == 0)
		fputs(text, stdout);
	free(text);
	return ret;
}

/* Fetch the items of one kind (one object when name is set) into *list, a
 * json array owned by the caller. */
static int fetch(struct kube_client *client, const struct get_kind *k, const struct get_opts *o,
		 json_object **items_out, json_object **holder)
{
	struct kube_list_opts lopts = { .label_selector = o->selector };
	struct kube_resource res;
	struct kube_error err;
	json_object *got = NULL, *items;
	int ret;

	memset(&err, 0, sizeof(err));
	get_resource_of(k, &res);
	*holder = NULL;
	*items_out = NULL;
	if (o->name) {
		ret = kube_get(client, &res, NULL, o->name, &got, &err);
		if (ret == -ENOENT) {
			fprintf(stderr, "Error from server (NotFound): %s.twill.dev \"%s\" not found\n",
				k->plural, o->name);
			return ret;
		}
	} else {
		ret = kube_list(client, &res, NULL, &lopts, &got, &err);
	}
	if (ret < 0) {
		fprintf(stderr, "twillctl get %s: %s\n", k->plural,
			err.message[0] ? err.message : strerror(-ret));
		json_object_put(got);
		return ret;
	}
	if (o->name) {
		items = json_object_new_array();
		if (!items || json_object_array_add(items, got) < 0) {
			json_object_put(items);
			json_object_put(got);
			return -ENOMEM;
		}
		*holder = items;
		*items_out = items;
		return 0;
	}
	if (!json_object_object_get_ex(got, "items", &items) ||
	    !json_object_is_type(items, json_type_array)) {
		fprintf(stderr, "twillctl get %s: list without items\n", k->plural);
		json_object_put(got);
		return -EPROTO;
	}
	*holder = got;
	*items_out = items;
	return 0;
}

/* Every requested kind's items gathered, then printed in one format. */
static int get_run(struct kube_client *client, const struct get_opts *o,
		   const struct get_kind **kinds, size_t nkinds)
{
	json_object *holders[GET_NKINDS] = { NULL }, *items[GET_NKINDS] = { NULL };
	json_object *list = NULL, *all = NULL;
	size_t i, j, total = 0, shown = 0;
	bool category = nkinds > 1;
	int ret = 0;

	for (i = 0; i < nkinds; i++) {
		ret = fetch(client, kinds[i], o, &items[i], &holders[i]);
		if (ret < 0)
			goto out;
		total += json_object_array_length(items[i]);
	}
	if (o->output == GET_OUT_JSON || o->output == GET_OUT_YAML) {
		if (o->name) {
			ret = print_document(json_object_array_get_idx(items[0], 0), o->output);
			goto out;
		}
		/* kubectl prints a plain List when it merged several results. */
		list = json_object_new_object();
		all = json_object_new_array();
		if (!list || !all) {
			json_object_put(all);
			ret = -ENOMEM;
			goto out;
		}
		json_object_object_add(list, "apiVersion", json_object_new_string("v1"));
		json_object_object_add(list, "kind", json_object_new_string("List"));
		json_object_object_add(list, "items", all);
		for (i = 0; i < nkinds; i++)
			for (j = 0; j < json_object_array_length(items[i]); j++)
				json_object_array_add(
					all, json_object_get(json_object_array_get_idx(items[i], j)));
		ret = print_document(list, o->output);
		goto out;
	}
	if (total == 0) {
		fprintf(stderr, "No resources found\n");
		goto out;
	}
	for (i = 0; i < nkinds; i++) {
		size_t n = json_object_array_length(items[i]);
		json_object **arr;

		if (n == 0)
			continue;
		if (o->output == GET_OUT_NAME) {
			for (j = 0; j < n; j++) {
				const char *nm = kube_object_name(json_object_array_get_idx(items[i], j));

				printf("%s.twill.dev/%s\n", kinds[i]->singular, nm ? nm : "");
			}
			continue;
		}
		arr = calloc(n, sizeof(*arr));
		if (!arr) {
			ret = -ENOMEM;
			goto out;
		}
		for (j = 0; j < n; j++)
			arr[j] = json_object_array_get_idx(items[i], j);
		if (shown++)
			printf("\n");
		ret = print_table(kinds[i], arr, n, o->output == GET_OUT_WIDE, category);
		free(arr);
		if (ret < 0)
			goto out;
	}
out:
	json_object_put(list);
	for (i = 0; i < nkinds; i++)
		json_object_put(holders[i]);
	return ret;
}

static int parse_output(const char *text, enum get_output *out)
{
	static const struct {
		const char *name;
		enum get_output value;
	} outputs[] = {
		{ "wide", GET_OUT_WIDE }, { "json", GET_OUT_JSON },
		{ "yaml", GET_OUT_YAML }, { "name", GET_OUT_NAME },
	};
	size_t i;

	for (i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++)
		if (strcmp(text, outputs[i].name) == 0) {
			*out = outputs[i].value;
			return 0;
		}
	return -EINVAL;
}

int ctl_get_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "selector", required_argument, NULL, 'l' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct get_kind *kinds[GET_NKINDS];
	struct kube_config cfg;
	struct kube_client *client = NULL;
	struct get_opts o;
	char err[512];
	size_t nkinds = 0, i;
	int opt, ret;

	memset(&o, 0, sizeof(o));
	memset(&cfg, 0, sizeof(cfg));
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:l:h", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (parse_output(optarg, &o.output) < 0) {
				fprintf(stderr, "twillctl get: unknown output format '%s' "
						"(json, yaml, wide, name)\n", optarg);
				return 2;
			}
			break;
		case 'l':
			o.selector = optarg;
			break;
		case 'k':
			o.kubeconfig = optarg;
			break;
		case 'h':
			get_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "twillctl get: bad option '%s'\n", argv[optind - 1]);
			get_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		get_usage(stderr);
		return 2;
	}
	o.resource = argv[optind];
	o.name = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (strcasecmp(o.resource, "twill") == 0 || strcasecmp(o.resource, "all") == 0) {
		if (o.name) {
			fprintf(stderr, "twillctl get: a name needs a single resource type\n");
			return 2;
		}
		for (i = 0; i < GET_NKINDS; i++)
			kinds[nkinds++] = &get_kinds[i];
	} else {
		kinds[0] = get_kind_lookup(o.resource);
		if (!kinds[0]) {
			fprintf(stderr, "twillctl get: unknown resource type '%s'\n", o.resource);
			get_usage(stderr);
			return 2;
		}
		nkinds = 1;
	}
	if (o.name && o.selector) {
		fprintf(stderr, "twillctl get: a name cannot be combined with -l\n");
		return 2;
	}

	err[0] = '\0';
	ret = kube_config_load_user(o.kubeconfig, &cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "twillctl get: %s\n", err[0] ? err : strerror(-ret));
		return 1;
	}
	ret = kube_client_new(&cfg, &client);
	if (ret < 0) {
		fprintf(stderr, "twillctl get: cannot create API client: %s\n", strerror(-ret));
		goto out;
	}
	ret = get_run(client, &o, kinds, nkinds);
	/* fetch() already described API and transport errors. */
	if (ret == -ENOMEM)
		fprintf(stderr, "twillctl get: %s\n", strerror(-ret));
out:
	kube_client_free(client);
	kube_config_free(&cfg);
	return ret < 0 ? 1 : 0;
}
