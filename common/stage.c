/*  stage.c - the loop every stage runs (see stage.h). */
#include "common/stage.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/curve.h"
#include "common/lock.h"
#include "common/log.h"
#include "common/runid.h"

#define STAGE_COUNTERS 32
#define STAGE_SUBS     16
#define STAGE_KEYS     64  /* reload patterns a stage may add (stage_reload_keys) */
#define STAGE_KEY_LEN  128 /* bytes of one pattern, NUL included */
#define STAGE_PATH_LEN 256 /* bytes of one compared key path, NUL included */

static volatile sig_atomic_t s_stop_flag = 0;
static volatile sig_atomic_t s_reload_flag = 0;

typedef struct {
    stage_t *st;
    bus_sub_t *sub;
    stage_msg_fn *fn;
    void *arg;
} s_sub_t;

struct stage {
    char name[32];
    cfg_t *cfg;
    zloop_t *loop;
    bus_pub_t *pub;
    zsock_t *ctl;
    lock_t *lock; /* {run}/<instance>.lock, held for the process's life */
    char pub_ep[256], ctl_ep[256];
    char state[32];
    char run_id[RUNID_MAX];
    int64_t start_mono;
    bool replay;
    bool stop;
    char counter_names[STAGE_COUNTERS][24];
    int64_t counters[STAGE_COUNTERS];
    size_t n_counters;
    int64_t *gaps;
    s_sub_t subs[STAGE_SUBS];
    size_t n_subs;
    stage_ctl_fn *ctl_fn;
    void *ctl_arg;
    stage_status_fn *status_fn;
    void *status_arg;
    stage_reload_fn *reload_fn;
    void *reload_arg;
    char keys[STAGE_KEYS][STAGE_KEY_LEN]; /* reload patterns (stage_reload_keys) */
    bool key_reload[STAGE_KEYS];
    size_t n_keys;
    cfg_t *current; /* the last reloaded config (owned); NULL = still the one of stage_new */
    stage_check_fn *check_fn;
    void *check_arg;
};

static void
s_on_signal(int sig)
{
    if (sig == SIGHUP) {
        s_reload_flag = 1;
    } else {
        s_stop_flag = 1;
    }
}

static void
s_install_signals(void)
{
    zsys_handler_set(NULL); /* one handler owns the signals: ours */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGTERM, &sa, NULL); /* cannot fail for valid signal numbers */
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &sa, NULL);
}

bool
stage_signalled(void)
{
    return s_stop_flag != 0;
}


/* Make the directory of an ipc:// endpoint (0700) so bind can create the socket file. */
static int
s_make_ipc_dir(const char *endpoint)
{
    if (strncmp(endpoint, "ipc://", 6) != 0) {
        return 0;
    }
    char path[256];
    snprintf(path, sizeof path, "%s", endpoint + 6);
    char *slash = strrchr(path, '/');
    if (!slash) {
        return 0;
    }
    *slash = '\0';
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            (void)mkdir(path, 0700); /* parents may exist already */
            *p = '/';
        }
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        int e = errno;
        log_error("stage", "cannot bind %s: cannot create its directory %s: %s", endpoint, path,
                  strerror(e));
        errno = e;
        return -1;
    }
    return 0;
}

static void
s_status_json(stage_t *self, json_t *o)
{
    json_object_set_new(o, "stage", json_string(self->name));
    json_object_set_new(o, "state", json_string(self->state));
    json_object_set_new(o, "pid", json_integer(getpid()));
    json_object_set_new(o, "uptime_ms",
                        json_integer((clock_mono_ns() - self->start_mono) / CLOCK_NS_PER_MS));
    json_object_set_new(o, "mode", json_string(self->replay ? "replay" : "live"));
    json_object_set_new(o, "run_id", json_string(self->run_id));
    if (self->status_fn) { /* first: it may bring counters up to date (feed's s_on_status) */
        self->status_fn(self, o, self->status_arg);
    }
    json_t *c = json_object();
    for (size_t i = 0; i < self->n_counters; i++) {
        json_object_set_new(c, self->counter_names[i], json_integer(self->counters[i]));
    }
    json_object_set_new(o, "counters", c);
    json_object_set_new(o, "pub",
                        json_pack("{s:s, s:I}", "endpoint", self->pub_ep, "seq",
                                  (json_int_t)bus_pub_seq(self->pub)));
    if (curve_enabled()) {
        json_object_set_new(o, "curve",
                            json_pack("{s:I, s:I}", "accepted", (json_int_t)curve_accepted(),
                                      "refused", (json_int_t)curve_refused()));
    }
}

