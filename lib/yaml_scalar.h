/* yaml_scalar: YAML 1.2 core-schema typing of plain scalars, the one place
 * the YAML parser (yaml_json.c) and emitter (yaml_emit.c) agree on what a
 * plain scalar means.
 *
 * Contract: yaml_scalar_resolve() types a plain scalar's text: "", ~, null,
 * Null, NULL -> NULL; true/True/TRUE/false/False/FALSE -> BOOL;
 * [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+ -> INT; decimals with optional
 * exponent and [-+]?.inf/.Inf/.INF, .nan/.NaN/.NAN -> FLOAT; else STRING.
 * yaml_scalar_needs_quotes() is true when a string must be quoted to read
 * back as itself here or, for kubectl, under YAML 1.1 (yes/no/on/off/y/n,
 * 0755-style and other number-like text). */
#ifndef TWILL_YAML_SCALAR_H
#define TWILL_YAML_SCALAR_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

enum yaml_scalar_type {
	YAML_SCALAR_STRING,
	YAML_SCALAR_NULL,
	YAML_SCALAR_BOOL,
	YAML_SCALAR_INT,
	YAML_SCALAR_FLOAT,
};

enum yaml_scalar_type yaml_scalar_resolve(const char *text);
/* 1 for the true spellings, 0 for the false ones, -1 for anything else. */
int yaml_scalar_bool(const char *text);
/* json value of text already resolved as INT (an int64, or a double when it
 * does not fit) or FLOAT. NULL only on allocation failure. */
json_object *yaml_scalar_int(const char *text);
json_object *yaml_scalar_float(const char *text);
bool yaml_scalar_needs_quotes(const char *text);
/* Shortest text that reads back as exactly d and always resolves as FLOAT
 * ("1.0", "0.1", "1e+300", ".inf", ".nan"). len >= 32 is always enough. */
void yaml_scalar_format_double(double d, char *buf, size_t len);

#endif
