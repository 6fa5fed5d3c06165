/*  venue.c - pick a venue implementation by name (contract: venue.h).
 *  Owns:  nothing; the implementation object belongs to the venue_t it fills.
 *  Adding a venue: write its module with a *_new(const venue_cfg_t *) and a venue_ops_t, and
 *  add one branch here.
 */
#include "executor/venue.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "executor/bybit.h"
#include "executor/paper.h"

int
venue_open(venue_t *out, const venue_cfg_t *cfg)
{
    assert(out && cfg);
    if (!cfg->name) {
        errno = EINVAL;
        return -1;
    }
    if (strcmp(cfg->name, "paper") == 0) {
        paper_t *p = paper_new(cfg);
        if (!p) {
            return -1;
        }
        out->ops = paper_ops();
        out->impl = p;
        return 0;
    }
    if (strcmp(cfg->name, "bybit") == 0) {
        bybit_t *b = bybit_venue_new(cfg);
        if (!b) {
            return -1;
        }
        out->ops = bybit_ops();
        out->impl = b;
        return 0;
    }
    errno = EINVAL; /* unknown venue name */
    return -1;
}

void
venue_close(venue_t *v)
{
    assert(v);
    if (v->ops && v->impl) {
        v->ops->destroy(&v->impl);
    }
    v->ops = NULL;
    v->impl = NULL;
}