/* ---- reload (rules in stage.h) ------------------------------------------------------ */

/* Does `pat` cover `path` (the key itself or anything below it)? `*` = one key (no '.' or
 * '['), `[*]` = any index. */
static bool
s_key_match(const char *pat, const char *path)
{
    while (*pat) {
        if (strncmp(pat, "[*]", 3) == 0) {
            if (*path != '[' || path[1] < '0' || path[1] > '9') {
                return false;
            }
            path++;
            while (*path >= '0' && *path <= '9') {
                path++;
            }
            if (*path != ']') {
                return false;
            }
            path++;
            pat += 3;
            continue;
        }
        if (*pat == '*') {
            for (size_t k = 0; path[k] && path[k] != '.' && path[k] != '['; k++) {
                if (s_key_match(pat + 1, path + k + 1)) {
                    return true;
                }
            }
            return false;
        }
        if (*pat != *path) {
            return false;
        }
        pat++;
        path++;
    }
    return *path == '\0' || *path == '.' || *path == '[';
}

/* The rule for a changed key: 1 reload, 0 restart, -1 none (not this stage's key). The
 * longest covering pattern wins; restart wins a tie. */
static int
s_key_rule(const stage_t *self, const char *path)
{
    static const char *const k_restart[] = { "mode", "run_dir", "security", "endpoints" };
    size_t best_len = 0;
    int best = -1;
    char role[32];
    snprintf(role, sizeof role, "%s", self->name);
    role[strcspn(role, ".")] = '\0';
    for (char *c = role; *c; c++) {
        if (*c == '-') {
            *c = '_';
        }
    }
#define S_CONSIDER(pat, rule)                                                                      \
    do {                                                                                           \
        size_t l_ = strlen(pat);                                                                   \
        if (s_key_match((pat), path) && (l_ > best_len || (l_ == best_len && (rule) == 0))) {      \
            best_len = l_;                                                                         \
            best = (rule);                                                                         \
        }                                                                                          \
    } while (0)
    S_CONSIDER("log_level", 1);
    for (size_t i = 0; i < sizeof k_restart / sizeof k_restart[0]; i++) {
        S_CONSIDER(k_restart[i], 0);
    }
    if (role[0]) {
        S_CONSIDER(role, 0);
    }
    for (size_t i = 0; i < self->n_keys; i++) {
        S_CONSIDER(self->keys[i], self->key_reload[i] ? 1 : 0);
    }
#undef S_CONSIDER
    return best;
}

typedef struct {
    const stage_t *st;
    json_t *reloaded; /* changed reloadable keys */
    json_t *restart;  /* changed keys that need a restart */
} s_diff_t;

static void
s_diff_leaf(s_diff_t *d, const char *path)
{
    int rule = s_key_rule(d->st, path);
    if (rule == 1) {
        (void)json_array_append_new(d->reloaded, json_string(path));
    } else if (rule == 0) {
        (void)json_array_append_new(d->restart, json_string(path));
    }
}

/* Compare `a` (running, may be NULL) with `b` (fresh, may be NULL) at `path` (len bytes). */
static void
s_diff(s_diff_t *d, const json_t *a, const json_t *b, char *path, size_t len)
{
    if (a && b && json_equal(a, b)) {
        return;
    }
    bool ao = !a || json_is_object(a), bo = !b || json_is_object(b);
    if (ao && bo) { /* at least one is an object: walk the union of keys */
        const char *key;
        json_t *v;
        for (int side = 0; side < 2; side++) {
            const json_t *o = side == 0 ? b : a, *other = side == 0 ? a : b;
            json_object_foreach((json_t *)o, key, v)
            {
                const json_t *w = other ? json_object_get(other, key) : NULL;
                if (side == 1 && w) {
                    continue; /* in both: done on the first pass */
                }
                int n = snprintf(path + len, STAGE_PATH_LEN - len, "%s%s", len ? "." : "", key);
                if (n < 0 || (size_t)n >= STAGE_PATH_LEN - len) {
                    path[len] = '\0';
                    s_diff_leaf(d, path); /* too deep to name: the parent changed */
                    return;
                }
                if (side == 0) {
                    s_diff(d, w, v, path, len + (size_t)n);
                } else {
                    s_diff(d, v, NULL, path, len + (size_t)n);
                }
                path[len] = '\0';
            }
        }
        return;
    }
    if (a && b && json_is_array(a) && json_is_array(b)
        && json_array_size(a) == json_array_size(b)) {
        for (size_t i = 0; i < json_array_size(a); i++) {
            int n = snprintf(path + len, STAGE_PATH_LEN - len, "[%zu]", i);
            if (n < 0 || (size_t)n >= STAGE_PATH_LEN - len) {
                path[len] = '\0';
                s_diff_leaf(d, path);
                return;
            }
            s_diff(d, json_array_get(a, i), json_array_get(b, i), path, len + (size_t)n);
            path[len] = '\0';
        }
        return;
    }
    s_diff_leaf(d, path);
}

