/*
 * config-file.h - spurun's configuration file and --set overrides, turned
 * into options for config_parse() so that both go through the same checks
 * as the command line.
 *
 * The file is one JSON object (read with jansson): each key is a long
 * option name of spurun (config_option_arg), each value a string, a
 * number, a boolean (a flag: true sets it, false leaves it out) or an
 * array of those (a repeatable option such as "bundle"). `--set KEY=VALUE`
 * sets one option the same way. The resulting argument vector is: the
 * program name, the file's options, then the command line with every
 * --set replaced by its option, so the command line wins.
 *
 * Main thread only.
 */
#ifndef SPU_CONFIG_FILE_H
#define SPU_CONFIG_FILE_H

struct spu_error;
struct config_args;

/* Build the argument vector from argv (which is borrowed: it must outlive
 * the result). Returns new, or NULL with err naming the file, line and
 * column or the bad key. */
struct config_args *config_args_new(int argc, char **argv, struct spu_error *err);

/* The vector (borrowed; lives until config_args_free, as does every string
 * a struct config parsed from it points to). */
int config_args_argc(const struct config_args *a);
char **config_args_argv(struct config_args *a);

/* The --config file given, or NULL (borrowed). */
const char *config_args_file(const struct config_args *a);

/* NULL is a no-op. */
void config_args_free(struct config_args *a);

#endif
