/* handle: IPAM handles — the identity under which addresses are held.
 *
 * Contract:
 * - A handle ID is "<network name>.<container id>" (ipam_handle_id()), so the
 *   same container on two CNI networks holds two independent handles and a
 *   CNI DEL, which carries both, finds exactly what ADD took.
 * - The IPAMHandle object name is the handle ID made API-safe
 *   (ipam_handle_object_name()): lowercase, [a-z0-9.-] only, alphanumeric at
 *   both ends, at most 253 characters. When making it safe changed or cut
 *   anything, an 8-hex-digit hash of the original ID is appended so two IDs
 *   that differ only in the changed characters never share an object.
 * - Count bookkeeping on struct ipamhandle: the handle records, per block
 *   CIDR, how many addresses it holds there. The engine keeps the invariant
 *   "handle count >= addresses the block really holds for this handle" (the
 *   handle is written before the block on assign and after it on release),
 *   so a crash can only over-count, which release repairs, never hide an
 *   allocation.
 * All functions return 0 or -errno and never allocate on failure paths that
 * would leave the handle half-changed. */
#ifndef TWILL_IPAM_HANDLE_H
#define TWILL_IPAM_HANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "model/ipamhandle.h"

/* Annotation the engine sets on an IPAMHandle at every increment: when it
 * last counted an address in (RFC 3339 UTC, the writer's clock). An ADD
 * writes its block after this, so gc measures a handle's age from the
 * newest of this and metadata.creationTimestamp (docs/ipam.md). */
#define IPAM_HANDLE_ASSIGNED_AT "twill.dev/assigned-at"

/* Longest handle object name plus NUL. */
#define IPAM_HANDLE_NAME_MAX 254

/* "<network>.<container_id>". -EINVAL when either part is empty or contains
 * a control character, -ENOSPC when buf is too small. */
int ipam_handle_id(const char *network, const char *container_id, char *buf, size_t size);
/* The IPAMHandle metadata.name for handle_id (see the contract above).
 * -EINVAL for an empty ID or one with no alphanumeric character at all,
 * -ENOSPC when buf is smaller than IPAM_HANDLE_NAME_MAX. */
int ipam_handle_object_name(const char *handle_id, char *buf, size_t size);

/* Fresh handle: name, handleID, no blocks. 0, -EINVAL, -ENOMEM. */
int ipam_handle_init(struct ipamhandle *h, const char *handle_id);
/* Add delta (may be negative) to the count for block_cidr. A count that
 * would go below zero is clamped to zero (releasing more than recorded is
 * the repair of an over-count, not an error); an entry reaching zero is
 * removed. 0, -ENOMEM, -EINVAL (empty cidr). */
int ipam_handle_add(struct ipamhandle *h, const char *block_cidr, int64_t delta);
/* Count recorded for block_cidr (0 when absent). */
int64_t ipam_handle_count(const struct ipamhandle *h, const char *block_cidr);
/* Sum over all blocks. */
int64_t ipam_handle_total(const struct ipamhandle *h);

#endif