int
stage_reload_keys(stage_t *self, const stage_key_t *keys, size_t n)
{
    assert(self);
    assert(keys || n == 0);
    if (self->n_keys + n > STAGE_KEYS) {
        errno = ENOSPC;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!keys[i].pattern || !keys[i].pattern[0] || strlen(keys[i].pattern) >= STAGE_KEY_LEN) {
            errno = EINVAL;
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(self->keys[self->n_keys], STAGE_KEY_LEN, "%s", keys[i].pattern);
        self->key_reload[self->n_keys++] = keys[i].reload;
    }
    return 0;
}

cfg_t *
stage_cfg_current(const stage_t *self)
{
    assert(self);
    return self->current ? self->current : self->cfg;
}

static void
s_refuse(json_t *reply, const char *why)
{
    json_object_set_new(reply, "ok", json_false());
    json_object_set_new(reply, "error", json_string(why));
    json_object_del(reply, "reloaded");
    log_warn("stage", "reload refused: %s", why);
}

int
stage_reload(stage_t *self, json_t *reply)
{
    assert(self);
    assert(reply);
    char err[512];
    cfg_t *running = stage_cfg_current(self);
    cfg_t *fresh = cfg_load(cfg_file(self->cfg), err, sizeof err);
    if (!fresh) {
        s_refuse(reply, err);
        return -1;
    }
    if (cfg_check_top(fresh) != 0) { /* a section nobody reads would otherwise pass */
        s_refuse(reply, cfg_error(fresh));
        cfg_destroy(&fresh);
        return -1;
    }
    if (self->check_fn && self->check_fn(self, fresh, self->check_arg) != 0) {
        s_refuse(reply, cfg_error(fresh)[0] ? cfg_error(fresh) : "refused by the stage");
        cfg_destroy(&fresh);
        return -1;
    }
    char path[STAGE_PATH_LEN] = "";
    s_diff_t d = { .st = self, .reloaded = json_array(), .restart = json_array() };
    if (!d.reloaded || !d.restart) {
        json_decref(d.reloaded);
        json_decref(d.restart);
        cfg_destroy(&fresh);
        s_refuse(reply, "out of memory");
        return -1;
    }
    s_diff(&d, cfg_json(running, ""), cfg_json(fresh, ""), path, 0);
    if (json_array_size(d.restart) > 0) {
        const char *first = json_string_value(json_array_get(d.restart, 0));
        size_t more = json_array_size(d.restart) - 1;
        if (more) {
            cfg_fail(fresh, first, "needs a restart (and %zu more key%s: see \"restart\")", more,
                     more == 1 ? "" : "s");
        } else {
            cfg_fail(fresh, first, "needs a restart");
        }
        json_object_set_new(reply, "restart", d.restart);
        json_decref(d.reloaded);
        s_refuse(reply, cfg_error(fresh));
        cfg_destroy(&fresh);
        return -1;
    }
    json_decref(d.restart);
    const char *lv;
    log_level_t level;
    if (cfg_str(fresh, "log_level", "info", &lv) != 0 || log_level_parse(lv, &level) != 0) {
        if (cfg_error(fresh)[0] == '\0') {
            cfg_fail(fresh, "log_level", "expected error|warn|notice|info|debug, got \"%s\"", lv);
        }
        json_decref(d.reloaded);
        s_refuse(reply, cfg_error(fresh));
        cfg_destroy(&fresh);
        return -1;
    }
    size_t n_stage = 0;         /* changed reloadable keys the stage's hook applies */
    bool level_changed = false; /* a level given with -l stays until the file's changes */
    for (size_t i = 0; i < json_array_size(d.reloaded); i++) {
        if (strcmp(json_string_value(json_array_get(d.reloaded, i)), "log_level") != 0) {
            n_stage++;
        } else {
            level_changed = true;
        }
    }
    json_object_set_new(reply, "reloaded", d.reloaded); /* the hook may read it */
    if (n_stage > 0 && self->reload_fn
        && self->reload_fn(self, fresh, reply, self->reload_arg) != 0) {
        s_refuse(reply, cfg_error(fresh)[0] ? cfg_error(fresh) : "refused by the stage");
        cfg_destroy(&fresh);
        return -1;
    }
    if (level_changed) {
        log_init(self->name, level);
    }
    json_object_set_new(reply, "ok", json_true());
    char *list = json_dumps(json_object_get(reply, "reloaded"), JSON_COMPACT);
    log_notice("stage", "config reloaded from %s: %s", cfg_file(fresh), list ? list : "");
    free(list);
    cfg_destroy(&self->current);
    self->current = fresh; /* the next reload compares with this one */
    return 0;
}

