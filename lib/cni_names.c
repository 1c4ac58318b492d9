/* cni_names: host veth naming and interface-name validation.
 *
 * SHA-1 is implemented here (about sixty lines) rather than pulled from a
 * crypto library: the plugin must not link TLS libraries just to name an
 * interface, and the digest only has to match Calico-style naming, not resist
 * attacks. The implementation is the textbook one, processed in 64-byte
 * blocks with the length appended in bits, big-endian. */
#include "cni_names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint32_t rol32(uint32_t v, unsigned n)
{
	return (v << n) | (v >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = rol32(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol32(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void cni_sha1(const void *data, size_t len, uint8_t digest[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	const uint8_t *p = data;
	uint8_t tail[128];
	size_t rest = len % 64, full = len - rest, tail_len;
	uint64_t bits = (uint64_t)len * 8;
	size_t i;

	for (i = 0; i < full; i += 64)
		sha1_block(h, p + i);
	memset(tail, 0, sizeof(tail));
	if (rest)
		memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tail_len = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
	for (i = 0; i < tail_len; i += 64)
		sha1_block(h, tail + i);
	for (i = 0; i < 5; i++) {
		digest[4 * i] = (uint8_t)(h[i] >> 24);
		digest[4 * i + 1] = (uint8_t)(h[i] >> 16);
		digest[4 * i + 2] = (uint8_t)(h[i] >> 8);
		digest[4 * i + 3] = (uint8_t)h[i];
	}
}

int cni_host_veth_name(const char *pod_namespace, const char *pod_name, const char *container_id,
		       char out[CNI_IFNAME_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	char key[512];
	uint8_t digest[20];
	int n;
	size_t i;

	if (pod_namespace && *pod_namespace && pod_name && *pod_name)
		n = snprintf(key, sizeof(key), "%s.%s", pod_namespace, pod_name);
	else if (container_id && *container_id)
		n = snprintf(key, sizeof(key), "%s", container_id);
	else
		return -EINVAL;
	if (n < 0 || (size_t)n >= sizeof(key))
		return -EINVAL;
	cni_sha1(key, (size_t)n, digest);
	memcpy(out, CNI_VETH_PREFIX, 2);
	for (i = 0; i < 11; i++)
		out[2 + i] = hex[(digest[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	out[CNI_HOST_VETH_NAME_LEN] = '\0';
	return 0;
}

const char *cni_ifname_valid(const char *name)
{
	size_t len, i;

	if (!name || !*name)
		return "must not be empty";
	len = strlen(name);
	if (len > CNI_IFNAME_MAX)
		return "longer than 15 characters";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "must not be \".\" or \"..\"";
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch == '/' || ch == ':' || ch <= ' ' || ch == 0x7f)
			return "contains '/', ':', whitespace or a control character";
	}
	return NULL;
}
