/* Unit tests for runtime/run-service.c: queries answered by the main
 * thread (or its kept answer when idle), timeouts, shutdown, and the
 * capture file queue's order and states. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "run-service.h"

static json_t *answer(void *ctx, enum run_query q)
{
    (*(int *)ctx)++;
    return json_pack("{s:i}", "query", (int)q);
}

struct main_thread {
    struct run_service *s;
    int answered;
    volatile int quit;
};

/* Stands for spurun's dispatcher loop: serves between "steps". */
static void *serve_loop(void *arg)
{
    struct main_thread *m = arg;
    while (!m->quit && !run_service_serve(m->s, answer, &m->answered))
        usleep(1000);
    return NULL;
}

Test(run_service, query_is_answered_by_the_serving_thread)
{
    struct main_thread m = {.s = run_service_new(false)};
    pthread_t t;
    pthread_create(&t, NULL, serve_loop, &m);
    json_t *out;
    struct spu_error err;
    cr_assert_eq(run_service_query(m.s, RUN_QUERY_FLOWS, 30000, &out, &err), SPU_OK);
    cr_assert_eq(json_integer_value(json_object_get(out, "query")), RUN_QUERY_FLOWS);
    cr_assert_str_eq(json_string_value(json_object_get(out, "state")), "running");
    json_decref(out);
    cr_assert_eq(run_service_query(m.s, RUN_QUERY_STATS, 30000, &out, &err), SPU_OK);
    cr_assert_eq(json_integer_value(json_object_get(out, "query")), RUN_QUERY_STATS);
    json_decref(out);
    cr_assert_eq(m.answered, 2);
    /* a shutdown request ends the loop the way a signal would */
    cr_assert_not(run_service_stopping(m.s));
    run_service_shutdown(m.s);
    pthread_join(t, NULL);
    cr_assert(run_service_stopping(m.s));
    run_service_free(m.s);
}

Test(run_service, nobody_serving_times_out)
{
    struct run_service *s = run_service_new(false);
    json_t *out = (json_t *)1;
    struct spu_error err;
    cr_assert_eq(run_service_query(s, RUN_QUERY_STATS, 50, &out, &err), SPU_ESTATE);
    cr_assert_null(out);
    cr_assert_not_null(strstr(err.msg, "did not answer"));
    /* a late answer to the abandoned query is never taken for the next one */
    int n = 0;
    run_service_serve(s, answer, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(run_service_query(s, RUN_QUERY_FLOWS, 50, &out, &err), SPU_ESTATE);
    cr_assert_null(out);
    run_service_free(s);
}

static void *queue_main(void *arg)
{
    struct run_service *s = arg;
    static volatile sig_atomic_t stop;
    const char *path;
    unsigned id;
    while (run_service_next_pcap(s, &stop, &path, &id) == SPU_OK)
        run_service_pcap_done(s, id, strstr(path, "passwd") ? SPU_OK : SPU_EFORMAT, "not a capture",
                              10 + id, 20 + id, 0.5);
    return NULL;
}

static json_t *status_file(json_t *st, size_t i)
{
    return json_array_get(json_object_get(st, "files"), i);
}

Test(run_service, pcap_queue_in_order_with_states_and_idle_answers)
{
    struct run_service *s = run_service_new(true);
    run_service_keep(s, RUN_QUERY_STATS, json_pack("{s:i}", "pkts", 7));
    json_t *r;
    struct spu_error err;
    cr_assert_eq(run_service_pcap_add(s, "/nonexistent.pcap", &r, &err), SPU_ENOTFOUND);
    cr_assert_eq(run_service_pcap_add(s, "/etc/passwd", &r, &err), SPU_OK);
    cr_assert_eq(json_integer_value(json_object_get(r, "id")), 0);
    json_decref(r);
    cr_assert_eq(run_service_pcap_add(s, "/etc/hostname", &r, &err), SPU_OK);
    cr_assert_eq(json_integer_value(json_object_get(r, "position")), 1);
    json_decref(r);
    json_t *st = run_service_pcap_status(s);
    cr_assert_eq(json_integer_value(json_object_get(st, "queued")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(status_file(st, 1), "state")), "queued");
    json_decref(st);
    pthread_t t;
    pthread_create(&t, NULL, queue_main, s);
    bool idle = false;
    for (int i = 0; i < 15000 && !idle; i++) { /* 30 s at most */
        st = run_service_pcap_status(s);
        idle = json_is_true(json_object_get(st, "idle"));
        json_decref(st);
        if (!idle)
            usleep(2000);
    }
    cr_assert(idle, "the queue's thread processed both files");
    /* while waiting for files the main thread answers with the kept figures */
    json_t *out;
    cr_assert_eq(run_service_query(s, RUN_QUERY_STATS, 30000, &out, &err), SPU_OK);
    cr_assert_eq(json_integer_value(json_object_get(out, "pkts")), 7);
    cr_assert_str_eq(json_string_value(json_object_get(out, "state")), "idle");
    json_decref(out);
    run_service_shutdown(s);
    pthread_join(t, NULL);
    st = run_service_pcap_status(s);
    cr_assert_eq(json_integer_value(json_object_get(st, "done")), 1);
    cr_assert_eq(json_integer_value(json_object_get(st, "failed")), 1);
    json_t *f0 = status_file(st, 0), *f1 = status_file(st, 1);
    cr_assert_str_eq(json_string_value(json_object_get(f0, "state")), "done");
    cr_assert_eq(json_integer_value(json_object_get(f0, "packets")), 10);
    cr_assert_str_eq(json_string_value(json_object_get(f1, "state")), "failed");
    cr_assert_str_eq(json_string_value(json_object_get(f1, "error")), "not a capture");
    cr_assert_eq(json_integer_value(json_object_get(f1, "events")), 21);
    json_decref(st);
    /* after a shutdown nothing more is queued */
    cr_assert_eq(run_service_pcap_add(s, "/etc/passwd", &r, &err), SPU_ESTATE);
    run_service_free(s);
}

Test(run_service, pcap_refused_outside_queue_mode)
{
    struct run_service *s = run_service_new(false);
    json_t *r = NULL;
    struct spu_error err;
    cr_assert_eq(run_service_pcap_add(s, "/etc/passwd", &r, &err), SPU_ESTATE);
    cr_assert_not_null(strstr(err.msg, "started with a source"));
    cr_assert_null(r);
    run_service_free(s);
}
