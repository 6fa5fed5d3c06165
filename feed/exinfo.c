/*  exinfo.c - Binance exchangeInfo to instrument rules (see exinfo.h).
 */
#include "feed/exinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* "0.01000000" -> "0.01", "100.0" -> "100"; out[cap]. false if too long or not a string. */
static bool
s_trim(const json_t *v, char *out, size_t cap)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= cap || strlen(s) == 0) {
        return false;
    }
    snprintf(out, cap, "%s", s);
    if (strchr(out, '.')) {
        size_t n = strlen(out);
        while (n > 0 && out[n - 1] == '0') {
            out[--n] = '\0';
        }
        if (n > 0 && out[n - 1] == '.') {
            out[--n] = '\0';
        }
    }
    return true;
}

int
exinfo_parse_binance(const char *json, size_t len, const char *venue, const char *category,
                     void (*fn)(const instr_t *in, void *arg), void *arg)
{
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *syms = json_object_get(root, "symbols");
    if (!json_is_array(syms)) {
        json_decref(root);
        errno = EPROTO;
        return -1;
    }
    int count = 0;
    size_t i, k;
    json_t *s, *f;
    json_array_foreach(syms, i, s)
    {
        const char *sym = json_string_value(json_object_get(s, "symbol"));
        const char *status = json_string_value(json_object_get(s, "status"));
        if (!sym || !status || strcmp(status, "TRADING") != 0) {
            continue;
        }
        char tick[32] = "", step[32] = "", minq[32] = "", minn[32] = "0";
        json_array_foreach(json_object_get(s, "filters"), k, f)
        {
            const char *ft = json_string_value(json_object_get(f, "filterType"));
            if (!ft) {
                continue;
            }
            if (strcmp(ft, "PRICE_FILTER") == 0) {
                (void)s_trim(json_object_get(f, "tickSize"), tick, sizeof tick);
            } else if (strcmp(ft, "LOT_SIZE") == 0) {
                (void)s_trim(json_object_get(f, "stepSize"), step, sizeof step);
                (void)s_trim(json_object_get(f, "minQty"), minq, sizeof minq);
            } else if (strcmp(ft, "NOTIONAL") == 0) {
                (void)s_trim(json_object_get(f, "minNotional"), minn, sizeof minn);
            } else if (strcmp(ft, "MIN_NOTIONAL") == 0) {
                /* USD-M "notional"; older spot bodies "minNotional" */
                if (!s_trim(json_object_get(f, "notional"), minn, sizeof minn)) {
                    (void)s_trim(json_object_get(f, "minNotional"), minn, sizeof minn);
                }
            }
        }
        instr_t in;
        if (!tick[0] || !step[0] || !minq[0]
            || instr_from_strings(&in, venue, category, sym, tick, step, minq, minn) != 0) {
            continue;
        }
        fn(&in, arg);
        count++;
    }
    json_decref(root);
    return count;
}

char *
exinfo_read(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return NULL;
    }
    if (fseek(fp, 0, SEEK_END) != 0) {
        fclose(fp);
        errno = EIO;
        return NULL;
    }
    long n = ftell(fp);
    rewind(fp);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        fclose(fp);
        errno = buf ? EIO : ENOMEM;
        return NULL;
    }
    fclose(fp);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}
