/* selector: recursive-descent parser for Calico selector strings into a small
 * expression tree, and its evaluator.
 *
 * The parser works directly on the text with one cursor; there is no
 * separate token list because every decision needs at most the next word.
 * Words are the only ambiguity: "all", "has", "in" and "not" are keywords
 * only in their syntactic position ("all" followed by "(", "in" after a key),
 * so a label literally named "all" or "has" still works as a key.
 * Every error names the byte offset where parsing stopped and what would
 * have been accepted there, because selectors are typed by humans into YAML
 * and "invalid selector" alone is useless. Recursion depth is counted so a
 * string of ten thousand "(" fails cleanly instead of overflowing the stack.
 * The tree owns all its strings; a failed parse frees whatever it built. */
#include "selector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label_selector.h"

enum sel_kind {
	SEL_NONE,	/* empty selector: matches nothing */
	SEL_ALL,
	SEL_HAS,
	SEL_EQ,
	SEL_NE,
	SEL_IN,
	SEL_NOT_IN,
	SEL_NOT,
	SEL_AND,
	SEL_OR,
};

struct sel_node {
	enum sel_kind kind;
	char *key;
	char **values;		/* one for EQ/NE, the set for IN/NOT_IN */
	size_t value_count;
	struct sel_node *left, *right;	/* NOT uses left only */
};

struct selector {
	char *text;
	struct sel_node *root;
};

struct sel_parser {
	const char *text;
	size_t pos;
	unsigned depth;
	size_t nodes;
	char *err;
	size_t errlen;
	int failed;	/* -EINVAL or -ENOMEM once something went wrong */
};

static void sel_node_free(struct sel_node *node)
{
	size_t i;

	if (!node)
		return;
	sel_node_free(node->left);
	sel_node_free(node->right);
	for (i = 0; i < node->value_count; i++)
		free(node->values[i]);
	free(node->values);
	free(node->key);
	free(node);
}

static void sel_fail(struct sel_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sel_fail(struct sel_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;	/* keep the first, innermost message */
	p->failed = -EINVAL;
	if (!p->err || !p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
}

static void sel_fail_nomem(struct sel_parser *p)
{
	if (!p->failed && p->err && p->errlen)
		snprintf(p->err, p->errlen, "out of memory");
	if (!p->failed)
		p->failed = -ENOMEM;
}

/* "unexpected 'x' at offset N, expected WHAT" for the current position. */
static void sel_unexpected(struct sel_parser *p, const char *expected)
{
	unsigned char ch = (unsigned char)p->text[p->pos];

	if (ch == '\0')
		sel_fail(p, "unexpected end of input at offset %zu, expected %s", p->pos,
			 expected);
	else if (ch < 0x20 || ch >= 0x7f)
		sel_fail(p, "unexpected byte 0x%02x at offset %zu, expected %s", ch, p->pos,
			 expected);
	else
		sel_fail(p, "unexpected '%c' at offset %zu, expected %s", ch, p->pos, expected);
}

static void sel_skip_space(struct sel_parser *p)
{
	while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' || p->text[p->pos] == '\n' ||
	       p->text[p->pos] == '\r')
		p->pos++;
}

static bool sel_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.' || ch == '/';
}

/* Length of the word (key characters) at the cursor. */
static size_t sel_word_len(const struct sel_parser *p)
{
	size_t n = 0;

	while (sel_key_char(p->text[p->pos + n]))
		n++;
	return n;
}

static bool sel_word_is(const struct sel_parser *p, const char *word)
{
	size_t len = strlen(word);

	return sel_word_len(p) == len && strncmp(p->text + p->pos, word, len) == 0;
}

/* After skipping spaces, is the next character ch? Cursor is not moved. */
static bool sel_peek_after_space(const struct sel_parser *p, size_t from, char ch)
{
	while (p->text[from] == ' ' || p->text[from] == '\t' || p->text[from] == '\n' ||
	       p->text[from] == '\r')
		from++;
	return p->text[from] == ch;
}

static bool sel_expect(struct sel_parser *p, char ch, const char *expected)
{
	sel_skip_space(p);
	if (p->text[p->pos] != ch) {
		sel_unexpected(p, expected);
		return false;
	}
	p->pos++;
	return true;
}

static char *sel_parse_key(struct sel_parser *p)
{
	size_t start, len;
	char *key;

	sel_skip_space(p);
	start = p->pos;
	len = sel_word_len(p);
	if (len == 0) {
		sel_unexpected(p, "a label key");
		return NULL;
	}
	key = strndup(p->text + start, len);
	if (!key) {
		sel_fail_nomem(p);
		return NULL;
	}
	if (!label_key_valid(key)) {
		sel_fail(p, "invalid label key \"%s\" at offset %zu", key, start);
		free(key);
		return NULL;
	}
	p->pos += len;
	return key;
}

