/* Unit tests for runtime/config-file.c (JSON configuration and --set into
 * options) together with config_parse: the file's options come first, the
 * command line wins, bad keys and values are named. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config-file.h"
#include "config.h"
#include "err.h"

static char path[64];

static const char *write_conf(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/spu-test-conf-%d.json", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* Parse argv (NULL-terminated) through config_args and config_parse. */
static int parse(struct config *c, struct config_args **out, struct spu_error *err, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    *out = config_args_new(argc, argv, err);
    if (!*out)
        return err->code;
    return config_parse(c, config_args_argc(*out), config_args_argv(*out), err);
}

Test(config_file, options_from_the_file_and_the_command_line_wins)
{
    const char *p = write_conf("{\"read\": \"/x.pcap\", \"workers\": 3, \"midstream\": true,\n"
                               " \"bundle\": [\"a.spb\", \"web=b.spb\"], \"verbose\": 2,\n"
                               " \"no-progress\": false, \"control\": \"/tmp/s.sock\"}\n");
    struct config c;
    struct config_args *a;
    struct spu_error err;
    char *argv[] = {"spurun",
                    "-w",
                    "2",
                    "--config",
                    (char *)p,
                    "--set",
                    "stream-policy=last",
                    "--set=log-level=info",
                    NULL};
    cr_assert_eq(parse(&c, &a, &err, argv), CONFIG_RUN, "%s", err.msg);
    cr_assert_str_eq(c.read_path, "/x.pcap");
    cr_assert_eq(c.workers, 2);
    cr_assert(c.midstream);
    cr_assert(c.progress);
    cr_assert_eq(c.verbose, 2);
    cr_assert_eq(c.nbundles, 2);
    cr_assert_str_eq(c.bundles[0].name, "a");
    cr_assert_str_eq(c.bundles[1].name, "web");
    cr_assert_str_eq(c.bundles[1].path, "b.spb");
    cr_assert_str_eq(c.control, "/tmp/s.sock");
    cr_assert_eq(c.stream_policy, 1);
    cr_assert_eq(c.log_level, 3);
    cr_assert_str_eq(config_args_file(a), p);
    config_args_free(a);
    unlink(p);
}

Test(config_file, errors_name_the_file_the_place_and_the_key)
{
    struct {
        const char *text, *msg;
    } cases[] = {
        {"{\"workers\": 2,\n \"bogus\": 1}", "unknown option \"bogus\""},
        {"{\"workers\": 2\n \"eve\": \"x\"}", ":2:"},
        {"[1, 2]", "expected one JSON object"},
        {"{\"midstream\": \"yes\"}", "\"midstream\" is a flag"},
        {"{\"workers\": true}", "\"workers\" takes a value"},
        {"{\"workers\": {\"n\": 1}}", "expected a string, an integer"},
        {"{\"config\": \"other.json\"}", "unknown option \"config\""},
        {"{\"a\": 1, \"a\": 2}", "duplicate"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *p = write_conf(cases[i].text);
        struct spu_error err;
        char *argv[] = {"spurun", "--config", (char *)p, NULL};
        struct config_args *a = config_args_new(3, argv, &err);
        cr_assert_null(a, "%s", cases[i].text);
        cr_assert_not_null(strstr(err.msg, cases[i].msg), "%s: %s", cases[i].text, err.msg);
        unlink(p);
    }
}

Test(config_file, set_checks_keys_and_flags)
{
    struct spu_error err;
    char *bad_key[] = {"spurun", "--set", "nothing=1", NULL};
    cr_assert_null(config_args_new(3, bad_key, &err));
    cr_assert_not_null(strstr(err.msg, "no option 'nothing'"));
    char *no_eq[] = {"spurun", "--set", "workers", NULL};
    cr_assert_null(config_args_new(3, no_eq, &err));
    cr_assert_not_null(strstr(err.msg, "KEY=VALUE"));
    char *bad_flag[] = {"spurun", "--set", "midstream=maybe", NULL};
    cr_assert_null(config_args_new(3, bad_flag, &err));
    char *flag_off[] = {"spurun",          "-r",    "/x",           "--set",
                        "midstream=false", "--set", "realtime=yes", NULL};
    struct config c;
    struct config_args *a;
    cr_assert_eq(parse(&c, &a, &err, flag_off), CONFIG_RUN, "%s", err.msg);
    cr_assert_not(c.midstream);
    cr_assert(c.realtime);
    config_args_free(a);
    /* a value the command line would refuse is refused the same way */
    char *bad_val[] = {"spurun", "-r", "/x", "--set", "workers=0", NULL};
    cr_assert_lt(parse(&c, &a, &err, bad_val), 0);
    cr_assert_not_null(strstr(err.msg, "-w: expected 1..1024"));
    config_args_free(a);
}

Test(config_file, no_source_is_queue_mode_with_the_default_socket)
{
    struct config c;
    struct config_args *a;
    struct spu_error err;
    char *argv[] = {"spurun", "-o", "x.json", NULL};
    cr_assert_eq(parse(&c, &a, &err, argv), CONFIG_RUN, "%s", err.msg);
    cr_assert(c.queue_mode);
    cr_assert_str_eq(c.control, "auto");
    config_args_free(a);
    char *bare[] = {"spurun", "--bare", NULL};
    cr_assert_lt(parse(&c, &a, &err, bare), 0);
    config_args_free(a);
}
