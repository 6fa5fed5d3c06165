/*  test_isolation.c - unit tests of what keeps groups apart, on real files in a fresh
 *  temporary directory: the instance lock (common/lock.h) between two processes, the run's
 *  venue-sim port file (common/port.h) and its expansion as "{venue_port}" in config strings
 *  (common/cfg.h), with the error that names file, line and key when no port is known.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cfg.h"
#include "common/lock.h"
#include "common/port.h"

static char s_dir[64];

static int
s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/tp-iso.XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int
s_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A second taker of the same lock is refused with the holder's pid, in another process and
 * in this one; once the holder is gone the lock is free again (no stale file blocks it). */
static void
test_lock_one_holder(void **state)
{
    (void)state;
    int ready[2], done[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(done), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        lock_t *l = lock_new(s_dir, "risk.0", NULL);
        char c = l ? 'y' : 'n';
        (void)!write(ready[1], &c, 1);
        (void)!read(done[0], &c, 1); /* hold it until the parent has tried */
        lock_destroy(&l);
        _exit(0);
    }
    char c = 0;
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    pid_t holder = 0;
    errno = 0;
    lock_t *second = lock_new(s_dir, "risk.0", &holder);
    assert_null(second);
    assert_int_equal(errno, EWOULDBLOCK);
    assert_int_equal(holder, child);
    lock_t *other = lock_new(s_dir, "risk.1", NULL); /* another instance: its own lock */
    assert_non_null(other);
    lock_destroy(&other);
    assert_int_equal(write(done[1], "x", 1), 1);
    int st = 0;
    assert_int_equal(waitpid(child, &st, 0), child);
    lock_t *after = lock_new(s_dir, "risk.0", &holder);
    assert_non_null(after);
    char path[128];
    snprintf(path, sizeof path, "%s/risk.0.lock", s_dir);
    assert_string_equal(lock_path(after), path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int pid = 0;
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    assert_int_equal(pid, (int)getpid());
    lock_destroy(&after);
    assert_null(after);
    lock_destroy(&after); /* NULL: ignored */
}

static void
test_port_file(void **state)
{
    (void)state;
    int p = -1;
    errno = 0;
    assert_int_equal(port_file_read(s_dir, &p), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(p, -1);
    assert_int_equal(port_file_write(s_dir, 0), -1);
    assert_int_equal(errno, EINVAL);
    int a = 0, b = 0;
    assert_int_equal(port_pick(&a), 0);
    assert_int_equal(port_pick(&b), 0);
    assert_true(a > 0 && a <= 65535 && b > 0 && b <= 65535);
    assert_int_equal(port_file_write(s_dir, a), 0);
    assert_int_equal(port_file_read(s_dir, &p), 0);
    assert_int_equal(p, a);
    char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, PORT_FILE);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("70000\n", f);
    fclose(f);
    assert_int_equal(port_file_read(s_dir, &p), -1);
    assert_int_equal(errno, EINVAL);
}

/* Write a config with venue_sim.port `port` (JSON text) and the run dir s_dir. */
static void
s_write_cfg(const char *path, const char *port)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\n"                                                              /* 1 */
            "  \"run_dir\": \"%s\",\n"                                         /* 2 */
            "  \"venue_sim\": {\"port\": %s},\n"                               /* 3 */
            "  \"feed\": {\n"                                                  /* 4 */
            "    \"url\": \"ws://127.0.0.1:{venue_port}/v5/public/linear\",\n" /* 5 */
            "    \"two\": \"{venue_port}-{venue_port}\",\n"                    /* 6 */
            "    \"db\": \"{run}/db:{venue_port}\",\n"                         /* 7 */
            "    \"plain\": \"no placeholder\"\n"                              /* 8 */
            "  }\n"
            "}\n",
            s_dir, port);
    fclose(f);
}

static void
test_venue_port_placeholder(void **state)
{
    (void)state;
    char path[128], err[256], want[256];
    snprintf(path, sizeof path, "%s/c.json", s_dir);
    const char *v;
    int port = 0;

    /* port 0 and no port file: a string naming it fails, naming file, line and key */
    s_write_cfg(path, "0");
    cfg_t *c = cfg_load(path, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(cfg_str(c, "feed.plain", NULL, &v), 0);
    assert_string_equal(v, "no placeholder");
    errno = 0;
    assert_int_equal(cfg_str(c, "feed.url", NULL, &v), -1);
    assert_int_equal(errno, EINVAL);
    snprintf(want, sizeof want, "%s:5: feed.url: cannot expand {venue_port}: ", path);
    assert_memory_equal(cfg_error(c), want, strlen(want));
    assert_non_null(strstr(cfg_error(c), "venue-sim.port does not exist"));
    assert_int_equal(cfg_venue_port(c, &port), -1);
    cfg_destroy(&c);

    /* port 0 and the run's port file: expanded everywhere, also next to {run} */
    assert_int_equal(port_file_write(s_dir, 43210), 0);
    c = cfg_load(path, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(cfg_str(c, "feed.url", NULL, &v), 0);
    assert_string_equal(v, "ws://127.0.0.1:43210/v5/public/linear");
    const char *again;
    assert_int_equal(cfg_str(c, "feed.url", NULL, &again), 0);
    assert_ptr_equal(v, again); /* kept: borrowed for the config's lifetime */
    assert_int_equal(cfg_str(c, "feed.two", NULL, &v), 0);
    assert_string_equal(v, "43210-43210");
    char buf[256];
    assert_int_equal(cfg_path_str(c, "feed.db", NULL, buf, sizeof buf), 0);
    snprintf(want, sizeof want, "%s/db:43210", s_dir);
    assert_string_equal(buf, want);
    assert_int_equal(cfg_venue_port(c, &port), 0);
    assert_int_equal(port, 43210);
    json_t *raw = cfg_json(c, "feed.url"); /* raw values stay as written */
    assert_string_equal(json_string_value(raw), "ws://127.0.0.1:{venue_port}/v5/public/linear");
    cfg_destroy(&c);

    /* an explicit venue_sim.port wins over the file */
    s_write_cfg(path, "18811");
    c = cfg_load(path, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(cfg_str(c, "feed.url", NULL, &v), 0);
    assert_string_equal(v, "ws://127.0.0.1:18811/v5/public/linear");
    cfg_destroy(&c);

    /* a bad venue_sim.port is named as such */
    s_write_cfg(path, "70000");
    c = cfg_load(path, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(cfg_str(c, "feed.url", NULL, &v), -1);
    assert_non_null(strstr(cfg_error(c), "venue_sim.port: expected an integer in [0, 65535]"));
    cfg_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lock_one_holder, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_port_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_venue_port_placeholder, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
