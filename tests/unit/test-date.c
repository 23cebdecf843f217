/* Unit tests for stdlib/date.c: split_date. Expected epochs were computed
 * independently (Python's email.utils for the modern forms; RFC 5322 4.3's
 * year rules for the obsolete ones). */
#include "stdlib-test.h"

#include "stdlib-int.h"

static struct spu_call c;

static void setup(void)
{
    c = call_ctx(0);
}

static void teardown(void)
{
    spu_arena_free(c.scratch);
}

TestSuite(date, .init = setup, .fini = teardown);

Test(date, field_indexes_match_records_def)
{
    static const char *const names[] = {"year", "month", "day", "hour", "minute",
                                        "second", "zone", "weekday", "epoch"};
    for (int i = 0; i < 9; i++)
        cr_assert_eq(rec_field(SPU_REC_date, names[i]), SPU_DATE_YEAR + i);
}

struct dcase {
    const char *in;
    int64_t y, mo, d, h, mi, s;
    const char *zone, *wday;
    int64_t epoch;
};

static void opt(struct spu_value v, const char *want)
{
    cr_assert_eq(v.type, want ? SPU_T_STR : SPU_T_NULL);
    cr_assert(!want || v_is_str(v, want, strlen(want)));
}

Test(date, accepted_forms)
{
    static const struct dcase cases[] = {
        {"Wed, 02 Oct 2002 08:00:00 +0200", 2002, 10, 2, 8, 0, 0, "+0200", "Wed", 1033538400},
        {"Sunday, 06-Nov-94 08:49:37 GMT", 1994, 11, 6, 8, 49, 37, "GMT", "Sun", 784111777},
        {"Sun Nov  6 08:49:37 1994", 1994, 11, 6, 8, 49, 37, NULL, "Sun", 784111777},
        {"2 Oct 2002 08:00 EST", 2002, 10, 2, 8, 0, 0, "EST", NULL, 1033563600},
        {"Thu, 29 Feb 2024 23:59:60 -0130", 2024, 2, 29, 23, 59, 60, "-0130", "Thu",
         1709256600},
        {"1 Jan 1970 00:00:00 +0000", 1970, 1, 1, 0, 0, 0, "+0000", NULL, 0},
        {"31 Dec 1969 23:59:59 GMT", 1969, 12, 31, 23, 59, 59, "GMT", NULL, -1},
        {"Fri, 13 Dec 2099 12:00:00 +1400", 2099, 12, 13, 12, 0, 0, "+1400", "Fri", 4100796000},
        {"01 Jan 49 00:00:00 GMT", 2049, 1, 1, 0, 0, 0, "GMT", NULL, 2493072000},
        {"01 Jan 50 00:00:00 GMT", 1950, 1, 1, 0, 0, 0, "GMT", NULL, -631152000},
        {"01 Jan 101 00:00:00 GMT", 2001, 1, 1, 0, 0, 0, "GMT", NULL, 978307200},
        {"  wed ,  2   OCTOBER   2002   08:00:00   +0200  (CEST) ", 2002, 10, 2, 8, 0, 0,
         "+0200", "Wed", 1033538400},
        {"Wed, 02 Oct 2002 08:00:00 Z", 2002, 10, 2, 8, 0, 0, "Z", "Wed", 1033545600},
        {"Wed, 02 Oct 2002 08:00:00 CEST", 2002, 10, 2, 8, 0, 0, "CEST", "Wed", 1033545600},
        {"Wed, 02 Oct 2002 08:00:00 GMT+0200", 2002, 10, 2, 8, 0, 0, "+0200", "Wed",
         1033538400},
        {"Wed, 02 Oct 2002 08:00:00 (a (nested) comment) -0000", 2002, 10, 2, 8, 0, 0,
         "-0000", "Wed", 1033545600},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct dcase *d = &cases[i];
        struct spu_value r = CALL(&c, split_date, S(d->in));
        cr_assert_eq(r.type, SPU_T_REC, "%s", d->in);
        assert_int(rec_slot(r, SPU_DATE_YEAR), d->y);
        assert_int(rec_slot(r, SPU_DATE_MONTH), d->mo);
        assert_int(rec_slot(r, SPU_DATE_DAY), d->d);
        assert_int(rec_slot(r, SPU_DATE_HOUR), d->h);
        assert_int(rec_slot(r, SPU_DATE_MINUTE), d->mi);
        assert_int(rec_slot(r, SPU_DATE_SECOND), d->s);
        opt(rec_slot(r, SPU_DATE_ZONE), d->zone);
        opt(rec_slot(r, SPU_DATE_WEEKDAY), d->wday);
        assert_int(rec_slot(r, SPU_DATE_EPOCH), d->epoch);
    }
}

Test(date, rejected)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "31 Feb 2002 08:00:00 GMT",
        "29 Feb 2023 08:00:00 GMT",
        "00 Oct 2002 08:00:00 GMT",
        "02 Foo 2002 08:00:00 GMT",
        "02 Oct 2002",
        "02 Oct 2002 24:00:00 GMT",
        "02 Oct 2002 08:60:00 GMT",
        "02 Oct 2002 08:00:61 GMT",
        "02 Oct 2002 8:0:00 GMT",
        "02 Oct 2002 08:00:00 +0260",
        "02 Oct 2002 08:00:00 +02000",
        "+0200 02 Oct 2002 08:00:00",
        "02 Oct 2002 2003 08:00:00",
        "002 Oct 2002 08:00:00",
        "02 Oct 20020 08:00:00",
        "02 Oct 2002 08:00:00 08:00:00",
        "Wed Thu 02 Oct 2002 08:00:00",
        "02 Oct 2002 08:00:00 GMT EST",
        "02 Oct 2002 08:00:00 GMT; x",
        "1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
        "(unterminated",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct spu_value r = CALL(&c, split_date, S(bad[i]));
        cr_assert_eq(r.type, SPU_T_NULL, "accepted: %s", bad[i]);
    }
    assert_null(CALL(&c, split_date, spu_v_null()));
}

Test(date, every_prefix_is_safe)
{
    static const char in[] = "Sunday, 06-Nov-94 08:49:37 -0130 (c\\)";
    for (size_t cut = 0; cut <= sizeof(in) - 1; cut++) {
        char *p = malloc(cut ? cut : 1);
        memcpy(p, in, cut);
        CALL(&c, split_date, SN(p, cut));
        free(p);
    }
}