static int
s_on_ctl(zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    stage_t *self = arg;
    char *req = zstr_recv(reader);
    if (!req) {
        return 0;
    }
    json_t *reply = json_object();
    char word[32] = "";
    sscanf(req, "%31s", word);
    if (strcmp(word, "status") == 0) {
        s_status_json(self, reply);
    } else if (strcmp(word, "reload") == 0) {
        (void)stage_reload(self, reply); /* the reply says how it went */
    } else if (!self->ctl_fn || self->ctl_fn(self, req, reply, self->ctl_arg) != 0) {
        json_object_clear(reply);
        json_object_set_new(reply, "ok", json_false());
        json_object_set_new(reply, "error", json_sprintf("unknown command \"%s\"", word));
    }
    char *text = json_dumps(reply, JSON_COMPACT);
    if (zstr_send(reader, text ? text : "{}") != 0) {
        log_warn("stage", "cannot answer control request: %s", zmq_strerror(zmq_errno()));
    }
    free(text);
    json_decref(reply);
    zstr_free(&req);
    return self->stop ? -1 : 0;
}

/* zloop returns on EINTR only when the signal lands inside zmq_poll; a signal that arrives
 * while a handler runs (lws servicing, a database commit) is seen here within 100 ms. */
static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    stage_t *self = arg;
    if (s_reload_flag) {
        s_reload_flag = 0;
        json_t *reply = json_object();
        (void)stage_reload(self, reply); /* logged either way */
        json_decref(reply);
    }
    return (s_stop_flag || self->stop) ? -1 : 0;
}

static int
s_on_hb(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    stage_t *self = arg;
    codec_sys_hb_t hb;
    memset(&hb, 0, sizeof hb);
    snprintf(hb.stage, sizeof hb.stage, "%s", self->name);
    snprintf(hb.state, sizeof hb.state, "%s", self->state);
    hb.uptime_ms = (clock_mono_ns() - self->start_mono) / CLOCK_NS_PER_MS;
    for (size_t i = 0; i < self->n_counters && i < CODEC_COUNTERS; i++) {
        memcpy(hb.names[i], self->counter_names[i], sizeof hb.names[i]);
        hb.values[i] = self->counters[i];
        hb.n++;
    }
    char topic[64];
    snprintf(topic, sizeof topic, "sys.hb.%s", self->name);
    if (bus_publish(self->pub, topic, CODEC_SYS_HB, &hb, 0, 0) != 0) {
        log_warn("stage", "cannot publish heartbeat: %s", strerror(errno));
    }
    return self->stop ? -1 : 0;
}

