// SPDX-License-Identifier: BSD-3-Clause
/* libFuzzer target for the nsbox.conf parser; runs unprivileged, touches no file. Feeds arbitrary
 * bytes to nsbox_conf_parse_string (what nsbox_conf_load runs after its trust checks), and on
 * success resolves, prints and re-parses the settings; also throws the input at the template and
 * name helpers. Built and run by `make fuzz`; replayed over its corpus by `make check`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(const struct nsbox_settings *s)
{
	char *buf = NULL, *text = NULL, *m;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct nsbox_conf *c = NULL;
	struct nsbox_conf_err err;

	if (!f)
		return;
	nsbox_settings_print(f, s);
	fclose(f);
	/* the "# matched" comment line, not a value that holds the same bytes */
	m = !strncmp(buf, "# matched ", 10) ? buf : strstr(buf, "\n# matched ");
	if (m)
		*m = 0;
	if (asprintf(&text, "[defaults]\n%s", buf) >= 0) {
		/* whatever a config resolves to must print as a config that loads */
		if (nsbox_conf_parse_string("rt", text, strlen(text), &c, &err) < 0)
			abort();
		nsbox_conf_free(c);
		free(text);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsbox_conf *c = NULL;
	struct nsbox_conf_err err;
	char msg[1024], out[NSBOX_HOSTNAME_MAX + 1], *str;

	if (nsbox_conf_parse_string("fuzz", (const char *)data, size, &c, &err) == 0) {
		static const char *const groups[] = { "wheel", "students", "users", "lab" };
		static const char *const users[] = { "alice", "bob", "root", "guest1", "x" };
		struct nsbox_settings s;

		for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
			struct nsbox_login who = { .user = users[i], .service = i & 1 ? "sshd" : "login",
						   .groups = groups + (i % 4), .n_groups = 4 - (i % 4) };

			nsbox_conf_resolve(c, &who, &s);
			check_round_trip(&s);
		}
		nsbox_conf_free(c);
	} else
		nsbox_conf_err_format(&err, msg, sizeof(msg));

	/* the same bytes as a template and as names */
	str = malloc(size + 1);
	if (!str)
		return 0;
	memcpy(str, data, size);
	str[size] = 0;
	{
		struct nsbox_tmpl_vars v = { .user = str, .id = "0a1b2c3d", .service = "sshd",
					     .host = "host" };
		struct nsbox_ip ip;

		nsbox_template_expand(str, &v, out, sizeof(out));
		nsbox_hostname_valid(str);
		nsbox_ifname_valid(str);
		if (nsbox_ip_parse(str, &ip) == 0)
			nsbox_ip_format(&ip, msg, sizeof(msg));
	}
	free(str);
	return 0;
}
