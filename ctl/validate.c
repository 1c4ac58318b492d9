/* validate: `twillctl validate -f FILE [-f FILE...]`, offline checks of
 * manifests before they reach the API server.
 *
 * Every document of every file goes through model_validate_object(), the
 * same parser and semantic checks the daemons run on what they read, so a
 * manifest that passes here is one twill will accept (the API server's schema
 * is a subset of these checks). Then the set checks of lib/model that need
 * all documents at once (model/validate_set.h): no two enabled IPPools may
 * overlap, a BGPPeer's family must exist on the Nodes it applies to (when
 * Node manifests are given), an IPAMBlock must sit in a pool with its block
 * size (when pools are given). The verb never stops at the
 * first problem: the point is one run that lists everything to fix, each line
 *     FILE: doc N: Kind "name": field.path: message
 * with N counting the non-empty documents of FILE from 1 ("doc N item M"
 * for the items of a List document, which is what `get -o yaml` of several
 * objects prints, so its output validates again). Warnings (unknown
 * fields the API server would silently prune) are printed the same way but
 * do not fail the run.
 *
 * -f accepts a file, "-" for stdin, or a directory (its *.yaml, *.yml and
 * *.json files in name order, not recursive, like kubectl apply -f DIR). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "ctl.h"
#include "model/bgppeer.h"
#include "model/ipamblock.h"
#include "model/ippool.h"
#include "model/model.h"
#include "model/node.h"
#include "model/validate_set.h"
#include "yaml_json.h"

/* Where an object came from, so a set-check error (which knows only kind
 * and name) can be printed with its file and document. */
struct origin {
	const char *kind;
	char *name;
	char *where; /* "FILE: doc N" */
};

/* The objects the set checks need, each array parallel to its origins. */
struct validate_run {
	size_t files;
	size_t objects;
	size_t problems;
	size_t warnings;
	struct ippool *pools;
	struct bgppeer *peers;
	struct node *nodes;
	struct ipamblock *blocks;
	size_t npools, npeers, nnodes, nblocks;
	struct origin *origins;
	size_t norigins;
};

static void validate_usage(FILE *out)
{
	fprintf(out,
		"usage: twillctl validate -f FILE [-f FILE...]\n"
		"  Check twill and Kubernetes manifests (multi-document YAML or JSON)\n"
		"  offline. FILE may be '-' for stdin or a directory (its *.yaml,\n"
		"  *.yml and *.json files). Exit status 1 when any problem is found.\n");
}

static void print_errors(struct validate_run *run, const char *where,
			 const struct model_errors *errs)
{
	char line[1024];
	size_t i;

	for (i = 0; i < errs->count; i++) {
		model_errors_format(errs, i, line, sizeof(line));
		printf("%s: %s\n", where, line);
		if (errs->items[i].warning)
			run->warnings++;
		else
			run->problems++;
	}
	if (errs->oom) {
		printf("%s: out of memory while checking\n", where);
		run->problems++;
	}
}

static int remember_origin(struct validate_run *run, const char *kind, const char *name,
			   const char *where)
{
	struct origin *grown, *o;

	grown = realloc(run->origins, (run->norigins + 1) * sizeof(*run->origins));
	if (!grown)
		return -ENOMEM;
	run->origins = grown;
	o = &run->origins[run->norigins];
	o->kind = kind;
	o->name = strdup(name ? name : "");
	o->where = strdup(where);
	if (!o->name || !o->where) {
		free(o->name);
		free(o->where);
		return -ENOMEM;
	}
	run->norigins++;
	return 0;
}

/* Grow one of the typed arrays by one zeroed element: returns it or NULL. */
static void *grow(void **arr, size_t *n, size_t size)
{
	char *grown = realloc(*arr, (*n + 1) * size);

	if (!grown)
		return NULL;
	*arr = grown;
	memset(grown + *n * size, 0, size);
	return grown + (*n)++ * size;
}

/* Keep a copy of the kinds the set checks look at. Parse errors were
 * already reported by model_validate_object(), so they go to a scratch
 * list here. */
