/* libFuzzer target: arbitrary bytes as a Calico selector string and, when
 * they look like JSON, as a Kubernetes LabelSelector. Parsing must never
 * crash or leak; a failed parse must leave a message; and the evaluator must
 * agree with the grammar's algebra: "!(S)" is the negation of S and
 * "(S) && (S)" is S, on a few label sets built from the input itself. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label_selector.h"
#include "selector.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			__builtin_trap();                                      \
	} while (0)

/* Label sets to evaluate against: empty, fixed, and one derived from the
 * quoted strings and words of the input so equality terms can be hit. */
static void build_labels(const char *text, struct labels sets[3])
{
	char key[64] = "", value[64] = "";
	const char *q = strchr(text, '\'');
	size_t n;

	labels_set(&sets[1], "app", "web");
	labels_set(&sets[1], "twill.dev/rack", "r1");
	n = strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./");
	if (n && n < sizeof(key)) {
		memcpy(key, text, n);
		key[n] = '\0';
	}
	if (q) {
		const char *end = strchr(q + 1, '\'');

		if (end && (size_t)(end - q - 1) < sizeof(value)) {
			memcpy(value, q + 1, (size_t)(end - q - 1));
			value[end - q - 1] = '\0';
		}
	}
	if (key[0])
		labels_set(&sets[2], key, value);
	labels_set(&sets[2], "app", value);
}

static void check_selector(const char *text, size_t len)
{
	struct labels sets[3] = { LABELS_INIT, LABELS_INIT, LABELS_INIT };
	struct selector *sel = NULL, *neg = NULL, *twice = NULL;
	char err[256], *wrapped;
	int i, ret;

	err[0] = 'x';
	ret = selector_parse(text, &sel, err, sizeof(err));
	if (ret < 0) {
		CHECK(sel == NULL && err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		return;
	}
	CHECK(ret == 0 && sel);
	CHECK(strcmp(selector_text(sel), text) == 0);
	build_labels(text, sets);
	wrapped = malloc(2 * len + 16);
	if (!wrapped)
		goto out;
	snprintf(wrapped, 2 * len + 16, "!(%s)", text);
	if (selector_parse(wrapped, &neg, NULL, 0) < 0)
		neg = NULL;	/* empty selector or a depth/size limit: no identity */
	snprintf(wrapped, 2 * len + 16, "(%s) && (%s)", text, text);
	if (selector_parse(wrapped, &twice, NULL, 0) < 0)
		twice = NULL;
	for (i = 0; i < 3; i++) {
		int m = selector_matches(sel, &sets[i]);

		CHECK(m == 0 || m == 1);
		if (neg)
			CHECK(selector_matches(neg, &sets[i]) == !m);
		if (twice)
			CHECK(selector_matches(twice, &sets[i]) == m);
	}
	free(wrapped);
out:
	selector_free(sel);
	selector_free(neg);
	selector_free(twice);
	for (i = 0; i < 3; i++)
		labels_free(&sets[i]);
}

static void check_label_selector(const char *text)
{
	struct label_selector sel = LABEL_SELECTOR_INIT;
	struct labels l = LABELS_INIT;
	json_object *obj = json_tokener_parse(text);
	char err[256];
	int ret;

	if (!obj)
		return;
	ret = label_selector_from_json(obj, &sel, err, sizeof(err));
	if (ret < 0) {
		CHECK(label_selector_is_empty(&sel) && memchr(err, '\0', sizeof(err)));
	} else {
		int m;

		labels_set(&l, "app", "web");
		m = label_selector_matches(&sel, &l);
		CHECK(m == 0 || m == 1);
		if (label_selector_is_empty(&sel))
			CHECK(m == 1);
		labels_free(&l);
		label_selector_free(&sel);
	}
	json_object_put(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_selector(text, size);
	if (size && data[0] == '{')
		check_label_selector(text);
	free(text);
	return 0;
}
