/* yaml_scalar: how plain YAML scalars are typed, shared by the parser and the
 * emitter so the two can never disagree (which is the whole round-trip
 * guarantee: the emitter quotes a string exactly when this resolver would
 * read its plain form as something else).
 *
 * The grammar is the YAML 1.2 core schema, written out by hand instead of
 * with regcomp(): the patterns are tiny and a hand matcher has no locale
 * surprises. */
#include "yaml_scalar.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool scalar_is_null(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

int yaml_scalar_bool(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

static bool scalar_digits(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

/* [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ */
static bool scalar_is_int(const char *s)
{
	if (s[0] == '0' && s[1] == 'o')
		return scalar_digits(s + 2, "01234567");
	if (s[0] == '0' && s[1] == 'x')
		return scalar_digits(s + 2, "0123456789abcdefABCDEF");
	if (*s == '-' || *s == '+')
		s++;
	return scalar_digits(s, "0123456789");
}

/* [-+]? ( "." [0-9]+ | [0-9]+ ( "." [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool scalar_is_float_number(const char *s)
{
	size_t int_digits = 0, frac_digits = 0;

	if (*s == '-' || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9') {
		s++;
		int_digits++;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			frac_digits++;
		}
	}
	if (int_digits == 0 && frac_digits == 0)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static bool scalar_float_special(const char *s, double *out)
{
	const char *body = (*s == '-' || *s == '+') ? s + 1 : s;

	if (!strcmp(body, ".inf") || !strcmp(body, ".Inf") || !strcmp(body, ".INF")) {
		*out = *s == '-' ? -INFINITY : INFINITY;
		return true;
	}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*out = NAN;
		return true;
	}
	return false;
}

enum yaml_scalar_type yaml_scalar_resolve(const char *s)
{
	double d;

	if (scalar_is_null(s))
		return YAML_SCALAR_NULL;
	if (yaml_scalar_bool(s) >= 0)
		return YAML_SCALAR_BOOL;
	if (scalar_is_int(s))
		return YAML_SCALAR_INT;
	if (scalar_is_float_number(s) || scalar_float_special(s, &d))
		return YAML_SCALAR_FLOAT;
	return YAML_SCALAR_STRING;
}

/* Integers that do not fit in int64 become doubles, as in JSON. */
json_object *yaml_scalar_int(const char *s)
{
	long long v;
	int base = 10;
	const char *digits = s;

	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
		base = s[1] == 'o' ? 8 : 16;
		digits = s + 2;
	}
	errno = 0;
	v = strtoll(digits, NULL, base);
	if (errno == ERANGE && base == 10)
		return json_object_new_double(strtod(s, NULL));
	if (errno == ERANGE) {
		double d = 0;

		for (; *digits; digits++)
			d = d * base + (*digits <= '9' ? *digits - '0' : (*digits | 0x20) - 'a' + 10);
		return json_object_new_double(d);
	}
	return json_object_new_int64(v);
}

json_object *yaml_scalar_float(const char *s)
{
	double d;

	if (!scalar_float_special(s, &d))
		d = strtod(s, NULL);
	return json_object_new_double(d);
}

/* YAML 1.1 readings kubectl (go-yaml v2) would give a plain scalar that our
 * 1.2 resolver reads as a string: booleans like yes/off, 0b/0-prefixed
 * octal and sexagesimal-looking numbers, '_' digit separators. Quoting these
 * keeps `twillctl get -o yaml | kubectl apply -f -` faithful. */
static bool scalar_yaml11_special(const char *s)
{
	static const char *const words[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no",
					     "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
					     "=", "<<" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			return true;
	if (*s == '-' || *s == '+' || *s == '.')
		s++;
	if (!(*s >= '0' && *s <= '9'))
		return false;
	/* number-like: digits with any of _ : . e x b o; quote rather than guess */
	for (; *s; s++)
		if (!strchr("0123456789_:.eExXbBoOabcdefABCDEF+-", *s))
			return false;
	return true;
}

bool yaml_scalar_needs_quotes(const char *s)
{
	return yaml_scalar_resolve(s) != YAML_SCALAR_STRING || scalar_yaml11_special(s);
}

/* Shortest text that reads back as exactly d, always recognisably a float. */
void yaml_scalar_format_double(double d, char *buf, size_t len)
{
	int prec;

	if (isnan(d)) {
		snprintf(buf, len, ".nan");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, len, d < 0 ? "-.inf" : ".inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (!strpbrk(buf, ".eE"))
		strncat(buf, ".0", len - strlen(buf) - 1);
}
