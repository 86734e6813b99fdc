// SPDX-License-Identifier: BSD-3-Clause
/* libFuzzer harness for the DHCP lease parser of helper/dhcp_lease.c (the key=value text that
 * nsbox-dhcp-script hands over from an untrusted DHCP server); runs unprivileged, touches no file.
 * Checked after a successful parse: an IPv4 address, a prefix 1..32, counts within their arrays,
 * every search domain a valid, NUL-terminated domain name; after a refusal, a reason.
 * Built and run by `make fuzz`; replayed over its corpus by `make check`.
 */
#include "../../helper/dhcp_lease.c"
#include "../../lib/file.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct dhcp_lease l;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0; /* the file reader hands over NUL-terminated text too */
	if (dhcp_lease_parse(text, &l) == 0) {
		if (l.ip.family != AF_INET || l.prefix < 1 || l.prefix > 32)
			abort();
		if (l.ndns > NSBOX_MAX_DNS || l.nsearch > NSBOX_MAX_SEARCH)
			abort();
		for (unsigned i = 0; i < l.nsearch; i++)
			if (!memchr(l.search[i], 0, sizeof(l.search[i])) ||
			    !nsbox_domain_valid(l.search[i]))
				abort();
		if (l.gw.family && l.gw.family != AF_INET)
			abort();
	} else if (!l.bad[0] || !memchr(l.bad, 0, sizeof(l.bad)))
		abort();
	free(text);
	return 0;
}
