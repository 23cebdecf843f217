/* test-apps.c - the applications of a run (runtime/apps.c) over a rule
 * engine: load, reload, stop, start, unload by name, each published; the
 * refusals (bad name, loaded twice, unknown, missing file, corrupt
 * bundle, stopped twice) leave what runs untouched; sessions and lists. */
#include "apps.h"
#include "bundle.h"
#include "detect.h"
#include "err.h"
#include "helper-compile.h"
#include "output.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rig {
    struct detect_engine *e;
    struct detect_worker *w;
    struct output *out;
    struct apps *a;
    char dir[64];
};

/* Write the bundle of `rules` to DIR/name.spb; returns its path (static). */
static const char *write_bundle(struct rig *r, const char *name, const char *rules)
{
    static char path[128];
    size_t len;
    char *diag = NULL;
    uint8_t *img = hc_compile(NULL, rules, NULL, &len, &diag);
    cr_assert_not_null(img, "%s", diag ? diag : "");
    free(diag);
    snprintf(path, sizeof(path), "%s/%s.spb", r->dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(img, 1, len, f), len);
    fclose(f);
    free(img);
    return path;
}

static void rig_open(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "/tmp/test-apps-XXXXXX");
    cr_assert_not_null(mkdtemp(r->dir));
    struct spu_error err;
    spu_error_clear(&err);
    char ev[128];
    snprintf(ev, sizeof(ev), "%s/eve.json", r->dir);
    r->out = output_open(ev, 1, &err);
    cr_assert_not_null(r->out, "%s", err.msg);
    struct detect_cfg cfg = {.max_apps = 2};
    r->e = detect_engine_new(&cfg, NULL, NULL, 0, 1, &err);
    cr_assert_not_null(r->e, "%s", err.msg);
    r->w = detect_worker_new(r->e, 0, output_producer(r->out, 0), NULL, &err);
    cr_assert_not_null(r->w, "%s", err.msg);
    r->a = apps_new(r->e, NULL);
    cr_assert_not_null(r->a);
}

static void rig_close(struct rig *r)
{
    apps_free(r->a);
    detect_worker_free(r->w);
    detect_engine_free(r->e);
    output_close(r->out, NULL);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
    cr_assert_eq(system(cmd), 0);
}

/* Names and states of the applications, "web:running mail:stopped". */
static char *states(struct rig *r)
{
    static char buf[256];
    buf[0] = 0;
    json_t *st = apps_status(r->a);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(st, "apps"), i, x)
    {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof(buf) - n, "%s%s:%s", n ? " " : "",
                 json_string_value(json_object_get(x, "name")),
                 json_string_value(json_object_get(x, "state")));
    }
    json_decref(st);
    return buf;
}

static long long running_in_engine(struct rig *r)
{
    json_t *s = detect_engine_stats(r->e, 0);
    long long n = (long long)json_array_size(
        json_object_get(json_object_get(s, "reload"), "running"));
    json_decref(s);
    return n;
}

static const char *syn_rule = "rule sid 1 \"a SYN\" on tcp.syn { Alert(); }\n";

Test(apps, lifecycle_by_name)
{
    struct rig r;
    rig_open(&r);
    struct spu_error err;
    spu_error_clear(&err);
    json_t *res = NULL;
    char web[128];
    snprintf(web, sizeof(web), "%s", write_bundle(&r, "web", syn_rule));
    cr_assert_eq(apps_load(r.a, "web", web, &res, &err), SPU_OK, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_object_get(res, "state")), "running");
    json_decref(res);
    cr_assert_eq(apps_load(r.a, "mail", web, &res, &err), SPU_OK, "%s", err.msg);
    json_decref(res);
    cr_assert_str_eq(states(&r), "web:running mail:running");
    cr_assert_eq(running_in_engine(&r), 2);
    cr_assert_eq(apps_stop(r.a, "mail", &res, &err), SPU_OK);
    json_decref(res);
    cr_assert_eq(running_in_engine(&r), 1);
    cr_assert_str_eq(states(&r), "web:running mail:stopped");
    cr_assert_eq(apps_stop(r.a, "mail", &res, &err), SPU_ESTATE);
    cr_assert_eq(apps_start(r.a, "mail", &res, &err), SPU_OK);
    json_decref(res);
    cr_assert_eq(running_in_engine(&r), 2);
    cr_assert_eq(apps_unload(r.a, "web", &res, &err), SPU_OK);
    json_decref(res);
    cr_assert_str_eq(states(&r), "mail:running");
    cr_assert_eq(running_in_engine(&r), 1);
    rig_close(&r);
}

