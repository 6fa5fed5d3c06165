/*  runinfo.c - `ctl run-id` and `ctl venue-port` (see runinfo.h). */
#include "tools/ctl/runinfo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/port.h"
#include "common/runid.h"

bool
runinfo_is_command(const char *cmd)
{
    return strcmp(cmd, "run-id") == 0 || strcmp(cmd, "venue-port") == 0;
}

static int
s_run_id(cfg_t *cfg, bool fresh)
{
    char id[RUNID_MAX];
    const char *dir = cfg_run_dir(cfg);
    if ((fresh ? runid_new(dir, id, sizeof id) : runid_get(dir, id, sizeof id)) != 0) {
        fprintf(stderr, "ctl: cannot %s %s/run.id: %s\n", fresh ? "write" : "read", dir,
                errno == EINVAL ? "it holds no valid run id" : strerror(errno));
        return 1;
    }
    puts(id);
    return 0;
}

static int
s_venue_port(cfg_t *cfg, bool fresh)
{
    int64_t configured;
    if (cfg_int(cfg, "venue_sim.port", 0, 0, 65535, false, &configured) != 0) {
        fprintf(stderr, "ctl: %s\n", cfg_error(cfg));
        return 2;
    }
    int port = (int)configured;
    if (configured == 0 && fresh) {
        if (port_pick(&port) != 0 || port_file_write(cfg_run_dir(cfg), port) != 0) {
            fprintf(stderr, "ctl: cannot choose venue-sim's port into %s/%s: %s\n",
                    cfg_run_dir(cfg), PORT_FILE, strerror(errno));
            return 1;
        }
    } else if (configured == 0 && cfg_venue_port(cfg, &port) != 0) {
        fprintf(stderr, "ctl: %s\n", cfg_error(cfg));
        return 1;
    }
    printf("%d\n", port);
    return 0;
}

int
runinfo_command(cfg_t *cfg, const char *cmd, const char *const *args, int n)
{
    bool fresh = n == 1 && strcmp(args[0], "--new") == 0;
    if (n > 1 || (n == 1 && !fresh)) {
        fprintf(stderr, "usage: ctl -c CONFIG %s [--new]\n", cmd);
        return 2;
    }
    return strcmp(cmd, "run-id") == 0 ? s_run_id(cfg, fresh) : s_venue_port(cfg, fresh);
}
