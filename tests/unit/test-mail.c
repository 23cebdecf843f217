/* Unit tests for stdlib/mail.c: split_addr and addresses (RFC 5322). */
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

TestSuite(mail, .init = setup, .fini = teardown);

static void opt(struct spu_value v, const char *want)
{
    cr_assert_eq(v.type, want ? SPU_T_STR : SPU_T_NULL, "expected %s", want ? want : "null");
    cr_assert(!want || v_is_str(v, want, strlen(want)), "expected \"%s\", got \"%.*s\"", want,
              (int)v.len, (const char *)v.u.s);
}

static void addr(struct spu_value r, const char *display, const char *address, const char *user,
                 const char *domain)
{
    cr_assert_eq(r.type, SPU_T_REC);
    opt(rec_slot(r, SPU_ADDR_DISPLAY), display);
    opt(rec_slot(r, SPU_ADDR_ADDRESS), address);
    opt(rec_slot(r, SPU_ADDR_USER), user);
    opt(rec_slot(r, SPU_ADDR_DOMAIN), domain);
}

Test(mail, field_indexes_match_records_def)
{
    cr_assert_eq(rec_field(SPU_REC_addr, "display"), SPU_ADDR_DISPLAY);
    cr_assert_eq(rec_field(SPU_REC_addr, "address"), SPU_ADDR_ADDRESS);
    cr_assert_eq(rec_field(SPU_REC_addr, "user"), SPU_ADDR_USER);
    cr_assert_eq(rec_field(SPU_REC_addr, "domain"), SPU_ADDR_DOMAIN);
    cr_assert_eq(rec_field(SPU_REC_addr, "text"), SPU_ADDR_TEXT);
}

/* text: each mailbox as written in the list, trimmed (folding too), the
 * group name left out, quoted commas kept. */
Test(mail, mailbox_text)
{
    struct spu_value r = CALL(&c, addresses,
                              S(" \"jam,abrakadabra.ch\" <mirjam@abrakadabra.ch>,\r\n\t"
                                "<x@Y.example> , Team: a@t (A);"));
    cr_assert_eq(arr_len(r), 3);
    opt(rec_slot(arr_at(r, 0), SPU_ADDR_TEXT), "\"jam,abrakadabra.ch\" <mirjam@abrakadabra.ch>");
    opt(rec_slot(arr_at(r, 1), SPU_ADDR_TEXT), "<x@Y.example>");
    opt(rec_slot(arr_at(r, 2), SPU_ADDR_TEXT), "a@t (A)");
    opt(rec_slot(CALL(&c, split_addr, S("toto <toto@gmail.com> ")), SPU_ADDR_TEXT),
        "toto <toto@gmail.com>");
    r = CALL(&c, mailboxes, S("\"a, b\" <x@y>, ,z@w"));
    cr_assert_eq(arr_len(r), 2);
    assert_str(arr_at(r, 0), "\"a, b\" <x@y>");
    assert_str(arr_at(r, 1), "z@w");
    cr_assert_eq(arr_len(CALL(&c, mailboxes, S(""))), 0);
    assert_null(CALL(&c, mailboxes, spu_v_null()));
}