Test(apps, refusals_leave_what_runs)
{
    struct rig r;
    rig_open(&r);
    struct spu_error err;
    spu_error_clear(&err);
    json_t *res = NULL;
    char web[128];
    snprintf(web, sizeof(web), "%s", write_bundle(&r, "web", syn_rule));
    cr_assert_eq(apps_load(r.a, "web", web, &res, &err), SPU_OK, "%s", err.msg);
    json_decref(res);
    cr_assert_eq(apps_load(r.a, "we b", web, &res, &err), SPU_EINVAL);
    cr_assert_eq(apps_load(r.a, "web", web, &res, &err), SPU_EEXIST);
    cr_assert_eq(apps_reload(r.a, "nosuch", NULL, &res, &err), SPU_ENOTFOUND);
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/missing.spb", r.dir);
    spu_error_clear(&err);
    cr_assert_neq(apps_reload(r.a, "web", missing, &res, &err), SPU_OK);
    cr_assert(strstr(err.msg, "cannot open"), "%s", err.msg);
    /* a corrupt copy: one byte of the body changed */
    char bad[160];
    snprintf(bad, sizeof(bad), "%s/bad.spb", r.dir);
    FILE *in = fopen(web, "rb"), *out = fopen(bad, "wb");
    cr_assert(in && out);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf), in);
    buf[n / 2] ^= 0x55;
    fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
    spu_error_clear(&err);
    cr_assert_neq(apps_reload(r.a, "web", bad, &res, &err), SPU_OK);
    cr_assert(strstr(err.msg, "corrupt"), "%s", err.msg);
    /* web still runs from its own file */
    json_t *st = apps_status(r.a);
    json_t *x = json_array_get(json_object_get(st, "apps"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(x, "file")), web);
    json_decref(st);
    cr_assert_eq(running_in_engine(&r), 1);
    /* the outcomes counted: one good reload after three refused ones (the
     * unknown name in the totals only) */
    cr_assert_eq(apps_reload(r.a, "web", NULL, &res, &err), SPU_OK, "%s", err.msg);
    json_decref(res);
    json_t *rs = apps_reload_stats(r.a);
    cr_assert_eq(json_integer_value(json_object_get(rs, "ok")), 1);
    cr_assert_eq(json_integer_value(json_object_get(rs, "failed")), 3);
    json_t *pa = json_array_get(json_object_get(rs, "apps"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(pa, "app")), "web");
    cr_assert_eq(json_integer_value(json_object_get(pa, "ok")), 1);
    cr_assert_eq(json_integer_value(json_object_get(pa, "failed")), 2);
    json_decref(rs);
    rig_close(&r);
}

Test(apps, sessions_and_lists)
{
    struct rig r;
    rig_open(&r);
    struct spu_error err;
    spu_error_clear(&err);
    json_t *res = NULL;
    char wl[160];
    snprintf(wl, sizeof(wl), "%s/watched.txt", r.dir);
    FILE *f = fopen(wl, "w");
    cr_assert_not_null(f);
    fputs("192.0.2.1\n", f);
    fclose(f);
    char rules[512];
    snprintf(rules, sizeof(rules),
             "session src keyed by flow.src_ip ttl 10s { int syns; }\n"
             "list watched from \"%s\";\n"
             "rule sid 1 \"watched\" on tcp.syn { src.syns += 1; if (src_ip in watched) Alert(); }\n",
             wl);
    char web[128];
    snprintf(web, sizeof(web), "%s", write_bundle(&r, "web", rules));
    cr_assert_eq(apps_load(r.a, "web", web, &res, &err), SPU_OK, "%s", err.msg);
    json_decref(res);
    cr_assert_eq(apps_sessions(r.a, "web", &res, &err), SPU_OK);
    cr_assert_not_null(json_object_get(json_object_get(res, "sessions"), "src"));
    json_decref(res);
    cr_assert_eq(apps_list(r.a, "web", "show", NULL, &res, &err), SPU_OK, "%s", err.msg);
    json_t *l = json_array_get(json_object_get(res, "lists"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(l, "list")), "watched");
    cr_assert_eq(json_integer_value(json_object_get(l, "size")), 1);
    json_decref(res);
    f = fopen(wl, "w");
    cr_assert_not_null(f);
    fputs("192.0.2.1\n198.51.100.0/24\n203.0.113.7\n", f);
    fclose(f);
    cr_assert_eq(apps_list(r.a, "web", "reload", "watched", &res, &err), SPU_OK, "%s", err.msg);
    l = json_array_get(json_object_get(res, "lists"), 0);
    cr_assert_eq(json_integer_value(json_object_get(l, "size")), 3);
    json_decref(res);
    /* add and remove live; the last edit of a value wins; a refused
     * request changes nothing; reload keeps the edits, a bundle reload
     * drops them */
    cr_assert_eq(apps_list(r.a, "web", "add", "watched", &res, &err), SPU_EINVAL); /* no values */
    json_t *v = json_pack("[s, s]", "203.0.113.50", "203.0.113.51");
    cr_assert_eq(apps_list_values(r.a, "web", "add", "watched", v, &res, &err), SPU_OK, "%s",
                 err.msg);
    json_decref(v);
    cr_assert_eq(json_integer_value(json_object_get(
                     json_array_get(json_object_get(res, "lists"), 0), "size")),
                 5);
    json_decref(res);
    v = json_pack("[s, s]", "203.0.113.50", "192.0.2.1");
    cr_assert_eq(apps_list_values(r.a, "web", "remove", "watched", v, &res, &err), SPU_OK, "%s",
                 err.msg);
    json_decref(v);
    json_decref(res);
    v = json_pack("[s, s]", "203.0.113.51", "203.0.113.99"); /* the second is absent */
    spu_error_clear(&err);
    cr_assert_eq(apps_list_values(r.a, "web", "remove", "watched", v, &res, &err), SPU_ENOTFOUND);
    json_decref(v);
    cr_assert_eq(apps_list(r.a, "web", "reload", "watched", &res, &err), SPU_OK, "%s", err.msg);
    l = json_array_get(json_object_get(res, "lists"), 0);
    cr_assert_eq(json_integer_value(json_object_get(l, "size")), 3, "file 3 + .51 - .1");
    json_decref(res);
    cr_assert_eq(apps_reload(r.a, "web", NULL, &res, &err), SPU_OK, "%s", err.msg);
    json_decref(res);
    cr_assert_eq(apps_list(r.a, "web", "show", "watched", &res, &err), SPU_OK);
    l = json_array_get(json_object_get(res, "lists"), 0);
    cr_assert_eq(json_integer_value(json_object_get(l, "size")), 3, "the file's 3");
    json_decref(res);
    cr_assert_eq(apps_list(r.a, "web", "reload", "nosuch", &res, &err), SPU_ENOTFOUND);
    rig_close(&r);
}
