/* selector: Calico-style label selector expressions, as used by
 * IPPool.nodeSelector and BGPPeer.nodeSelector/peerSelector.
 *
 * Grammar (whitespace between tokens is ignored):
 *   expr    := and ( "||" and )*
 *   and     := unary ( "&&" unary )*
 *   unary   := "!" unary | "(" expr ")" | term
 *   term    := "all()" | "has(" key ")"
 *            | key "==" string | key "!=" string
 *            | key "in" "{" [ string ( "," string )* ] "}"
 *            | key "not" "in" "{" [ string ( "," string )* ] "}"
 *   string  := '...' | "..."          (no escapes; the other quote is literal)
 *   key     := Kubernetes label key: [dns-prefix "/"] name, name 1..63 chars
 *              [A-Za-z0-9] at both ends, [-_.A-Za-z0-9] inside; prefix a DNS
 *              subdomain of at most 253 chars.
 * "&&" binds tighter than "||"; "!has(k)" is just "!" applied to has(k).
 *
 * Semantics: has(k) is true when k is present (any value); k == v is true
 * only when k is present with value v; k != v is true when k is absent or has
 * another value (so != is exactly !(k == v), as in Calico); "in" needs k
 * present with a listed value; "not in" is !(in), so it matches absent keys.
 *
 * The empty (or all-whitespace) selector parses successfully and matches
 * NOTHING. This is deliberate: a resource that leaves its selector empty
 * must opt in with "all()" rather than select every node by omission.
 * Callers that treat an absent field as "all nodes" (IPPool.nodeSelector
 * defaults to all()) apply that default before calling selector_parse().
 *
 * Input is bounded: nesting deeper than SELECTOR_MAX_DEPTH or more than
 * SELECTOR_MAX_NODES terms and operators is rejected, so a hostile string
 * cannot exhaust the stack while parsing, matching or freeing. */
#ifndef TWILL_SELECTOR_H
#define TWILL_SELECTOR_H

#include <stddef.h>

#include "labels.h"

#define SELECTOR_MAX_DEPTH 64
#define SELECTOR_MAX_NODES 4096

struct selector;

/* 0, -ENOMEM, or -EINVAL with err holding a message that names the
 * offending offset, e.g. "unexpected '=' at offset 4, expected '==' or '!='".
 * err may be NULL when errlen is 0. *out is NULL on error. */
int selector_parse(const char *text, struct selector **out, char *err, size_t errlen);
/* 1 when the labels satisfy the selector, 0 otherwise. */
int selector_matches(const struct selector *sel, const struct labels *labels);
/* The selector's source text as it was given (for logs and messages). */
const char *selector_text(const struct selector *sel);
void selector_free(struct selector *sel);

#endif
