/*  csv_util.h - tiny CSV reader for the signal unit tests (header-only, test code only).
 *  Reads a whole comma-separated file (no quoting: our data files have none) into memory,
 *  splits it into rows and cells in place. Cells are NUL-terminated borrowed strings.
 */
#ifndef TP_TEST_CSV_UTIL_H
#define TP_TEST_CSV_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_COLS 32

typedef struct {
    char *buf;     /* whole file, modified in place */
    size_t n_rows; /* rows including a header if the file has one */
    size_t n_cols; /* columns of the first row */
    char *(*cells)[CSV_MAX_COLS];
} csv_t;

/* Load `path`. Returns 0, or -1 if it cannot be read or a row has more than CSV_MAX_COLS. */
static inline int
csv_load(csv_t *csv, const char *path)
{
    memset(csv, 0, sizeof *csv);
    FILE *f = fopen(path, "rb");
    if (!f) {
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return -1;
    }
    long size = ftell(f);
    rewind(f);
    csv->buf = malloc((size_t)size + 1);
    if (!csv->buf || fread(csv->buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(csv->buf);
        return -1;
    }
    fclose(f);
    csv->buf[size] = '\0';
    size_t lines = 1;
    for (long i = 0; i < size; i++) {
        if (csv->buf[i] == '\n') {
            lines++;
        }
    }
    csv->cells = calloc(lines, sizeof *csv->cells);
    if (!csv->cells) {
        return -1;
    }
    char *p = csv->buf;
    while (*p) {
        char *eol = strchr(p, '\n');
        if (eol) {
            *eol = '\0';
        }
        size_t len = strlen(p);
        if (len > 0 && p[len - 1] == '\r') {
            p[len - 1] = '\0';
        }
        if (*p) {
            size_t c = 0;
            char *cell = p;
            for (;;) {
                if (c >= CSV_MAX_COLS) {
                    return -1;
                }
                char *comma = strchr(cell, ',');
                csv->cells[csv->n_rows][c++] = cell;
                if (!comma) {
                    break;
                }
                *comma = '\0';
                cell = comma + 1;
            }
            if (csv->n_rows == 0) {
                csv->n_cols = c;
            }
            csv->n_rows++;
        }
        if (!eol) {
            break;
        }
        p = eol + 1;
    }
    return 0;
}

/* Index of the header column named `name` (row 0), or -1. */
static inline int
csv_col(const csv_t *csv, const char *name)
{
    for (size_t c = 0; c < csv->n_cols; c++) {
        if (strcmp(csv->cells[0][c], name) == 0) {
            return (int)c;
        }
    }
    return -1;
}

static inline void
csv_free(csv_t *csv)
{
    free(csv->cells);
    free(csv->buf);
    memset(csv, 0, sizeof *csv);
}

#endif /* TP_TEST_CSV_UTIL_H */