Test(mail, split_addr_forms)
{
    static const struct {
        const char *in, *display, *address, *user, *domain;
    } cases[] = {
        {"john@Example.COM", NULL, "john@example.com", "john", "example.com"},
        {"John Smith <John.Smith@Example.com>", "John Smith", "John.Smith@example.com",
         "John.Smith", "example.com"},
        {"\"Smith, John\" <js@x.org>", "Smith, John", "js@x.org", "js", "x.org"},
        {"\"a \\\"q\\\" b\" <q@x>", "a \"q\" b", "q@x", "q", "x"},
        {"<js@x.org>", NULL, "js@x.org", "js", "x.org"},
        {"js@x.org (John Smith)", "John Smith", "js@x.org", "js", "x.org"},
        {"John (the man)  Smith <js@x>", "John Smith", "js@x", "js", "x"},
        {"\"john doe\"@example.com", NULL, "john doe@example.com", "john doe", "example.com"},
        {"\"a@b\"@c.d", NULL, "a@b@c.d", "a@b", "c.d"},
        {"<@relay1,@relay2:user@Final.example>", NULL, "user@final.example", "user",
         "final.example"},
        {"john . smith @ example . com", NULL, "john.smith@example.com", "john.smith",
         "example.com"},
        {"user@[192.0.2.1]", NULL, "user@[192.0.2.1]", "user", "[192.0.2.1]"},
        {"postmaster", NULL, "postmaster", "postmaster", NULL},
        {"<>", NULL, "", NULL, NULL},
        {"=?utf-8?q?J=C3=B6rg?= <j@x>", "J\xc3\xb6rg", "j@x", "j", "x"},
        {"Group: a@x, b@y;", NULL, "a@x", "a", "x"},
        {"  first@x , second@y", NULL, "first@x", "first", "x"},
        {"Name <unterminated@x", "Name", "unterminated@x", "unterminated", "x"},
        {"\"unterminated <a@b>", NULL, "unterminated <a@b>", "unterminated <a@b>", NULL},
        {"@nouser", NULL, "@nouser", NULL, "nouser"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct spu_value r = CALL(&c, split_addr, S(cases[i].in));
        addr(r, cases[i].display, cases[i].address, cases[i].user, cases[i].domain);
    }
}

Test(mail, empty_inputs_give_null)
{
    assert_null(CALL(&c, split_addr, S("")));
    assert_null(CALL(&c, split_addr, S("   ")));
    assert_null(CALL(&c, split_addr, S("(only a comment)")));
    assert_null(CALL(&c, split_addr, S("undisclosed-recipients:;")));
    assert_null(CALL(&c, split_addr, spu_v_null()));
    cr_assert_eq(arr_len(CALL(&c, addresses, S(""))), 0);
    cr_assert_eq(arr_len(CALL(&c, addresses, S(",,,"))), 0);
    assert_null(CALL(&c, addresses, spu_v_null()));
}

Test(mail, address_lists)
{
    struct spu_value r = CALL(
        &c, addresses,
        S("\"Doe, Jane\" <jane@a.example>, bob@B.example (Bob), Team: x@t, \"y,z\"@t; last@l"));
    cr_assert_eq(arr_len(r), 5);
    addr(arr_at(r, 0), "Doe, Jane", "jane@a.example", "jane", "a.example");
    addr(arr_at(r, 1), "Bob", "bob@b.example", "bob", "b.example");
    addr(arr_at(r, 2), NULL, "x@t", "x", "t");
    addr(arr_at(r, 3), NULL, "y,z@t", "y,z", "t");
    addr(arr_at(r, 4), NULL, "last@l", "last", "l");
    /* a comma inside angle brackets does not split */
    r = CALL(&c, addresses, S("<a@x, b@y>"));
    cr_assert_eq(arr_len(r), 1);
    /* a comma inside a comment does not split */
    r = CALL(&c, addresses, S("a@x (x, y), b@y"));
    cr_assert_eq(arr_len(r), 2);
    addr(arr_at(r, 0), "x, y", "a@x", "a", "x");
    /* folded header text */
    r = CALL(&c, addresses, S("a@x,\r\n\tb@y"));
    cr_assert_eq(arr_len(r), 2);
    addr(arr_at(r, 1), NULL, "b@y", "b", "y");
}

Test(mail, hostile_inputs)
{
    static const char *const in[] = {
        "\"\\", "(((((", ")))", "<<<>>>", "\"a\" <\"b\\\"@c\">, (\\) d@e", ":::;;;,,,", "@@@",
        "<@a:>", "[", "a@[b", "=?x?q?=?= <@>",
    };
    for (size_t k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
        size_t n = strlen(in[k]);
        for (size_t cut = 0; cut <= n; cut++) {
            char *p = malloc(cut ? cut : 1);
            memcpy(p, in[k], cut);
            CALL(&c, addresses, SN(p, cut));
            CALL(&c, split_addr, SN(p, cut));
            free(p);
        }
    }
    /* deep comment nesting costs no stack */
    size_t n = 100000;
    char *deep = malloc(n);
    memset(deep, '(', n);
    assert_null(CALL(&c, split_addr, SN(deep, n)));
    free(deep);
}