stage_t *
stage_new(const char *instance, cfg_t *cfg)
{
    stage_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(self->name, sizeof self->name, "%s", instance);
    self->cfg = cfg;
    self->start_mono = clock_mono_ns();
    snprintf(self->state, sizeof self->state, "starting");
    const char *mode = "replay";
    if (cfg_str(cfg, "mode", "replay", &mode) != 0) {
        log_error("stage", "%s", cfg_error(cfg));
        goto fail;
    }
    if (strcmp(mode, "replay") != 0 && strcmp(mode, "live") != 0) {
        cfg_fail(cfg, "mode", "expected \"replay\" or \"live\", got \"%s\"", mode);
        log_error("stage", "%s", cfg_error(cfg));
        errno = EINVAL;
        goto fail;
    }
    self->replay = strcmp(mode, "replay") == 0;
    s_install_signals();
    if (cfg_endpoint(cfg, instance, "pub", self->pub_ep, sizeof self->pub_ep) != 0
        || cfg_endpoint(cfg, instance, "ctl", self->ctl_ep, sizeof self->ctl_ep) != 0) {
        log_error("stage", "%s", cfg_error(cfg));
        errno = EINVAL;
        goto fail;
    }
    if (s_make_ipc_dir(self->pub_ep) != 0 || s_make_ipc_dir(self->ctl_ep) != 0) {
        goto fail;
    }
    if (mkdir(cfg_run_dir(cfg), 0700) != 0 && errno != EEXIST) {
        int e = errno;
        log_error("stage", "cannot create the run directory %s: %s", cfg_run_dir(cfg), strerror(e));
        errno = e;
        goto fail;
    }
    /* one process per instance: before anything is bound, so a second start cannot take
     * over the first one's ipc:// endpoints (a zmq ipc bind replaces the socket file) */
    pid_t holder = 0;
    self->lock = lock_new(cfg_run_dir(cfg), instance, &holder);
    if (!self->lock) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            log_error("stage", "cannot start %s: already running (pid %d, lock %s/%s.lock)",
                      instance, (int)holder, cfg_run_dir(cfg), instance);
        } else {
            log_error("stage", "cannot start %s: cannot take the lock %s/%s.lock: %s", instance,
                      cfg_run_dir(cfg), instance, strerror(e));
        }
        errno = e;
        goto fail;
    }
    if (runid_get(cfg_run_dir(cfg), self->run_id, sizeof self->run_id) != 0) {
        int e = errno;
        log_error("stage", "cannot read or create %s/run.id: %s", cfg_run_dir(cfg),
                  e == EINVAL ? "it holds no valid run id" : strerror(e));
        errno = e;
        goto fail;
    }
    /* CURVE before any socket: no-op unless security.curve is on (tcp:// endpoints only) */
    if (!curve_enabled() && curve_configure(cfg, instance) != 0) {
        log_error("stage", "cannot set up CURVE for %s: %s", instance, strerror(errno));
        goto fail;
    }
    self->pub = bus_pub_new(self->pub_ep, instance, 0);
    if (!self->pub) {
        goto fail;
    }
    self->ctl = zsock_new(ZMQ_REP);
    if (!self->ctl || zsock_bind(self->ctl, "%s", self->ctl_ep) < 0) {
        int e = zmq_errno();
        log_error("stage", "cannot bind %s: %s", self->ctl_ep, zmq_strerror(e));
        errno = e;
        goto fail;
    }
    self->loop = zloop_new();
    if (!self->loop) {
        errno = ENOMEM;
        goto fail;
    }
    zloop_set_nonstop(self->loop, true); /* we own signal handling */
    if (zloop_reader(self->loop, self->ctl, s_on_ctl, self) != 0
        || zloop_timer(self->loop, 1000, 0, s_on_hb, self) < 0
        || zloop_timer(self->loop, 100, 0, s_on_tick, self) < 0) {
        errno = ENOMEM;
        goto fail;
    }
    self->gaps = stage_counter(self, "gaps");
    log_info("stage", "%s started (pid %d, run %s, pub %s, ctl %s, mode %s)", instance,
             (int)getpid(), self->run_id, self->pub_ep, self->ctl_ep, mode);
    return self;
fail:;
    int e = errno ? errno : EINVAL;
    stage_destroy(&self);
    errno = e;
    return NULL;
}

void
stage_destroy(stage_t **self_p)
{
    assert(self_p);
    stage_t *self = *self_p;
    if (!self) {
        return;
    }
    zloop_destroy(&self->loop);
    zsock_destroy(&self->ctl);
    bus_pub_destroy(&self->pub);
    cfg_destroy(&self->current);
    curve_shutdown();          /* no-op when CURVE is off */
    lock_destroy(&self->lock); /* last: nothing of ours is bound any more */
    free(self);
    *self_p = NULL;
}

