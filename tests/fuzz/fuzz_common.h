/*  fuzz_common.h - shared by the feed's libFuzzer targets (tests/fuzz/fuzz_*.c), included once
 *  per target (static helpers only).
 *  Seeds: libFuzzer reads its corpus directories after LLVMFuzzerInitialize, so the targets
 *  write the recorded frames (one file per frame, data/ recordings) into the first corpus
 *  directory given on the command line when it is still empty: `make fuzz` starts from the
 *  recorded frames without a copy of them under data/.
 *  Inputs: one or more frames separated by '\n', fed in order to the same parsers (their books
 *  keep state from input to input, so sequences of deltas are fuzzed too).
 */
#ifndef TP_FUZZ_COMMON_H
#define TP_FUZZ_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

/* The first non-option argument (the writable corpus directory), or NULL. */
static const char *
s_corpus_dir(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-') {
            return argv[i];
        }
    }
    return NULL;
}

static bool
s_dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        return false;
    }
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            empty = false;
            break;
        }
    }
    closedir(d);
    return empty;
}

static void
s_seed_write(const char *dir, const char *tag, int n, const char *text, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/seed-%s-%05d", dir, tag, n);
    FILE *fp = fopen(path, "wb");
    if (fp) {
        (void)fwrite(text, 1, len, fp);
        fclose(fp);
    }
}

/* Write up to `max` lines of a JSON Lines file (or of a gzip "<ns> <json>" file when gz) as
 * seeds, every `every`-th line. */
static void
s_seed_file(const char *dir, const char *tag, const char *path, bool gz, int every, int max)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        return;
    }
    static char line[1 << 20];
    int n = 0, k = 0;
    while (n < max && gzgets(f, line, (int)sizeof line)) {
        if (k++ % every != 0) {
            continue;
        }
        char *p = line;
        if (gz) {
            p = strchr(line, ' ');
            if (!p) {
                continue;
            }
            p++;
        }
        size_t len = strcspn(p, "\n");
        s_seed_write(dir, tag, n++, p, len);
    }
    gzclose(f);
    (void)gz;
}

/* Call fn(frame, len) for each '\n'-separated part of data[size]. */
#define FUZZ_EACH_LINE(data, size, fn)                                                             \
    do {                                                                                           \
        const char *p_ = (const char *)(data), *end_ = p_ + (size);                                \
        while (p_ < end_) {                                                                        \
            const char *nl_ = memchr(p_, '\n', (size_t)(end_ - p_));                               \
            size_t l_ = nl_ ? (size_t)(nl_ - p_) : (size_t)(end_ - p_);                            \
            fn(p_, l_);                                                                            \
            p_ += l_ + 1;                                                                          \
        }                                                                                          \
    } while (0)

#endif /* TP_FUZZ_COMMON_H */