static int collect(struct validate_run *run, const char *where, json_object *obj)
{
	struct model_errors scratch = MODEL_ERRORS_INIT;
	json_object *api_version, *kind;
	const char *kind_name = NULL, *name = NULL;
	enum model_kind k;
	void *slot;
	int ret = 0;

	if (!json_object_object_get_ex(obj, "apiVersion", &api_version) ||
	    !json_object_object_get_ex(obj, "kind", &kind) ||
	    !json_object_is_type(api_version, json_type_string) ||
	    !json_object_is_type(kind, json_type_string))
		return 0;
	k = model_kind_lookup(json_object_get_string(api_version), json_object_get_string(kind));
	switch (k) {
	case MODEL_KIND_IPPOOL:
		slot = grow((void **)&run->pools, &run->npools, sizeof(*run->pools));
		if (!slot)
			return -ENOMEM;
		if (ippool_from_json(obj, slot, &scratch) < 0) {
			ippool_free(slot);
			run->npools--;
			goto out;
		}
		name = run->pools[run->npools - 1].meta.name;
		break;
	case MODEL_KIND_BGPPEER:
		slot = grow((void **)&run->peers, &run->npeers, sizeof(*run->peers));
		if (!slot)
			return -ENOMEM;
		if (bgppeer_from_json(obj, slot, &scratch) < 0) {
			bgppeer_free(slot);
			run->npeers--;
			goto out;
		}
		name = run->peers[run->npeers - 1].meta.name;
		break;
	case MODEL_KIND_NODE:
		slot = grow((void **)&run->nodes, &run->nnodes, sizeof(*run->nodes));
		if (!slot)
			return -ENOMEM;
		if (node_from_json(obj, slot, &scratch) < 0) {
			node_free(slot);
			run->nnodes--;
			goto out;
		}
		name = run->nodes[run->nnodes - 1].meta.name;
		break;
	case MODEL_KIND_IPAMBLOCK:
		slot = grow((void **)&run->blocks, &run->nblocks, sizeof(*run->blocks));
		if (!slot)
			return -ENOMEM;
		if (ipamblock_from_json(obj, slot, &scratch) < 0) {
			ipamblock_free(slot);
			run->nblocks--;
			goto out;
		}
		name = run->blocks[run->nblocks - 1].meta.name;
		break;
	default:
		goto out;
	}
	kind_name = model_kind_name(k);
	ret = remember_origin(run, kind_name, name, where);
out:
	model_errors_free(&scratch);
	return ret;
}

/* The checks across documents: overlapping enabled pools, peers whose
 * family no matching node has (only when nodes were given), blocks outside
 * every pool (only when pools were given: a lone block manifest is fine). */
static void check_set(struct validate_run *run)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	const struct model_error *e;
	const struct origin *o;
	char line[1024];
	size_t i, j;

	model_validate_pool_overlaps(run->pools, run->npools, &errs);
	if (run->nnodes)
		for (i = 0; i < run->npeers; i++)
			model_validate_peer_families(&run->peers[i], run->nodes, run->nnodes, &errs);
	if (run->npools)
		for (i = 0; i < run->nblocks; i++)
			model_validate_block_in_pools(&run->blocks[i], run->pools, run->npools,
						      &errs);
	for (i = 0; i < errs.count; i++) {
		e = &errs.items[i];
		o = NULL;
		/* The last document of that kind and name is what an apply keeps. */
		for (j = run->norigins; j-- > 0;) {
			if (e->kind && strcmp(run->origins[j].kind, e->kind) == 0 &&
			    strcmp(run->origins[j].name, e->name ? e->name : "") == 0) {
				o = &run->origins[j];
				break;
			}
		}
		model_errors_format(&errs, i, line, sizeof(line));
		if (o)
			printf("%s: %s\n", o->where, line);
		else
			printf("%s\n", line);
		if (e->warning)
			run->warnings++;
		else
			run->problems++;
	}
	if (errs.oom) {
		printf("out of memory during the checks across documents\n");
		run->problems++;
	}
	model_errors_free(&errs);
}

static void run_free(struct validate_run *run)
{
	size_t i;

	for (i = 0; i < run->npools; i++)
		ippool_free(&run->pools[i]);
	for (i = 0; i < run->npeers; i++)
		bgppeer_free(&run->peers[i]);
	for (i = 0; i < run->nnodes; i++)
		node_free(&run->nodes[i]);
	for (i = 0; i < run->nblocks; i++)
		ipamblock_free(&run->blocks[i]);
	for (i = 0; i < run->norigins; i++) {
		free(run->origins[i].name);
		free(run->origins[i].where);
	}
	free(run->pools);
	free(run->peers);
	free(run->nodes);
	free(run->blocks);
	free(run->origins);
}

/* kind "List" (or "<Kind>List") with an items array: kubectl's way of
 * putting several objects in one document. */
static json_object *list_items(json_object *doc)
{
	json_object *kind, *items;
	const char *k;
	size_t len;

	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "kind", &kind) ||
	    !json_object_is_type(kind, json_type_string) ||
	    !json_object_object_get_ex(doc, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return NULL;
	k = json_object_get_string(kind);
	len = strlen(k);
	return len >= 4 && strcmp(k + len - 4, "List") == 0 ? items : NULL;
}

static int validate_object(struct validate_run *run, const char *where, json_object *obj)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	int ret;

	run->objects++;
	ret = model_validate_object(obj, &errs);
	print_errors(run, where, &errs);
	if (ret == -EINVAL && model_errors_count(&errs) == 0) {
		printf("%s: not an object twill knows\n", where);
		run->problems++;
	}
	model_errors_free(&errs);
	if (ret == -ENOMEM)
		return ret;
	if (!json_object_is_type(obj, json_type_object))
		return 0;
	return collect(run, where, obj);
}

