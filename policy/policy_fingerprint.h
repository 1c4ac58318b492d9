/* policy_fingerprint: a content digest of one compiled set/map or chain, so
 * that diffing two rulesets of thousands of sets costs one comparison of 20
 * bytes per unchanged set instead of sorting and comparing its elements.
 *
 * Contract:
 *  - The digest is SHA-1 over everything that makes the object's content:
 *    for a set its kind (set/map), type, interval flag and elements in their
 *    stored order; for a chain its hook (or its absence) and rules in order.
 *    The name is NOT included: a set is compared with the set of the same
 *    name. Items are NUL-terminated in the digested text, so ("ab","c") and
 *    ("a","bc") differ.
 *  - Equal content in equal order gives equal digests. The compiler stores
 *    elements in one canonical order (policy_ranges output, maps sorted), so
 *    for compiled rulesets equal digests mean equal contents, with the
 *    certainty of a 160-bit hash over text the cluster does not choose byte
 *    by byte (addresses, ports, interface names).
 *  - Returns 0 or -ENOMEM; out is untouched on failure. */
#ifndef TWILL_POLICY_FINGERPRINT_H
#define TWILL_POLICY_FINGERPRINT_H

#include <stdbool.h>
#include <stdint.h>

#define POLICY_FINGERPRINT_LEN 20

struct policy_set;
struct policy_chain;

int policy_fingerprint_set(const struct policy_set *s, uint8_t out[POLICY_FINGERPRINT_LEN]);
int policy_fingerprint_chain(const struct policy_chain *c, uint8_t out[POLICY_FINGERPRINT_LEN]);
bool policy_fingerprint_equal(const uint8_t a[POLICY_FINGERPRINT_LEN],
			      const uint8_t b[POLICY_FINGERPRINT_LEN]);

#endif
