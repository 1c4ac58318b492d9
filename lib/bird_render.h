/* bird_render: bird_input -> the text of one node's BIRD 2 configuration.
 *
 * Contract:
 * - Pure and deterministic: the same input gives byte-identical text (the
 *   daemon compares renders to skip needless reloads). Order is fixed by the
 *   sorted input and bird_sessions_plan()'s rule order; nothing depends on
 *   time, addresses of memory or the environment.
 * - Safe on hostile input: protocol names come from bird_symbol_for_peer(),
 *   passwords are only ever written after bird_password_ok(), and every
 *   free text (node names, notes) goes into comments with non-printable
 *   bytes replaced, so no datastore value can end a comment or a string.
 * - The text contains MD5 passwords: write it with mode 0600, never log it.
 *
 * Layout: header and notes as comments; router id and log; the device
 * protocol; per family (only when this node has an address of it) static
 * protocols holding this node's blocks and the service prefixes, the import,
 * export and kernel filters, the kernel protocol; then one `protocol bgp`
 * per planned session. Route ownership (DESIGN.md §3): the kernel protocol
 * imports nothing (twill's and felix's routes are never learned back) and
 * exports only BGP routes whose gateway lies in this node's own subnet and
 * that are not in an always-tunnelled pool; everything else is felix's. */
#ifndef TWILL_BIRD_RENDER_H
#define TWILL_BIRD_RENDER_H

#include <stddef.h>

#include "bird_model.h"

/* 0 and *out (malloc'd, NUL-terminated; *len its length when len is not
 * NULL), or -EINVAL (in->self out of range), -ENOMEM. */
int bird_render(const struct bird_input *in, char **out, size_t *len);

#endif