static int validate_one_file(struct validate_run *run, const char *file)
{
	json_object **docs = NULL, *items;
	size_t ndocs = 0, len = 0, i, j;
	char *text = NULL, *where = NULL;
	char err[256];
	int ret;

	run->files++;
	ret = ctl_read_file(file, &text, &len);
	if (ret < 0) {
		printf("%s: cannot read: %s\n", file, strerror(-ret));
		run->problems++;
		return ret == -ENOMEM ? ret : 0;
	}
	err[0] = '\0';
	ret = yaml_json_parse_all(text, len, &docs, &ndocs, err, sizeof(err));
	if (ret < 0) {
		printf("%s: not valid YAML: %s\n", file, err[0] ? err : strerror(-ret));
		run->problems++;
		ret = ret == -ENOMEM ? ret : 0;
		goto out;
	}
	if (ndocs == 0) {
		printf("%s: no documents\n", file);
		run->problems++;
	}
	for (i = 0; i < ndocs && ret == 0; i++) {
		items = list_items(docs[i]);
		if (!items) {
			if (asprintf(&where, "%s: doc %zu", file, i + 1) < 0) {
				where = NULL;
				ret = -ENOMEM;
				break;
			}
			ret = validate_object(run, where, docs[i]);
			free(where);
			where = NULL;
			continue;
		}
		for (j = 0; j < json_object_array_length(items) && ret == 0; j++) {
			if (asprintf(&where, "%s: doc %zu item %zu", file, i + 1, j + 1) < 0) {
				where = NULL;
				ret = -ENOMEM;
				break;
			}
			ret = validate_object(run, where, json_object_array_get_idx(items, j));
			free(where);
			where = NULL;
		}
	}
out:
	yaml_json_free_docs(docs, ndocs);
	free(text);
	return ret;
}

static bool has_manifest_suffix(const char *name)
{
	static const char *const suffixes[] = { ".yaml", ".yml", ".json" };
	size_t len = strlen(name), i, slen;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		slen = strlen(suffixes[i]);
		if (len > slen && strcmp(name + len - slen, suffixes[i]) == 0)
			return true;
	}
	return false;
}

static int manifest_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' && has_manifest_suffix(d->d_name);
}

static int validate_path(struct validate_run *run, const char *path)
{
	struct dirent **entries = NULL;
	struct stat st;
	char *full = NULL;
	int n, i, ret = 0;

	if (strcmp(path, "-") == 0 || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return validate_one_file(run, path);
	n = scandir(path, &entries, manifest_filter, alphasort);
	if (n < 0) {
		printf("%s: cannot read directory: %s\n", path, strerror(errno));
		run->problems++;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (ret == 0) {
			if (asprintf(&full, "%s/%s", path, entries[i]->d_name) < 0) {
				full = NULL;
				ret = -ENOMEM;
			} else {
				ret = validate_one_file(run, full);
			}
			free(full);
			full = NULL;
		}
		free(entries[i]);
	}
	free(entries);
	return ret;
}

int ctl_validate_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct validate_run run;
	const char **paths = NULL;
	size_t npaths = 0, i;
	int opt, status = 0, ret = 0;

	memset(&run, 0, sizeof(run));
	paths = calloc((size_t)argc, sizeof(*paths));
	if (!paths) {
		fprintf(stderr, "twillctl validate: out of memory\n");
		return 1;
	}
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			paths[npaths++] = optarg;
			break;
		case 'h':
			validate_usage(stdout);
			goto out;
		default:
			fprintf(stderr, "twillctl validate: bad option '%s'\n", argv[optind - 1]);
			validate_usage(stderr);
			status = 2;
			goto out;
		}
	}
	if (optind < argc || npaths == 0) {
		if (optind < argc)
			fprintf(stderr, "twillctl validate: unexpected argument '%s' (use -f)\n",
				argv[optind]);
		validate_usage(stderr);
		status = 2;
		goto out;
	}
	for (i = 0; i < npaths && ret == 0; i++)
		ret = validate_path(&run, paths[i]);
	if (ret < 0) {
		fprintf(stderr, "twillctl validate: %s\n", strerror(-ret));
		status = 1;
		goto out;
	}
	check_set(&run);
	/* Problems (stdout) before the summary (stderr) when both go to one place. */
	fflush(stdout);
	if (run.problems) {
		fprintf(stderr, "twillctl validate: %zu problem%s in %zu object%s from %zu file%s\n",
			run.problems, run.problems == 1 ? "" : "s", run.objects,
			run.objects == 1 ? "" : "s", run.files, run.files == 1 ? "" : "s");
		status = 1;
	} else {
		printf("%zu object%s in %zu file%s valid", run.objects,
		       run.objects == 1 ? "" : "s", run.files, run.files == 1 ? "" : "s");
		if (run.warnings)
			printf(" (%zu warning%s)", run.warnings, run.warnings == 1 ? "" : "s");
		printf("\n");
	}
out:
	run_free(&run);
	free(paths);
	return status;
}
