/* SPDX-License-Identifier: MIT */
/*
 * Stand-in for libFuzzer's main() in ordinary builds: feed every file of the
 * target's seed corpus (or the files/directories given as arguments) to
 * LLVMFuzzerTestOneInput once. This keeps the fuzz targets compiling and
 * their corpora passing in every `make check`, sanitizers included.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static int run_file(const char *path) {
        FILE *f = fopen(path, "re");
        uint8_t *buf;
        long size;

        if (!f) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        rewind(f);
        buf = malloc(size > 0 ? (size_t) size : 1);
        if (!buf || fread(buf, 1, (size_t) size, f) != (size_t) size) {
                fclose(f);
                free(buf);
                return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t) size);
        free(buf);
        return 0;
}

static int run_path(const char *path, unsigned *count) {
        struct stat st;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
                (*count)++;
                return run_file(path);
        }
        d = opendir(path);
        if (!d)
                return -1;
        while ((de = readdir(d))) {
                char child[PATH_MAX];
                if (de->d_name[0] == '.')
                        continue;
                snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
                if (run_path(child, count) < 0)
                        r = -1;
        }
        closedir(d);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned count = 0;
        int r = 0;

        /* Always try the empty input and a few odd bytes. */
        LLVMFuzzerTestOneInput((const uint8_t *) "", 0);
        LLVMFuzzerTestOneInput((const uint8_t *) "\xff\x00\x80", 3);

        if (argc > 1) {
                for (int i = 1; i < argc; i++)
                        if (run_path(argv[i], &count) < 0)
                                r = 1;
        } else {
                const char *srcdir = getenv("SIGRUN_TOP_SRCDIR");
                char dir[PATH_MAX], name[PATH_MAX];

                snprintf(name, sizeof(name), "%s", argv[0]);
                snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", srcdir ? srcdir : ".", basename(name));
                /* The libtool-less build names the binary exactly like its corpus folder. */
                if (run_path(dir, &count) < 0)
                        r = 1;
        }
        printf("%s: %u corpus inputs replayed, %s\n", argv[0], count, r ? "with errors" : "no crash");
        return r;
}
