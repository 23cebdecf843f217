/* config-file.c - JSON configuration and --set into options (see config-file.h). */
#include "config-file.h"

#include "config.h"
#include "err.h"
#include "grow.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct config_args {
    char **v; /* the vector: owned strings, or argv's (see own) */
    bool *own;
    int n, cap;
    const char *file;
};

static int push(struct config_args *a, char *s, bool own)
{
    if (!s)
        return SPU_ENOMEM;
    if (a->n + 2 > a->cap) {
        int cap = (int)spu_grow_cap((size_t)a->cap, (size_t)a->n + 2, 32, INT_MAX);
        char **nv = realloc(a->v, (size_t)cap * sizeof(*nv));
        bool *no = nv ? realloc(a->own, (size_t)cap * sizeof(*no)) : NULL;
        if (nv)
            a->v = nv;
        if (!no) {
            if (own)
                free(s);
            return SPU_ENOMEM;
        }
        a->own = no;
        a->cap = cap;
    }
    a->own[a->n] = own;
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
    return SPU_OK;
}

static char *option(const char *key, const char *value)
{
    size_t n = strlen(key) + (value ? strlen(value) + 1 : 0) + 3;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "--%s%s%s", key, value ? "=" : "", value ? value : "");
    return s;
}

/* One KEY with one scalar value from the file. */
static int add_value(struct config_args *a, const char *where, const char *key, const json_t *v,
                     struct spu_error *err)
{
    int arg = config_option_arg(key);
    char num[32];
    const char *val = NULL;
    if (json_is_string(v)) {
        val = json_string_value(v);
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        val = num;
    } else if (json_is_boolean(v)) {
        if (arg == 1)
            return spu_error_set(err, SPU_EINVAL, "%s: \"%s\" takes a value, not %s", where, key,
                                 json_is_true(v) ? "true" : "false");
        if (json_is_false(v))
            return SPU_OK;
    } else {
        return spu_error_set(err, SPU_EINVAL,
                             "%s: \"%s\": expected a string, an integer, a boolean or an array "
                             "of them",
                             where, key);
    }
    if (arg == 0 && val) {
        /* a flag given a count ("verbose": 2) repeats it */
        if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 8) {
            for (json_int_t i = 0; i < json_integer_value(v); i++)
                if (push(a, option(key, NULL), true) != SPU_OK)
                    return spu_error_set(err, SPU_ENOMEM, "out of memory");
            return SPU_OK;
        }
        return spu_error_set(err, SPU_EINVAL, "%s: \"%s\" is a flag: expected true or false", where,
                             key);
    }
    if (push(a, option(key, val), true) != SPU_OK)
        return spu_error_set(err, SPU_ENOMEM, "out of memory");
    return SPU_OK;
}

static int load_file(struct config_args *a, const char *path, struct spu_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        spu_error_set(err, SPU_EPARSE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        err->line = je.line;
        err->col = je.column;
        return SPU_EPARSE;
    }
    int rc = SPU_OK;
    if (!json_is_object(root)) {
        rc = spu_error_set(err, SPU_EPARSE, "%s: expected one JSON object of options", path);
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (config_option_arg(key) < 0 || !strcmp(key, "config") || !strcmp(key, "set")) {
            rc = spu_error_set(err, SPU_EINVAL, "%s: unknown option \"%s\"", path, key);
            goto out;
        }
        if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i,
                               e) if ((rc = add_value(a, path, key, e, err)) != SPU_OK) goto out;
        } else if ((rc = add_value(a, path, key, v, err)) != SPU_OK) {
            goto out;
        }
    }
out:
    json_decref(root);
    return rc;
}

/* --set KEY=VALUE as an option. */
static int add_set(struct config_args *a, const char *kv, struct spu_error *err)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return spu_error_set(err, SPU_EINVAL, "--set: expected KEY=VALUE, got '%s'", kv);
    char key[64];
    if ((size_t)(eq - kv) >= sizeof(key))
        return spu_error_set(err, SPU_EINVAL, "--set: no option '%.*s'", (int)(eq - kv), kv);
    snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
    int arg = config_option_arg(key);
    if (arg < 0 || !strcmp(key, "config") || !strcmp(key, "set"))
        return spu_error_set(err, SPU_EINVAL, "--set: no option '%s'", key);
    const char *val = eq + 1;
    if (arg == 0) {
        if (!strcmp(val, "false") || !strcmp(val, "no") || !strcmp(val, "0"))
            return SPU_OK;
        if (strcmp(val, "true") && strcmp(val, "yes") && strcmp(val, "1"))
            return spu_error_set(err, SPU_EINVAL, "--set: %s is a flag: expected true or false",
                                 key);
        val = NULL;
    }
    if (push(a, option(key, val), true) != SPU_OK)
        return spu_error_set(err, SPU_ENOMEM, "out of memory");
    return SPU_OK;
}

struct config_args *config_args_new(int argc, char **argv, struct spu_error *err)
{
    struct config_args *a = calloc(1, sizeof(*a));
    if (!a || push(a, argv[0], false) != SPU_OK) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        config_args_free(a);
        return NULL;
    }
    /* the file first, wherever --config stands, so the command line wins */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            a->file = argv[++i];
        else if (!strncmp(argv[i], "--config=", 9))
            a->file = argv[i] + 9;
        else if (!strcmp(argv[i], "--config")) {
            spu_error_set(err, SPU_EINVAL, "option --config needs an argument");
            goto fail;
        }
    }
    if (a->file && load_file(a, a->file, err) != SPU_OK)
        goto fail;
    for (int i = 1; i < argc; i++) {
        int rc = SPU_OK;
        if (!strcmp(argv[i], "--config")) {
            i++;
        } else if (!strncmp(argv[i], "--config=", 9)) {
        } else if (!strcmp(argv[i], "--set")) {
            if (i + 1 >= argc) {
                spu_error_set(err, SPU_EINVAL, "option --set needs an argument");
                goto fail;
            }
            rc = add_set(a, argv[++i], err);
        } else if (!strncmp(argv[i], "--set=", 6)) {
            rc = add_set(a, argv[i] + 6, err);
        } else if (push(a, argv[i], false) != SPU_OK) {
            rc = spu_error_set(err, SPU_ENOMEM, "out of memory");
        }
        if (rc != SPU_OK)
            goto fail;
    }
    return a;
fail:
    config_args_free(a);
    return NULL;
}

int config_args_argc(const struct config_args *a)
{
    return a->n;
}

char **config_args_argv(struct config_args *a)
{
    return a->v;
}

const char *config_args_file(const struct config_args *a)
{
    return a->file;
}

void config_args_free(struct config_args *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n; i++)
        if (a->own[i])
            free(a->v[i]);
    free(a->v);
    free(a->own);
    free(a);
}
