/* bird_text: the lexical rules of BIRD 2's configuration language that the
 * renderer must respect, kept in one place.
 *
 * Contract:
 * - Symbols (protocol and filter names) are [A-Za-z_][A-Za-z0-9_]*.
 *   bird_symbol_for_peer() derives one from a peer's identity (a kind prefix,
 *   its address and, when not 179, its port) so the same peer always gets
 *   the same name and two different (address, port) pairs never collide:
 *   '.' and ':' both become '_' but an IPv4 text never contains ':' and a
 *   canonical IPv6 text always contains at least two, so the mapping stays
 *   injective within one prefix.
 * - BIRD 2.0 strings are "..." with no escape sequences at all: a '"' or a
 *   newline inside cannot be expressed. bird_password_ok() therefore accepts
 *   only printable ASCII without '"' (and at most 80 bytes, the TCP-MD5 key
 *   limit); callers must refuse anything else instead of trying to escape
 *   it, so a hostile password can never end the string and inject config.
 * - Durations for "graceful restart time" are whole seconds in 1..4095 (the
 *   12-bit field of the graceful-restart capability). */
#ifndef TWILL_BIRD_TEXT_H
#define TWILL_BIRD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

#define BIRD_SYMBOL_MAX 96
#define BIRD_PASSWORD_MAX 80
#define BIRD_RESTART_TIME_MAX 4095

/* prefix must itself be a valid symbol start ("Mesh", "Peer"). 0 or
 * -EINVAL (bad prefix or address) / -ENOSPC. */
int bird_symbol_for_peer(char *buf, size_t size, const char *prefix,
			 const struct ip_addr *ip, uint16_t port);
/* 1 when text is a valid BIRD symbol. */
bool bird_symbol_ok(const char *text);
/* 1 when the bytes can be written between BIRD's double quotes verbatim. */
bool bird_password_ok(const unsigned char *value, size_t len);
/* Duration text ("120s", "2m") to seconds, rounded up, clamped to
 * 1..BIRD_RESTART_TIME_MAX. 0 or -EINVAL. */
int bird_restart_seconds(const char *text, uint32_t *out);

#endif
