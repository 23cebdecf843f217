/* date.c - split_date: RFC 5322 date-time and the forms seen in the wild.
 *
 * Accepted (ASCII case-insensitive, extra whitespace and commas ignored,
 * comments "(...)" skipped):
 *   RFC 5322 / 1123   [Wed,] 2 Oct 2002 08:00[:00] +0200
 *   RFC 850           Wednesday, 02-Oct-02 08:00:00 GMT
 *   asctime           Wed Oct  2 08:00:00 2002
 * i.e. an optional weekday, the day and the year as the first and second
 * numbers, a month name (3 letters or full), a time h:mm[:ss], and an
 * optional zone after the time: +hhmm / -hhmm, UT, UTC, GMT, Z, the US
 * zones EST EDT CST CDT MST MDT PST PDT, or any other alphabetic zone name
 * (military letters and unknown names count as -0000, as RFC 5322 4.3
 * says). Two-digit years are 19xx from 50 up and 20xx below; three-digit
 * years add 1900.
 * The record: year, month (1-12), day, hour, minute, second (0-60), zone as
 * written (null when absent: then UTC), weekday as written in its 3-letter
 * form ("Wed"; null when absent), epoch = seconds since 1970-01-01 UTC.
 * Anything else, or an impossible date (31 Feb), gives null.
 */
#include "stdlib-int.h"

#include <string.h>

enum { TK_WORD, TK_NUM, TK_TIME, TK_ZONE };

struct tok {
    int kind;
    const uint8_t *p; /* WORD, ZONE: text */
    size_t n;
    int64_t v[3];     /* NUM: value; TIME: h, m, s; ZONE: offset in seconds */
    int digits;       /* NUM */
};

#define MAX_TOKS 12

