// SPDX-License-Identifier: BSD-3-Clause
/* Plain main for the fuzz targets (tests/fuzz/fuzz_*.c) when built without libFuzzer: `make check`
 * feeds every file of tests/fuzz/corpus/NAME and tests/fuzz/regress/NAME to the target once and
 * prints TAP, so old crashes stay fixed with gcc (and under ASan/UBSan in check-san) without
 * clang. Test-only, unprivileged. Arguments, when given, are files or directories instead. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FUZZ_NAME
#error "build with -DFUZZ_NAME='\"conf\"' (the target's name)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned n_run;

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rbe");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		printf("not ok %u - %s: %s\n", ++n_run, path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *b = realloc(buf, cap = cap ? cap * 2 : 4096);
			if (!b)
				abort();
			buf = b;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	/* a crash ends the run here; the line above names the input */
	printf("# %s (%zu bytes)\n", path, len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	printf("ok %u - " FUZZ_NAME ": %s\n", ++n_run, path);
	return 0;
}

static int
run_path(const char *path, int must_exist)
{
	struct stat st;
	struct dirent *d;
	char **names = NULL;
	size_t n = 0;
	int bad = 0;
	DIR *dir;

	if (stat(path, &st) < 0) {
		if (!must_exist && errno == ENOENT)
			return 0;
		printf("not ok %u - %s: %s\n", ++n_run, path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if (!(dir = opendir(path)))
		abort();
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		if (!(names = realloc(names, (n + 1) * sizeof(*names))) ||
		    asprintf(&names[n], "%s/%s", path, d->d_name) < 0)
			abort();
		n++;
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		bad |= run_file(names[i]) < 0;
		free(names[i]);
	}
	free(names);
	return bad ? -1 : 0;
}

int
main(int argc, char **argv)
{
	int bad = 0;

	if (argc > 1)
		for (int i = 1; i < argc; i++)
			bad |= run_path(argv[i], 1) < 0;
	else {
		bad |= run_path("tests/fuzz/corpus/" FUZZ_NAME, 1) < 0;
		bad |= run_path("tests/fuzz/regress/" FUZZ_NAME, 0) < 0;
	}
	if (n_run == 0)
		printf("not ok 1 - " FUZZ_NAME ": no input found\n"), n_run = 1, bad = 1;
	printf("1..%u\n", n_run);
	return bad;
}
