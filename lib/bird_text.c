/* bird_text: symbol naming, string safety and duration conversion for the
 * BIRD renderer. Nothing here allocates; every function is total on its
 * input. The only subtle point is injectivity of the symbol mapping, argued
 * in the header: names are identities, so two sessions must never share one
 * (BIRD rejects the whole file on a duplicate protocol name). */
#include "bird_text.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/fields.h"

static bool symbol_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return true;
	return !first && c >= '0' && c <= '9';
}

bool bird_symbol_ok(const char *text)
{
	const char *p;

	if (!text || !*text || strlen(text) >= BIRD_SYMBOL_MAX)
		return false;
	for (p = text; *p; p++)
		if (!symbol_char(*p, p == text))
			return false;
	return true;
}

int bird_symbol_for_peer(char *buf, size_t size, const char *prefix,
			 const struct ip_addr *ip, uint16_t port)
{
	char addr[IP_ADDR_STRLEN];
	char *p;
	int n;

	if (size)
		buf[0] = '\0';
	if (!bird_symbol_ok(prefix) || ip_format(ip, addr, sizeof(addr)) < 0)
		return -EINVAL;
	if (port == 179)
		n = snprintf(buf, size, "%s_%s", prefix, addr);
	else
		n = snprintf(buf, size, "%s_%s_%u", prefix, addr, (unsigned)port);
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return -ENOSPC;
	}
	for (p = buf; *p; p++)
		if (*p == '.' || *p == ':')
			*p = '_';
	return bird_symbol_ok(buf) ? 0 : -EINVAL;
}

bool bird_password_ok(const unsigned char *value, size_t len)
{
	size_t i;

	if (!value || len == 0 || len > BIRD_PASSWORD_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (value[i] < 0x20 || value[i] > 0x7e || value[i] == '"')
			return false;
	return true;
}

int bird_restart_seconds(const char *text, uint32_t *out)
{
	uint64_t ms, s;

	if (!text || model_duration_parse(text, &ms) < 0)
		return -EINVAL;
	s = ms / 1000 + (ms % 1000 ? 1 : 0);
	if (s < 1)
		s = 1;
	if (s > BIRD_RESTART_TIME_MAX)
		s = BIRD_RESTART_TIME_MAX;
	*out = (uint32_t)s;
	return 0;
}
