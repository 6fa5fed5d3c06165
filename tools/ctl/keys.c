/*  keys - generate the CURVE certificates of a config's instances (common/curve.h).
 *  Usage: build/bin/keys -c CONFIG [--name NAME]...
 *    Writes <keys_dir>/<instance>.key (public) and <instance>.key_secret (secret, mode 0600)
 *    for every instance under "endpoints" (or only the --name ones), in security.keys_dir
 *    (default "{run}/keys", created 0700). An existing certificate is kept (never rotated
 *    silently: delete both files to make a new one).
 *  Copy to each host: every public .key file, and only that host's own .key_secret files.
 *  Exit codes: 0 done, 1 cannot write, 2 bad arguments or config.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <czmq.h>

#include "common/cfg.h"
#include "common/log.h"

static int
s_make(const char *dir, const char *name)
{
    char path[700], secret[720];
    (void)snprintf(path, sizeof path, "%s/%s.key", dir, name);
    (void)snprintf(secret, sizeof secret, "%s_secret", path);
    if (access(path, F_OK) == 0 && access(secret, F_OK) == 0) {
        printf("kept %s\n", path);
        return 0;
    }
    zcert_t *c = zcert_new();
    if (c == NULL) {
        return -1;
    }
    zcert_set_meta(c, "name", "%s", name);
    int rc = zcert_save(c, path);
    zcert_destroy(&c);
    if (rc != 0 || chmod(secret, 0600) != 0) {
        fprintf(stderr, "keys: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    printf("made %s\n", path);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *cfg_path = NULL;
    const char *names[64];
    size_t n_names = 0;
    char err[512], dir[512];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc && n_names < 64) {
            names[n_names++] = argv[++i];
        } else {
            fprintf(stderr, "usage: keys -c CONFIG [--name NAME]...\n");
            return 2;
        }
    }
    if (cfg_path == NULL) {
        fprintf(stderr, "usage: keys -c CONFIG [--name NAME]...\n");
        return 2;
    }
    log_init("keys", LOG_WARN);
    cfg_t *cfg = cfg_load(cfg_path, err, sizeof err);
    if (cfg == NULL) {
        fprintf(stderr, "keys: %s\n", err);
        return 2;
    }
    if (cfg_path_str(cfg, "security.keys_dir", "{run}/keys", dir, sizeof dir) < 0) {
        fprintf(stderr, "keys: %s\n", cfg_error(cfg));
        cfg_destroy(&cfg);
        return 2;
    }
    int rc = 0;
    if (zsys_dir_create("%s", dir) != 0 || chmod(dir, 0700) != 0) {
        fprintf(stderr, "keys: cannot create %s: %s\n", dir, strerror(errno));
        rc = 1;
    }
    if (rc == 0 && n_names > 0) {
        for (size_t i = 0; i < n_names && rc == 0; i++) {
            rc = s_make(dir, names[i]) < 0 ? 1 : 0;
        }
    } else if (rc == 0) {
        json_t *eps = cfg_json(cfg, "endpoints");
        const char *name;
        json_t *v;
        json_object_foreach(eps, name, v)
        {
            (void)v;
            if (s_make(dir, name) < 0) {
                rc = 1;
                break;
            }
        }
    }
    cfg_destroy(&cfg);
    return rc;
}