const char *
stage_name(const stage_t *self)
{
    assert(self);
    return self->name;
}

cfg_t *
stage_cfg(const stage_t *self)
{
    assert(self);
    return self->cfg;
}

zloop_t *
stage_loop(stage_t *self)
{
    assert(self);
    return self->loop;
}

bus_pub_t *
stage_pub(stage_t *self)
{
    assert(self);
    return self->pub;
}

const char *
stage_run_id(const stage_t *self)
{
    assert(self);
    return self->run_id;
}

bool
stage_replay(const stage_t *self)
{
    assert(self);
    return self->replay;
}

static int
s_on_sub(zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    (void)reader;
    s_sub_t *s = arg;
    bus_msg_t msg;
    /* drain up to a bound so one busy publisher cannot starve the control socket */
    for (int i = 0; i < 4096; i++) {
        if (bus_sub_recv(s->sub, &msg) != 0) {
            if (errno == EAGAIN) {
                break;
            }
            continue; /* malformed: counted and logged by bus */
        }
        if (msg.gap) {
            *s->st->gaps += (int64_t)msg.gap;
        }
        if (s->fn(s->st, &msg, s->arg) != 0) {
            return -1;
        }
        if (s_stop_flag || s->st->stop) {
            return -1;
        }
    }
    return 0;
}

