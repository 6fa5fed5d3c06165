/*  check-config - validate a config file as every stage of the group would at start, without
 *  starting anything (tools/check-config/check.h lists the checks).
 *  Usage: check-config -c CONFIG
 *  Output: "config OK: <file> (N sections, M instances)" on stdout, or every error found, one
 *          per line as "<file>:<line>: <key>: <why>", on stderr, then a count.
 *  Exit codes: 0 good, 2 errors found (or the file does not load), 1 bad arguments.
 */
#include <stdio.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/log.h"
#include "tools/check-config/check.h"

static void
s_print(const char *msg, void *arg)
{
    (void)arg;
    fprintf(stderr, "%s\n", msg);
}

int
main(int argc, char **argv)
{
    const char *path = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "c:h")) != -1) {
        if (opt == 'c') {
            path = optarg;
        } else {
            path = NULL;
            break;
        }
    }
    if (!path || optind != argc) {
        fprintf(stderr, "usage: check-config -c CONFIG.json\n");
        return 1;
    }
    log_init("check-config", LOG_LVL_ERROR); /* the readers' notices are not ours to show */
    char err[512];
    cfg_t *cfg = cfg_load(path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    check_result_t res;
    size_t n = check_config(cfg, s_print, NULL, &res);
    if (n > 0) {
        fprintf(stderr, "config refused: %s (%zu error%s)\n", path, n, n == 1 ? "" : "s");
    } else {
        printf("config OK: %s (%zu sections, %zu instances)\n", path, res.sections, res.instances);
    }
    cfg_destroy(&cfg);
    return n > 0 ? 2 : 0;
}
