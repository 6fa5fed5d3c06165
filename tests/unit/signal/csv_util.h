/*  csv_util.h - tiny CSV reader for the signal unit tests (header-only, test code only).
 *  Reads a whole comma-separated file (no quoting: our data files have none) into memory,
 *  splits it into rows and cells in place. Cells are NUL-terminated borrowed strings.
 */
#ifndef TP_TEST_CSV_UTIL_H
#define TP_TEST_CSV_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/money.h"

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

/* A closed 1m bar of binance-spot BTCUSDT from a candle row (open time ms, open, high, low,
 * close, volume: the Binance kline CSV columns), prices at scale 2, volume at qty_scale.
 * 0, or -1 if a number does not parse at its scale. */
static inline int
csv_bar_1m(char **row, int qty_scale, codec_sig_bar_t *b)
{
    memset(b, 0, sizeof *b);
    strcpy(b->venue, "binance-spot");
    strcpy(b->symbol, "BTCUSDT");
    b->px_scale = 2;
    b->qty_scale = qty_scale;
    b->tf_s = 60;
    b->start_ns = strtoll(row[0], NULL, 10) * 1000;
    b->end_ns = b->start_ns + 60 * INT64_C(1000000000);
    int64_t *px[4] = { &b->open, &b->high, &b->low, &b->close };
    for (int i = 0; i < 4; i++) {
        if (money_parse(row[1 + i], strlen(row[1 + i]), 2, px[i]) != 0) {
            return -1;
        }
    }
    return money_parse(row[5], strlen(row[5]), qty_scale, &b->volume);
}

#endif /* TP_TEST_CSV_UTIL_H */