static char *sel_parse_string(struct sel_parser *p)
{
	const char *end;
	char quote;
	char *value;

	sel_skip_space(p);
	quote = p->text[p->pos];
	if (quote != '\'' && quote != '"') {
		sel_unexpected(p, "a quoted string");
		return NULL;
	}
	end = strchr(p->text + p->pos + 1, quote);
	if (!end) {
		sel_fail(p, "unterminated string starting at offset %zu", p->pos);
		return NULL;
	}
	value = strndup(p->text + p->pos + 1, (size_t)(end - (p->text + p->pos + 1)));
	if (!value) {
		sel_fail_nomem(p);
		return NULL;
	}
	p->pos = (size_t)(end - p->text) + 1;
	return value;
}

static int sel_add_value(struct sel_parser *p, struct sel_node *node, char *value)
{
	char **grown = realloc(node->values, (node->value_count + 1) * sizeof(*grown));

	if (!grown) {
		free(value);
		sel_fail_nomem(p);
		return -ENOMEM;
	}
	node->values = grown;
	node->values[node->value_count++] = value;
	return 0;
}

/* "{" [ string ( "," string )* ] "}" */
static void sel_parse_set(struct sel_parser *p, struct sel_node *node)
{
	if (!sel_expect(p, '{', "'{'"))
		return;
	sel_skip_space(p);
	if (p->text[p->pos] == '}') {
		p->pos++;
		return;
	}
	for (;;) {
		char *value = sel_parse_string(p);

		if (!value || sel_add_value(p, node, value) < 0)
			return;
		sel_skip_space(p);
		if (p->text[p->pos] == '}') {
			p->pos++;
			return;
		}
		if (p->text[p->pos] != ',') {
			sel_unexpected(p, "',' or '}'");
			return;
		}
		p->pos++;
	}
}

static struct sel_node *sel_new(struct sel_parser *p, enum sel_kind kind)
{
	struct sel_node *node;

	/* Chains of && are evaluated and freed recursively, so the node
	 * count bounds the stack depth of sel_eval() and sel_node_free(). */
	if (++p->nodes > SELECTOR_MAX_NODES) {
		sel_fail(p, "selector has more than %d terms (offset %zu)", SELECTOR_MAX_NODES,
			 p->pos);
		return NULL;
	}
	node = calloc(1, sizeof(*node));
	if (!node)
		sel_fail_nomem(p);
	else
		node->kind = kind;
	return node;
}

/* all() | has(key) | key op ... */
static struct sel_node *sel_parse_term(struct sel_parser *p)
{
	struct sel_node *node = NULL;
	size_t len;

	sel_skip_space(p);
	len = sel_word_len(p);
	if (len == 0) {
		sel_unexpected(p, "a label key, 'all()', 'has(', '!' or '('");
		return NULL;
	}
	if (sel_word_is(p, "all") && sel_peek_after_space(p, p->pos + len, '(')) {
		p->pos += len;
		sel_expect(p, '(', "'('");
		if (!p->failed)
			sel_expect(p, ')', "')' (all() takes no arguments)");
		return p->failed ? NULL : sel_new(p, SEL_ALL);
	}
	if (sel_word_is(p, "has") && sel_peek_after_space(p, p->pos + len, '(')) {
		p->pos += len;
		sel_expect(p, '(', "'('");
		node = p->failed ? NULL : sel_new(p, SEL_HAS);
		if (node)
			node->key = sel_parse_key(p);
		if (!p->failed)
			sel_expect(p, ')', "')'");
		goto out;
	}

	node = sel_new(p, SEL_EQ);
	if (!node)
		return NULL;
	node->key = sel_parse_key(p);
	if (p->failed)
		goto out;
	sel_skip_space(p);
	if (strncmp(p->text + p->pos, "==", 2) == 0 || strncmp(p->text + p->pos, "!=", 2) == 0) {
		char *value;

		node->kind = p->text[p->pos] == '=' ? SEL_EQ : SEL_NE;
		p->pos += 2;
		value = sel_parse_string(p);
		if (value)
			sel_add_value(p, node, value);
	} else if (sel_word_is(p, "in")) {
		node->kind = SEL_IN;
		p->pos += 2;
		sel_parse_set(p, node);
	} else if (sel_word_is(p, "not")) {
		p->pos += 3;
		sel_skip_space(p);
		if (!sel_word_is(p, "in")) {
			sel_unexpected(p, "'in' after 'not'");
			goto out;
		}
		node->kind = SEL_NOT_IN;
		p->pos += 2;
		sel_parse_set(p, node);
	} else {
		sel_unexpected(p, "'==', '!=', 'in' or 'not in'");
	}
out:
	if (p->failed) {
		sel_node_free(node);
		return NULL;
	}
	return node;
}

static struct sel_node *sel_parse_or(struct sel_parser *p);

static struct sel_node *sel_parse_unary(struct sel_parser *p)
{
	struct sel_node *node = NULL, *inner;

