// SPDX-License-Identifier: BSD-3-Clause
/* libFuzzer harness for the lease-file parser of lib/lease_store.c; runs unprivileged, touches no
 * file. The first input byte picks a pool (and so the family's database), the rest is the lease
 * file, parsed by lease_db_parse. Checked after parsing: entries unique and sorted; the
 * allocator never picks a held address nor one outside the pool; what the writer produces
 * parses back without a corrupt line and with the same entries.
 * Built and run by `make fuzz`; replayed over its corpus by `make check`.
 */
#include "../../lib/lease.c" /* the parser is static: compile the allocator into the harness */
#include "../../lib/lease_store.c"
#include "../../lib/proc.c"
#include "../../lib/file.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
spec_of(unsigned k, struct nsbox_addrspec *s)
{
	static const struct {
		enum nsbox_addr_mode mode;
		const char *ip, *first, *last;
		unsigned prefix;
	} pools[] = {
		{ NSBOX_ADDR_POOL, "10.9.0.0", NULL, NULL, 24 },
		{ NSBOX_ADDR_POOL, "10.0.0.0", NULL, NULL, 30 },
		{ NSBOX_ADDR_POOL, "10.1.0.0", "10.1.0.10", "10.1.0.12", 16 },
		{ NSBOX_ADDR_STATIC, "10.0.0.5", NULL, NULL, 24 },
		{ NSBOX_ADDR_POOL, "fd00::", NULL, NULL, 64 },
		{ NSBOX_ADDR_POOL, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd",
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ NSBOX_ADDR_POOL, "::", NULL, NULL, 0 },
		{ NSBOX_ADDR_STATIC, "fd00::42", NULL, NULL, 64 },
	};
	const char *txt[3];
	struct nsbox_ip *ip[3] = { &s->cidr.ip, &s->first, &s->last };

	k %= ARRAY_SIZE(pools);
	memset(s, 0, sizeof(*s));
	s->mode = pools[k].mode;
	s->cidr.prefix = pools[k].prefix;
	txt[0] = pools[k].ip;
	txt[1] = pools[k].first;
	txt[2] = pools[k].last;
	for (int i = 0; i < 3; i++) {
		if (!txt[i])
			continue;
		ip[i]->family = strchr(txt[i], ':') ? AF_INET6 : AF_INET;
		if (inet_pton(ip[i]->family, txt[i],
			      ip[i]->family == AF_INET ? (void *)&ip[i]->v4 : (void *)&ip[i]->v6) != 1)
			abort();
	}
}

static void
check_db(const struct lease_pool *p, const struct lease_db *db)
{
	for (size_t i = 0; i < db->n; i++) {
		const struct lease_entry *e = &db->v[i];
		if (p->family == AF_INET && e->addr > 0xffffffffu)
			__builtin_trap();
		if (i > 0 && db->v[i - 1].addr >= e->addr)
			__builtin_trap();
		if (!token_ok(e->o.id, LEASE_ID_MAX, false) || !token_ok(e->o.user, LEASE_USER_MAX, true))
			__builtin_trap();
		if (e->held && (e->o.proc.pid <= 0 || !strcmp(e->o.id, "-")))
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(lease_db_free) struct lease_db db = { 0 }, again = { 0 };
	_cleanup_free_ char *text = NULL;
	struct nsbox_addrspec s;
	struct lease_pool p;
	size_t idx, kept;
	ssize_t len;
	u128 addr;

	if (size < 1 || size > LEASE_MAX_FILE)
		return 0;
	spec_of(data[0], &s);
	if (pool_from_spec(&s, &p) < 0)
		abort();
	if (lease_db_parse(&db, p.family, (const char *)data + 1, size - 1) < 0)
		return 0;
	check_db(&p, &db);

	/* Whatever the allocator picks is not held. */
	if (lowest_gap(&p, &db, false, &addr, &idx) == 0) {
		if (addr < p.lo || addr > p.hi)
			__builtin_trap();
		for (size_t i = 0; i < db.n; i++)
			if (db.v[i].held && db.v[i].addr == addr)
				__builtin_trap();
	}

	/* Round trip through the writer. */
	len = db_serialize(p.family, &db, &text);
	if (len < 0)
		return 0;
	if ((size_t)len > LEASE_MAX_FILE)
		__builtin_trap();
	if (lease_db_parse(&again, p.family, text, (size_t)len) < 0)
		return 0;
	if (again.corrupt != 0)
		__builtin_trap();
	kept = 0;
	for (size_t i = 0; i < db.n; i++)
		kept += db.v[i].held;
	if (again.n < kept || again.n > db.n)
		__builtin_trap();
	check_db(&p, &again);
	return 0;
}
