/* yaml_json: YAML text <-> json-c objects (libyaml underneath), for the
 * kubeconfig loader, `twillctl validate -f` (multi-document manifests) and
 * `twillctl get -o yaml`.
 *
 * Parsing follows what kubectl (sigs.k8s.io/yaml) does:
 * - mappings become objects, sequences arrays; mapping keys must be scalars
 *   and are used as strings; a duplicate key in one mapping is an error;
 * - quoted scalars (and "|"/">" block scalars) are always strings; plain
 *   scalars are resolved with the YAML 1.2 core schema: null, ~ and empty
 *   -> null; true/True/TRUE/false/False/FALSE -> boolean; decimal, 0o octal
 *   and 0x hex integers -> int (a double when beyond int64); decimals,
 *   exponents, .inf/-.inf/.nan -> double; everything else -> string. As in
 *   YAML 1.2 (and unlike kubectl's YAML 1.1 reader) yes/no/on/off stay
 *   strings and 0755 is decimal 755. Explicit tags !!str, !!int, !!bool,
 *   !!null, !!float are honoured (a mismatch like "!!int abc" is an error);
 *   the non-specific tag "!" forces a string; other tags are ignored;
 * - anchors and aliases are supported (an alias is a deep copy);
 *   "<<" merge keys are NOT supported and are kept as an ordinary key;
 * - documents that are empty (a bare "---" or only comments) are skipped.
 * Work is bounded: at most YAML_JSON_MAX_DEPTH nesting levels and
 * YAML_JSON_MAX_NODES json nodes per stream counting alias copies, so an
 * alias expansion bomb fails with an error instead of eating memory.
 * Errors are -EINVAL with "line L column C: what" (1-based) in err, or
 * -ENOMEM.
 *
 * Emitting (yaml_emit.c) writes kubectl-like block YAML: 2-space indentation,
 * sequences flush with their key ("key:\n- a"), keys in object order, {} and
 * [] for empty collections, no line folding, strings double-quoted whenever
 * the plain form would read back as something else here or under YAML 1.1
 * ("true", "42", "", "yes", "0755"), so yaml_json_parse_one(yaml_json_emit(x))
 * equals x. */
#ifndef TWILL_YAML_JSON_H
#define TWILL_YAML_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#define YAML_JSON_MAX_DEPTH 256
#define YAML_JSON_MAX_NODES 1000000

/* Every non-empty document of the stream. On success *docs_out is a
 * malloc'd array of *count_out owned references (possibly 0 documents,
 * *docs_out then NULL); release with yaml_json_free_docs(). */
int yaml_json_parse_all(const char *text, size_t len, json_object ***docs_out,
			size_t *count_out, char *err, size_t errlen);
/* Exactly one non-empty document: -EINVAL ("no document" / "expected one
 * document, found N") otherwise. *out is an owned reference. */
int yaml_json_parse_one(const char *text, size_t len, json_object **out, char *err,
			size_t errlen);
void yaml_json_free_docs(json_object **docs, size_t count);

/* YAML text of obj (a single document, no "---" header), NUL-terminated and
 * malloc'd into *out. 0, -ENOMEM, or -EINVAL for what YAML text cannot carry
 * back (a string with an embedded NUL, invalid UTF-8, nesting deeper than
 * YAML_JSON_MAX_DEPTH). A NULL obj is JSON null. */
int yaml_json_emit(json_object *obj, char **out);

#endif
