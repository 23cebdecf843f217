/*
 * import-addr.c - rule header addresses and ports as spu conditions.
 *
 * A variable ($HOME_NET) stays a variable: it becomes two lists read when
 * the bundle is loaded, NAME (what the variable holds) and NAME_except
 * (what it excludes), so any Suricata value - lists, negations, other
 * variables - can be written into them without recompiling. The test for
 * an address is (a in NAME && !(a in NAME_except)); for a port, its
 * decimal text is looked up (a line "any" in NAME means every port).
 * Suricata's defaults are in imp_var_default().
 */
#include "grow.h"
#include "import-int.h"
#include "value.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int imp_vars_add(struct imp_vars *v, const char *name, bool is_port)
{
    for (unsigned i = 0; i < v->n; i++)
        if (strcmp(v->names[i], name) == 0)
            return 0;
    if (v->n == v->cap) {
        unsigned cap = (unsigned)spu_grow_cap(v->cap, (size_t)v->n + 1, 16, UINT_MAX);
        char **nn = cap ? realloc(v->names, cap * sizeof(*nn)) : NULL;
        if (!nn)
            return -1;
        v->names = nn;
        bool *np = realloc(v->is_port, cap * sizeof(*np));
        if (!np)
            return -1;
        v->is_port = np;
        v->cap = cap;
    }
    if (!(v->names[v->n] = strdup(name)))
        return -1;
    v->is_port[v->n++] = is_port;
    return 0;
}

void imp_vars_free(struct imp_vars *v)
{
    for (unsigned i = 0; i < v->n; i++)
        free(v->names[i]);
    free(v->names);
    free(v->is_port);
    memset(v, 0, sizeof(*v));
}