int
stage_add_sub(stage_t *self, bus_sub_t *sub, stage_msg_fn *fn, void *arg)
{
    assert(self);
    assert(sub);
    if (self->n_subs == STAGE_SUBS) {
        errno = ENOSPC;
        return -1;
    }
    s_sub_t *s = &self->subs[self->n_subs++];
    *s = (s_sub_t){ .st = self, .sub = sub, .fn = fn, .arg = arg };
    if (zloop_reader(self->loop, bus_sub_sock(sub), s_on_sub, s) != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int64_t *
stage_counter(stage_t *self, const char *name)
{
    assert(self);
    for (size_t i = 0; i < self->n_counters; i++) {
        if (strcmp(self->counter_names[i], name) == 0) {
            return &self->counters[i];
        }
    }
    assert(self->n_counters < STAGE_COUNTERS); /* a fixed set per stage: a bug if exceeded */
    size_t i = self->n_counters++;
    snprintf(self->counter_names[i], sizeof self->counter_names[i], "%s", name);
    return &self->counters[i];
}

void
stage_set_state(stage_t *self, const char *state)
{
    assert(self);
    if (strcmp(self->state, state) != 0) {
        log_notice("stage", "state %s -> %s", self->state, state);
    }
    snprintf(self->state, sizeof self->state, "%s", state);
}

const char *
stage_state(const stage_t *self)
{
    assert(self);
    return self->state;
}

void
stage_on_ctl(stage_t *self, stage_ctl_fn *fn, void *arg)
{
    assert(self);
    self->ctl_fn = fn;
    self->ctl_arg = arg;
}

void
stage_on_reload(stage_t *self, stage_reload_fn *fn, void *arg)
{
    assert(self);
    self->reload_fn = fn;
    self->reload_arg = arg;
}

void
stage_on_check(stage_t *self, stage_check_fn *fn, void *arg)
{
    assert(self);
    self->check_fn = fn;
    self->check_arg = arg;
}

void
stage_on_status(stage_t *self, stage_status_fn *fn, void *arg)
{
    assert(self);
    self->status_fn = fn;
    self->status_arg = arg;
}

int
stage_run(stage_t *self)
{
    assert(self);
    if (strcmp(self->state, "starting") == 0) {
        stage_set_state(self, "running");
    }
    for (;;) {
        int rc = zloop_start(self->loop);
        if (s_stop_flag) {
            log_info("stage", "%s stopping on signal", self->name);
            return 0;
        }
        if (self->stop) {
            return 0;
        }
        if (rc != 0) {
            log_error("stage", "%s loop stopped by a handler", self->name);
            return -1;
        }
        /* EINTR from SIGHUP or a spurious wake: keep going */
    }
}

int
stage_forward_barrier(stage_t *self, const codec_sys_barrier_t *b)
{
    assert(self);
    assert(b);
    codec_sys_barrier_t out = *b;
    out.n = 0;
    if (bus_publish(self->pub, "sys.barrier", CODEC_SYS_BARRIER, &out, b->ts_event, 0) != 0) {
        int e = errno;
        log_error("stage", "cannot forward barrier %llu: %s", (unsigned long long)b->step,
                  strerror(e));
        errno = e;
        return -1;
    }
    return 0;
}

int
stage_connect_role(stage_t *self, bus_sub_t *sub, const char *role, step_t *step, int rank,
                   bool feedback)
{
    assert(self);
    assert(sub);
    char names[16][32], ep[256];
    size_t n = cfg_instances(self->cfg, role, names, 16);
    for (size_t i = 0; i < n; i++) {
        if (cfg_endpoint(self->cfg, names[i], "pub", ep, sizeof ep) != 0) {
            log_error("stage", "%s", cfg_error(self->cfg));
            errno = EINVAL;
            return -1;
        }
        if (bus_sub_connect(sub, ep) != 0) {
            return -1; /* bus logged "cannot connect to <ep>: <why>" */
        }
        if (step && step_add_input(step, names[i], rank, feedback) != 0) {
            log_error("stage", "cannot add input %s: too many inputs", names[i]);
            return -1;
        }
        log_info("stage", "subscribed to %s at %s", names[i], ep);
    }
    return (int)n;
}

void
stage_stop(stage_t *self)
{
    assert(self);
    self->stop = true;
}

static void
s_usage(const char *role)
{
    fprintf(stderr, "usage: %s -c CONFIG.json [-i INSTANCE] [-l error|warn|notice|info|debug]\n",
            role);
}

cfg_t *
stage_boot(int argc, char **argv, const char *role, char *instance, size_t cap, int *exit_code)
{
    const char *cfg_path = NULL, *level = NULL;
    snprintf(instance, cap, "%s.0", role);
    int opt;
    optind = 1;
    while ((opt = getopt(argc, argv, "c:i:l:h")) != -1) {
        switch (opt) {
        case 'c':
            cfg_path = optarg;
            break;
        case 'i':
            snprintf(instance, cap, "%s", optarg);
            break;
        case 'l':
            level = optarg;
            break;
        default:
            s_usage(role);
            *exit_code = 2;
            return NULL;
        }
    }
    if (!cfg_path) {
        s_usage(role);
        *exit_code = 2;
        return NULL;
    }
    log_init(instance, LOG_LVL_INFO);
    char err[512];
    cfg_t *cfg = cfg_load(cfg_path, err, sizeof err);
    if (!cfg) {
        log_error("config", "%s", err);
        *exit_code = 2;
        return NULL;
    }
    if (cfg_check_top(cfg) != 0) { /* a typo in a section name must not run on defaults */
        log_error("config", "%s", cfg_error(cfg));
        cfg_destroy(&cfg);
        *exit_code = 2;
        return NULL;
    }
    const char *lv = level;
    if (!lv && cfg_str(cfg, "log_level", "info", &lv) != 0) {
        log_error("config", "%s", cfg_error(cfg));
        cfg_destroy(&cfg);
        *exit_code = 2;
        return NULL;
    }
    log_level_t l;
    if (log_level_parse(lv, &l) != 0) {
        if (level) {
            log_error("config", "-l %s: expected error|warn|notice|info|debug", level);
        } else {
            cfg_fail(cfg, "log_level", "expected error|warn|notice|info|debug, got \"%s\"", lv);
            log_error("config", "%s", cfg_error(cfg));
        }
        cfg_destroy(&cfg);
        *exit_code = 2;
        return NULL;
    }
    log_init(instance, l);
    char ep[256];
    if (cfg_endpoint(cfg, instance, "pub", ep, sizeof ep) != 0) {
        cfg_fail(cfg, "endpoints", "no endpoints for instance \"%s\"", instance);
        log_error("config", "%s", cfg_error(cfg));
        cfg_destroy(&cfg);
        *exit_code = 2;
        return NULL;
    }
    const char *mode;
    if (cfg_str(cfg, "mode", "replay", &mode) != 0
        || (strcmp(mode, "replay") != 0 && strcmp(mode, "live") != 0
            && cfg_fail(cfg, "mode", "expected \"replay\" or \"live\", got \"%s\"", mode) != 0)) {
        log_error("config", "%s", cfg_error(cfg));
        cfg_destroy(&cfg);
        *exit_code = 2;
        return NULL;
    }
    *exit_code = 0;
    return cfg;
}
