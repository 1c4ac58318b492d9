/* policy_ruleset: a compiled nftables table as plain data — named sets and
 * maps with their elements, chains with their rules — and its rendering as
 * `nft -f` text.
 *
 * Contract:
 *  - The table is `inet twill` (POLICY_TABLE); nothing else is described.
 *  - Sets/maps and chains are kept sorted by name, elements and rules are
 *    kept in the order given (the compiler emits them canonically), so
 *    rendering is deterministic and two rulesets can be diffed by name.
 *  - policy_ruleset_sort() seals the ruleset once it is built: it sorts,
 *    computes every set's and chain's content fingerprint
 *    (policy_fingerprint.h) and sets `sealed`, which makes the find
 *    functions binary searches and lets policy_diff skip unchanged sets and
 *    chains by fingerprint. Elements and rules must not change after it;
 *    adding a set or chain unseals.
 *  - An element is one nft element expression ("10.0.0.0/24 . tcp . 80",
 *    "\"tw1\" : jump to_tw1"); a rule is one nft rule statement.
 *  - policy_ruleset_render() writes the full replacement batch:
 *        table inet twill          (creates it if missing)
 *        delete table inet twill   (so nothing stale survives)
 *        table inet twill { ... }
 *    which nftables applies as one transaction: there is no instant without
 *    a complete ruleset. policy_ruleset_render_table() writes only the
 *    `table inet twill { ... }` block (for golden files and nft -c).
 * All strings are owned; functions return 0 or -ENOMEM (-EINVAL for a NULL
 * or duplicate name). */
#ifndef TWILL_POLICY_RULESET_H
#define TWILL_POLICY_RULESET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

#include "policy_fingerprint.h"

#define POLICY_TABLE "twill"
#define POLICY_TABLE_FAMILY "inet"

struct policy_strings {
	char **items;
	size_t count, cap;
};

struct policy_set {
	char *name;
	bool is_map;
	char *type;     /* "ipv4_addr", "ifname : verdict", ... */
	bool interval;
	struct policy_strings elements;
	uint8_t fingerprint[POLICY_FINGERPRINT_LEN]; /* valid when the ruleset is sealed */
};

struct policy_chain {
	char *name;
	char *hook;     /* "type filter hook forward priority filter; policy accept;" or NULL */
	struct policy_strings rules;
	uint8_t fingerprint[POLICY_FINGERPRINT_LEN]; /* valid when the ruleset is sealed */
};

struct policy_ruleset {
	struct policy_set *sets;
	size_t set_count, set_cap;
	struct policy_chain *chains;
	size_t chain_count, chain_cap;
	bool sealed; /* sorted and fingerprinted by policy_ruleset_sort() */
};

int policy_strings_add(struct policy_strings *s, const char *text);
int policy_strings_addf(struct policy_strings *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool policy_strings_equal(const struct policy_strings *a, const struct policy_strings *b);
void policy_strings_free(struct policy_strings *s);

/* Adds an empty set or map; *out points into the ruleset until the next add. */
int policy_ruleset_add_set(struct policy_ruleset *rs, const char *name, bool is_map,
			   const char *type, bool interval, struct policy_set **out);
int policy_ruleset_add_chain(struct policy_ruleset *rs, const char *name, const char *hook,
			     struct policy_chain **out);
/* Sort sets and chains by name and fingerprint them (call once after
 * building; seals). 0 or -ENOMEM (then the ruleset stays unsealed). */
int policy_ruleset_sort(struct policy_ruleset *rs);
const struct policy_set *policy_ruleset_find_set(const struct policy_ruleset *rs,
						 const char *name);
const struct policy_chain *policy_ruleset_find_chain(const struct policy_ruleset *rs,
						     const char *name);
void policy_ruleset_free(struct policy_ruleset *rs);

int policy_ruleset_render_table(const struct policy_ruleset *rs, FILE *out);
int policy_ruleset_render(const struct policy_ruleset *rs, FILE *out);
/* Rendered text in a new malloc'd string (*text), for libnftables. */
int policy_ruleset_render_string(const struct policy_ruleset *rs, bool full, char **text);

#endif
