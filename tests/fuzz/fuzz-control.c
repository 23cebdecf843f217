/*
 * fuzz-control.c - libFuzzer target: control socket request lines
 * (runtime/control-cmd.c) and configuration files (runtime/config-file.c).
 *
 * Byte 0 picks the target. 0..127: the rest is one request line, answered
 * by control_cmd_handle() with a handler table where every command has a
 * handler that reads every argument it was given (so a value that escaped
 * the argument check is touched). Each reply must be an object whose
 * "return" is "OK" or "NOK", with "error" and a string "message" when NOK,
 * and an OK only when the command is known and its arguments passed
 * control_cmd_check_args. 128..255: the rest is a configuration file,
 * turned into options and parsed by config_parse() (which must accept or
 * refuse, never crash). Nothing may crash or leak.
 */
#include "config-file.h"
#include "config.h"
#include "control-cmd.h"
#include "err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const json_t *v)
{
    size_t n = 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        for (size_t i = 0; i < json_string_length(v); i++)
            n += (unsigned char)s[i];
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) n += touch(e);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) n += strlen(k) + touch(e);
    }
    return n;
}

static int any(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    size_t n = touch(args);
    if (n % 7 == 3)
        return spu_error_set(err, SPU_EINVAL, "refused %zu", n);
    *result = json_integer((json_int_t)n);
    return SPU_OK;
}

static void check_reply(const json_t *r, int cmd, const json_t *args)
{
    if (!r || !json_is_object(r))
        abort();
    const char *ret = json_string_value(json_object_get(r, "return"));
    if (!ret)
        abort();
    if (strcmp(ret, "OK") == 0) {
        if (cmd < 0 || control_cmd_check_args((enum control_cmd)cmd, args, NULL) != SPU_OK)
            abort();
    } else if (strcmp(ret, "NOK") != 0 || !json_is_string(json_object_get(r, "error")) ||
               !json_is_string(json_object_get(r, "message"))) {
        abort();
    }
}

static void fuzz_request(const uint8_t *data, size_t size)
{
    struct control_handlers h = {.ctx = NULL};
#define CONTROL_CMD(id, field, name, args, need, help) h.field = any;
#include "control.def"
#undef CONTROL_CMD
    int cmd;
    json_t *args = NULL;
    json_t *r = control_cmd_handle(&h, (const char *)data, size, &cmd, &args);
    check_reply(r, cmd, args);
    json_decref(args);
    json_decref(r);
}

static void fuzz_config(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/fuzz-control-%d.json", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fwrite(data, 1, size, f);
    fclose(f);
    char *argv[] = {"spurun", "--config", path, "-r", "/dev/null", NULL};
    struct spu_error err;
    struct config_args *a = config_args_new(5, argv, &err);
    if (a) {
        struct config c;
        config_parse(&c, config_args_argc(a), config_args_argv(a), &err);
        config_args_free(a);
    }
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] < 128)
        fuzz_request(data + 1, size - 1);
    else
        fuzz_config(data + 1, size - 1);
    return 0;
}