static const char *const wdays[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                     "friday", "saturday", "sunday"};
static const char *const wday_abbr[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const months[12] = {"january", "february", "march",     "april",
                                       "may",     "june",     "july",      "august",
                                       "september", "october", "november", "december"};

/* Index in names[] of the word (its first three letters or the full name),
 * or -1. */
static int name_index(const uint8_t *p, size_t n, const char *const *names, int count)
{
    for (int k = 0; k < count; k++) {
        size_t len = strlen(names[k]);
        if ((n == 3 || n == len) && n <= len && spu_memcaseeq(p, (const uint8_t *)names[k], n))
            return k;
    }
    return -1;
}

/* Offset in seconds of an alphabetic zone; unknown names are 0. */
static int64_t zone_offset(const uint8_t *p, size_t n)
{
    static const struct {
        const char *name;
        int hours;
    } us[] = {{"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5},
              {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}};
    for (size_t k = 0; k < sizeof(us) / sizeof(us[0]); k++)
        if (n == 3 && spu_memcaseeq(p, (const uint8_t *)us[k].name, 3))
            return (int64_t)us[k].hours * 3600;
    return 0;
}

static int is_digit(uint8_t ch)
{
    return ch >= '0' && ch <= '9';
}

static int is_alpha(uint8_t ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Read 1..max digits at p[*i]; -1 when there are none or too many. */
static int64_t digits(const uint8_t *p, size_t n, size_t *i, int max, int *count)
{
    int64_t v = 0;
    int k = 0;
    while (*i < n && is_digit(p[*i])) {
        if (++k > max)
            return -1;
        v = v * 10 + (p[(*i)++] - '0');
    }
    if (count)
        *count = k;
    return k ? v : -1;
}

static int tokenize(const uint8_t *p, size_t n, struct tok *t, int *nt)
{
    size_t i = 0;
    int k = 0;
    while (i < n) {
        uint8_t ch = p[i];
        if (spu_isspace(ch) || ch == ',') {
            i++;
            continue;
        }
        if (ch == '(') {
            int depth = 0;
            do {
                if (p[i] == '\\')
                    i++;
                else if (p[i] == '(')
                    depth++;
                else if (p[i] == ')')
                    depth--;
                i++;
            } while (i < n && depth > 0);
            continue;
        }
        if (k == MAX_TOKS)
            return 0;
        struct tok *tk = &t[k];
        memset(tk, 0, sizeof(*tk));
        if (is_digit(ch)) {
            int nd;
            int64_t v = digits(p, n, &i, 4, &nd);
            if (v < 0)
                return 0;
            if (i < n && p[i] == ':') {
                tk->kind = TK_TIME;
                tk->v[0] = v;
                i++;
                if (nd > 2 || (tk->v[1] = digits(p, n, &i, 2, &nd)) < 0 || nd != 2)
                    return 0;
                if (i < n && p[i] == ':') {
                    i++;
                    if ((tk->v[2] = digits(p, n, &i, 2, &nd)) < 0 || nd != 2)
                        return 0;
                }
            } else {
                tk->kind = TK_NUM;
                tk->v[0] = v;
                tk->digits = nd;
            }
        } else if ((ch == '+' || ch == '-') && n - i >= 5 && is_digit(p[i + 1]) &&
                   is_digit(p[i + 2]) && is_digit(p[i + 3]) && is_digit(p[i + 4]) &&
                   (n - i == 5 || !is_digit(p[i + 5]))) {
            int64_t hh = (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
            int64_t mm = (p[i + 3] - '0') * 10 + (p[i + 4] - '0');
            if (mm > 59)
                return 0;
            tk->kind = TK_ZONE;
            tk->p = p + i;
            tk->n = 5;
            tk->v[0] = (ch == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
            i += 5;
        } else if (ch == '-') {
            i++; /* the separator of 02-Oct-02 */
            continue;
        } else if (is_alpha(ch)) {
            size_t s = i;
            while (i < n && is_alpha(p[i]))
                i++;
            tk->kind = TK_WORD;
            tk->p = p + s;
            tk->n = i - s;
        } else {
            return 0;
        }
        k++;
    }
    *nt = k;
    return 1;
}

static int leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int spu_bi_split_date(struct spu_call *c, const struct spu_value *args, unsigned argc,
                      struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    struct tok t[MAX_TOKS];
    int nt = 0;
    if (!tokenize(s, n, t, &nt))
        return SPU_OK;
    int wday = -1, month = -1, nnum = 0, have_time = 0;
    int64_t num[2] = {0, 0}, ndig[2] = {0, 0}, hms[3] = {0, 0, 0}, off = 0;
    const struct tok *zone = NULL;
    for (int k = 0; k < nt; k++) {
        const struct tok *tk = &t[k];
        int x;
        switch (tk->kind) {
        case TK_WORD:
            if (wday < 0 && month < 0 && nnum == 0 &&
                (x = name_index(tk->p, tk->n, wdays, 7)) >= 0) {
                wday = x;
            } else if (month < 0 && (x = name_index(tk->p, tk->n, months, 12)) >= 0) {
                month = x + 1;
            } else if (have_time && !zone) {
                zone = tk;
                off = zone_offset(tk->p, tk->n);
            } else {
                return SPU_OK;
            }
            break;
        case TK_NUM:
            if (nnum == 2)
                return SPU_OK;
            ndig[nnum] = tk->digits;
            num[nnum++] = tk->v[0];
            break;
        case TK_TIME:
            if (have_time)
                return SPU_OK;
            memcpy(hms, tk->v, sizeof(hms));
            have_time = 1;
            break;
        default: /* TK_ZONE: a numeric zone wins over a name before it */
            if (!have_time || (zone && zone->kind == TK_ZONE))
                return SPU_OK;
            zone = tk;
            off = tk->v[0];
            break;
        }
    }
    if (month < 0 || nnum != 2 || !have_time || ndig[0] > 2)
        return SPU_OK;
    int64_t day = num[0], year = num[1];
    if (ndig[1] == 2)
        year += year < 50 ? 2000 : 1900;
    else if (ndig[1] == 3)
        year += 1900;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t dim = mdays[month - 1] + (month == 2 && leap(year));
    if (day < 1 || day > dim || hms[0] > 23 || hms[1] > 59 || hms[2] > 60)
        return SPU_OK;
    struct spu_record *r = spu_std_record(c->scratch, SPU_REC_date);
    if (!r)
        return spu_arg_nomem(c);
    r->slot[SPU_DATE_YEAR] = spu_v_int(year);
    r->slot[SPU_DATE_MONTH] = spu_v_int(month);
    r->slot[SPU_DATE_DAY] = spu_v_int(day);
    r->slot[SPU_DATE_HOUR] = spu_v_int(hms[0]);
    r->slot[SPU_DATE_MINUTE] = spu_v_int(hms[1]);
    r->slot[SPU_DATE_SECOND] = spu_v_int(hms[2]);
    if (zone)
        r->slot[SPU_DATE_ZONE] = spu_v_str(zone->p, (uint32_t)zone->n);
    if (wday >= 0)
        r->slot[SPU_DATE_WEEKDAY] = spu_v_str(wday_abbr[wday], 3);
    int64_t epoch = days_from_civil(year, month, day) * 86400 + hms[0] * 3600 + hms[1] * 60 +
                    hms[2] - off;
    r->slot[SPU_DATE_EPOCH] = spu_v_int(epoch);
    *ret = spu_v_rec(r);
    return SPU_OK;
}