	if (++p->depth > SELECTOR_MAX_DEPTH) {
		sel_fail(p, "selector nested deeper than %d at offset %zu", SELECTOR_MAX_DEPTH,
			 p->pos);
		goto out;
	}
	sel_skip_space(p);
	if (p->text[p->pos] == '!' && p->text[p->pos + 1] != '=') {
		p->pos++;
		inner = sel_parse_unary(p);
		if (!inner)
			goto out;
		node = sel_new(p, SEL_NOT);
		if (!node) {
			sel_node_free(inner);
			goto out;
		}
		node->left = inner;
	} else if (p->text[p->pos] == '(') {
		p->pos++;
		node = sel_parse_or(p);
		if (node && !sel_expect(p, ')', "')' or an operator ('&&', '||')")) {
			sel_node_free(node);
			node = NULL;
		}
	} else {
		node = sel_parse_term(p);
	}
out:
	p->depth--;
	return node;
}

/* left-associative chain of `sub` joined by the two-character operator op */
static struct sel_node *sel_parse_chain(struct sel_parser *p, const char *op, enum sel_kind kind,
					struct sel_node *(*sub)(struct sel_parser *))
{
	struct sel_node *left = sub(p), *right, *node;

	while (left) {
		sel_skip_space(p);
		if (strncmp(p->text + p->pos, op, 2) != 0)
			return left;
		p->pos += 2;
		right = sub(p);
		node = right ? sel_new(p, kind) : NULL;
		if (!node) {
			sel_node_free(left);
			sel_node_free(right);
			return NULL;
		}
		node->left = left;
		node->right = right;
		left = node;
	}
	return NULL;
}

static struct sel_node *sel_parse_and(struct sel_parser *p)
{
	return sel_parse_chain(p, "&&", SEL_AND, sel_parse_unary);
}

static struct sel_node *sel_parse_or(struct sel_parser *p)
{
	return sel_parse_chain(p, "||", SEL_OR, sel_parse_and);
}

int selector_parse(const char *text, struct selector **out, char *err, size_t errlen)
{
	struct sel_parser p = { .text = text, .err = err, .errlen = errlen };
	struct selector *sel = NULL;
	int ret;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!text) {
		sel_fail(&p, "no selector");
		return -EINVAL;
	}
	sel = calloc(1, sizeof(*sel));
	if (!sel || !(sel->text = strdup(text))) {
		ret = -ENOMEM;
		goto out;
	}
	sel_skip_space(&p);
	if (text[p.pos] == '\0') {
		sel->root = sel_new(&p, SEL_NONE);
	} else {
		sel->root = sel_parse_or(&p);
		if (sel->root) {
			sel_skip_space(&p);
			if (text[p.pos] != '\0')
				sel_unexpected(&p, "'&&', '||' or end of selector");
		}
	}
	ret = p.failed;
	if (!ret && !sel->root)
		ret = -ENOMEM;
out:
	if (ret < 0) {
		if (ret == -ENOMEM && err && errlen && !err[0])
			snprintf(err, errlen, "out of memory");
		selector_free(sel);
		return ret;
	}
	*out = sel;
	return 0;
}

static bool sel_in(const struct sel_node *node, const char *value)
{
	size_t i;

	for (i = 0; i < node->value_count; i++)
		if (strcmp(node->values[i], value) == 0)
			return true;
	return false;
}

static bool sel_eval(const struct sel_node *node, const struct labels *labels)
{
	const char *value;

	switch (node->kind) {
	case SEL_NONE:
		return false;
	case SEL_ALL:
		return true;
	case SEL_HAS:
		return labels_get(labels, node->key) != NULL;
	case SEL_EQ:
		value = labels_get(labels, node->key);
		return value && strcmp(value, node->values[0]) == 0;
	case SEL_NE:
		value = labels_get(labels, node->key);
		return !value || strcmp(value, node->values[0]) != 0;
	case SEL_IN:
		value = labels_get(labels, node->key);
		return value && sel_in(node, value);
	case SEL_NOT_IN:
		value = labels_get(labels, node->key);
		return !value || !sel_in(node, value);
	case SEL_NOT:
		return !sel_eval(node->left, labels);
	case SEL_AND:
		return sel_eval(node->left, labels) && sel_eval(node->right, labels);
	case SEL_OR:
		return sel_eval(node->left, labels) || sel_eval(node->right, labels);
	}
	return false;
}

int selector_matches(const struct selector *sel, const struct labels *labels)
{
	static const struct labels empty = LABELS_INIT;

	if (!sel || !sel->root)
		return 0;
	return sel_eval(sel->root, labels ? labels : &empty) ? 1 : 0;
}

const char *selector_text(const struct selector *sel)
{
	return sel ? sel->text : "";
}

void selector_free(struct selector *sel)
{
	if (!sel)
		return;
	sel_node_free(sel->root);
	free(sel->text);
	free(sel);
}