/* suricata.yaml (5.0) defaults */
static const struct {
    const char *name, *value;
} defaults[] = {
    {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
    {"EXTERNAL_NET", "!$HOME_NET"},
    {"HTTP_SERVERS", "$HOME_NET"},
    {"SMTP_SERVERS", "$HOME_NET"},
    {"SQL_SERVERS", "$HOME_NET"},
    {"DNS_SERVERS", "$HOME_NET"},
    {"TELNET_SERVERS", "$HOME_NET"},
    {"AIM_SERVERS", "$EXTERNAL_NET"},
    {"DC_SERVERS", "$HOME_NET"},
    {"DNP3_SERVER", "$HOME_NET"},
    {"DNP3_CLIENT", "$HOME_NET"},
    {"MODBUS_CLIENT", "$HOME_NET"},
    {"MODBUS_SERVER", "$HOME_NET"},
    {"ENIP_CLIENT", "$HOME_NET"},
    {"ENIP_SERVER", "$HOME_NET"},
    {"HTTP_PORTS", "80"},
    {"SHELLCODE_PORTS", "!80"},
    {"ORACLE_PORTS", "1521"},
    {"SSH_PORTS", "22"},
    {"DNP3_PORTS", "20000"},
    {"MODBUS_PORTS", "502"},
    {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
    {"FTP_PORTS", "21"},
    {"GENEVE_PORTS", "6081"},
    {"VXLAN_PORTS", "4789"},
    {"TEREDO_PORTS", "3544"},
};

const char *imp_var_default(const char *name)
{
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        if (strcmp(defaults[i].name, name) == 0)
            return defaults[i].value;
    return NULL;
}

static bool valid_var(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

/* Split a bracketed list's body at top-level commas: calls fn per item. */
typedef int (*item_fn)(FILE *out, const char *s, size_t n, const char *subject,
                       struct imp_vars *vars, const char **why);

static int list_expr(FILE *out, const char *s, size_t n, const char *subject, struct imp_vars *vars,
                     const char **why, item_fn one)
{
    /* positives joined by ||, negatives by && !(...) */
    char *pos, *neg;
    size_t pn, nn;
    FILE *fp = open_memstream(&pos, &pn), *fn = open_memstream(&neg, &nn);
    if (!fp || !fn) {
        if (fp)
            fclose(fp), free(pos);
        if (fn)
            fclose(fn), free(neg);
        *why = "out of memory";
        return -1;
    }
    int rc = 0, npos = 0, nneg = 0, depth = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n && rc == 0; i++) {
        if (i < n && s[i] == '[')
            depth++;
        else if (i < n && s[i] == ']')
            depth--;
        if (i < n && (s[i] != ',' || depth > 0))
            continue;
        const char *it = s + start;
        size_t k = i - start;
        start = i + 1;
        while (k && isspace((unsigned char)*it))
            it++, k--;
        while (k && isspace((unsigned char)it[k - 1]))
            k--;
        if (k == 0) {
            *why = "empty item in a list";
            rc = -1;
            break;
        }
        bool is_neg = it[0] == '!';
        FILE *o = is_neg ? fn : fp;
        if (is_neg ? nneg++ : npos++)
            fputs(is_neg ? " && " : " || ", o);
        if (is_neg)
            fputs("!", o);
        fputs("(", o);
        rc = one(o, is_neg ? it + 1 : it, is_neg ? k - 1 : k, subject, vars, why);
        fputs(")", o);
    }
    fclose(fp);
    fclose(fn);
    if (rc == 0) {
        if (npos && nneg)
            fprintf(out, "(%s) && %s", pos, neg);
        else if (npos)
            fputs(pos, out);
        else if (nneg)
            fputs(neg, out);
        else
            fputs("true", out);
    }
    free(pos);
    free(neg);
    return rc;
}

static int var_expr(FILE *out, const char *s, size_t n, const char *subject, bool port,
                    struct imp_vars *vars, const char **why)
{
    if (!valid_var(s, n)) {
        *why = "bad variable name";
        return -1;
    }
    /* The variable becomes a list of that name: one without capitals could
     * be a field of the rule's event (dst_port, host), which would shadow
     * it. Rule sets write their variables in capitals. */
    bool upper = false;
    for (size_t i = 0; i < n && !upper; i++)
        upper = isupper((unsigned char)s[i]) != 0;
    if (!upper) {
        *why = "variable name without capitals (it could name a field)";
        return -1;
    }
    char name[128];
    if (n >= sizeof(name)) {
        *why = "variable name too long";
        return -1;
    }
    memcpy(name, s, n);
    name[n] = '\0';
    if (imp_vars_add(vars, name, port)) {
        *why = "out of memory";
        return -1;
    }
    if (port)
        fprintf(out, "(str(%s) in %s || \"any\" in %s) && !(str(%s) in %s_except)", subject, name,
                name, subject, name);
    else
        fprintf(out, "%s in %s && !(%s in %s_except)", subject, name, subject, name);
    return 0;
}

static int addr_one(FILE *out, const char *s, size_t n, const char *subject, struct imp_vars *vars,
                    const char **why)
{
    if (n && s[0] == '!') {
        fputs("!(", out);
        int rc = addr_one(out, s + 1, n - 1, subject, vars, why);
        fputs(")", out);
        return rc;
    }
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
        return list_expr(out, s + 1, n - 2, subject, vars, why, addr_one);
    if (n == 3 && memcmp(s, "any", 3) == 0) {
        fputs("true", out);
        return 0;
    }
    if (n && s[0] == '$')
        return var_expr(out, s + 1, n - 1, subject, false, vars, why);
    char a[80];
    if (n >= sizeof(a)) {
        *why = "address too long";
        return -1;
    }
    memcpy(a, s, n);
    a[n] = '\0';
    if (strspn(a, "0123456789abcdefABCDEF.:/") != n) {
        *why = "unsupported address form";
        return -1;
    }
    uint8_t ip[16];
    uint16_t fam;
    uint32_t prefix;
    const char *slash = strchr(a, '/');
    if (spu_ip_parse(a, n, ip, &fam, &prefix) != SPU_OK) {
        *why = "bad address";
        return -1;
    }
    if (slash)
        fprintf(out, "%s in cidr(\"%s\")", subject, a);
    else
        fprintf(out, "%s == ip(\"%s\")", subject, a);
    return 0;
}

int imp_addr_expr(FILE *out, const char *spec, const char *subject, struct imp_vars *vars,
                  const char **why)
{
    return addr_one(out, spec, strlen(spec), subject, vars, why);
}

static int port_num(const char *s, size_t n, long *v)
{
    if (n == 0 || n > 5)
        return -1;
    long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    if (x > 65535)
        return -1;
    *v = x;
    return 0;
}

static int port_one(FILE *out, const char *s, size_t n, const char *subject, struct imp_vars *vars,
                    const char **why)
{
    if (n && s[0] == '!') {
        fputs("!(", out);
        int rc = port_one(out, s + 1, n - 1, subject, vars, why);
        fputs(")", out);
        return rc;
    }
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
        return list_expr(out, s + 1, n - 2, subject, vars, why, port_one);
    if (n == 3 && memcmp(s, "any", 3) == 0) {
        fputs("true", out);
        return 0;
    }
    if (n && s[0] == '$')
        return var_expr(out, s + 1, n - 1, subject, true, vars, why);
    const char *colon = memchr(s, ':', n);
    long lo = 0, hi = 65535;
    if (!colon) {
        if (port_num(s, n, &lo)) {
            *why = "bad port";
            return -1;
        }
        fprintf(out, "%s == %ld", subject, lo);
        return 0;
    }
    size_t ln = (size_t)(colon - s), hn = n - ln - 1;
    if ((ln && port_num(s, ln, &lo)) || (hn && port_num(colon + 1, hn, &hi)) || lo > hi) {
        *why = "bad port range";
        return -1;
    }
    fprintf(out, "%s >= %ld && %s <= %ld", subject, lo, subject, hi);
    return 0;
}

int imp_port_expr(FILE *out, const char *spec, const char *subject, struct imp_vars *vars,
                  const char **why)
{
    return port_one(out, spec, strlen(spec), subject, vars, why);
}
