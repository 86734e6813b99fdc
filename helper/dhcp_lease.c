/* The lease a box's DHCP client hands over through nsbox-dhcp-script, parsed by nsbox-helper's
 * supervisor (root). Untrusted input (the DHCP server chose it): every value is checked, nothing
 * is trusted past its buffer; fuzzed by tests/fuzz/fuzz_dhcp.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "file.h"

static void
split_words(const char *v, void (*add)(struct dhcp_lease *, const char *), struct dhcp_lease *l)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		add(l, w);
}

static void
add_dns(struct dhcp_lease *l, const char *w)
{
	if (l->ndns < NSBOX_MAX_DNS && nsbox_ip_parse(w, &l->dns[l->ndns]) == 0)
		l->ndns++;
}

static void
add_search(struct dhcp_lease *l, const char *w)
{
	char d[254];
	size_t n;

	/* dhclient hands domains over fully qualified, with the root's dot */
	snprintf(d, sizeof(d), "%s", w);
	n = strlen(d);
	if (n && d[n - 1] == '.')
		d[n - 1] = 0;
	if (l->nsearch < NSBOX_MAX_SEARCH && nsbox_hostname_valid(d))
		snprintf(l->search[l->nsearch++], sizeof(l->search[0]), "%s", d);
}

static void
add_router(struct dhcp_lease *l, const char *w)
{
	if (!l->gw.family)
		nsbox_ip_parse(w, &l->gw);
}

static int
dhcp_kv(const char *k, const char *v, void *arg)
{
	struct dhcp_lease *l = arg;

	if (!strcmp(k, "ip"))
		nsbox_ip_parse(v, &l->ip);
	else if (!strcmp(k, "mask")) {
		struct in_addr m;
		if (inet_pton(AF_INET, v, &m) == 1)
			l->prefix = (unsigned)__builtin_popcount(m.s_addr);
		else if (*v && strspn(v, "0123456789") == strlen(v))
			l->prefix = (unsigned)atoi(v);
	} else if (!strcmp(k, "routers"))
		split_words(v, add_router, l);
	else if (!strcmp(k, "dns"))
		split_words(v, add_dns, l);
	else if (!strcmp(k, "search"))
		split_words(v, add_search, l);
	return 0;
}

/* What the helper needs of a lease before it configures anything with it. */
static int
lease_check(const struct dhcp_lease *l)
{
	if (l->ip.family != AF_INET || l->prefix < 1 || l->prefix > 32)
		return -EBADMSG;
	return 0;
}

int
dhcp_lease_parse(const char *text, struct dhcp_lease *l)
{
	memset(l, 0, sizeof(*l));
	kv_parse(text, dhcp_kv, l);
	return lease_check(l);
}

int
dhcp_lease_read(const char *path, struct dhcp_lease *l)
{
	memset(l, 0, sizeof(*l));
	int r = kv_read(AT_FDCWD, path, dhcp_kv, l);
	return r < 0 ? r : lease_check(l);
}

