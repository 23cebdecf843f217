/* test-gvm-tls.c - grammars/tls.spg compiled by spuc and run by the grammar
 * VM on a real TLS 1.2 handshake (openssl s_client -> s_server, both
 * directions recorded: tests/unit/gvm/tls12-*.bin, the server's
 * certificate in tls12-cert.pem; tests/unit/gvm/make-tls-fixtures.sh made
 * them), split in every way; fields checked against what openssl says of
 * the certificate. */
#include "test-gvm.h"

#include "helper-compile.h"
#include "helper-file.h"

static struct spu_bundle *tls_bundle(void)
{
    char *text = hf_read("grammars/tls.spg", NULL);
    struct spu_bundle *b = hc_bundle(text, NULL);
    free(text);
    cr_assert_not_null(b, "tls.spg does not compile");
    return b;
}

Test(gvm_tls, tls12_handshake)
{
    struct spu_bundle *b = tls_bundle();
    size_t cn, sn;
    char *c = hf_read("tests/unit/gvm/tls12-client.bin", &cn);
    char *s = hf_read("tests/unit/gvm/tls12-server.bin", &sn);
    /* the client's first flight, the server's, then the rest of each */
    struct ga_step steps[] = {
        {GA_FEED, SPU_DIR_CLIENT, c, cn},
        {GA_FEED, SPU_DIR_SERVER, s, sn},
        {GA_EOF, SPU_DIR_CLIENT, NULL, 0},
        {GA_EOF, SPU_DIR_SERVER, NULL, 0},
    };
    char *log = split_invariant(b, 0, steps, 4);
    /* openssl x509 -in tls12-cert.pem -noout -fingerprint -sha1 -serial -dates -subject */
    cr_assert(strstr(log, "E tls.handshake tx=1 dir=1 handshake_summary{sni=\"www.spu.test\" "
                          "ja3_string=\"771,49196-49200-159-52393-52392-52394-49195-49199-158-"
                          "49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-"
                          "61-60-53-47-255,0-11-10-35-16-22-23-13,29-23-30-25-24,0-1-2\" "
                          "ja3_hash=\"22558766122974704364c9c75c5cce0a\" "
                          "ja4_hash=\"t12d2808h2_d943125447b4_e7e480e5a997\" "
                          "ja4_raw=\"t12d2808h2_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,"
                          "009e,009f,00ff,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,"
                          "c030,cca8,cca9,ccaa_000a,000b,000d,0016,0017,0023_0403,0503,0603,0807,"
                          "0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,"
                          "0502,0602\" "
                          "ja3s_string=\"771,49200,65281-11-35-23\" "
                          "ja3s_hash=\"ec74a5c51106f0419184d0dd08fb05bc\" "
                          "vn=version_name{text=\"TLS 1.2\"} version=\"TLS 1.2\" "
                          "subject=\"C=US, ST=CA, O=Spu Test, CN=www.spu.test\" "
                          "issuerdn=\"C=US, ST=CA, O=Spu Test, CN=www.spu.test\" "
                          "serial=\"14:E8:F6:DC:08:1D:E8:38:5F:E2:5F:86:F1:91:2F:3F:E2:3C:69:41\" "
                          "fingerprint=\"b6:61:46:e1:f3:4b:85:d0:b3:55:42:5f:eb:65:88:34:44:15:18:"
                          "7a\" notbefore=\"2026-12-07T08:12:58\" "
                          "notafter=\"2027-12-07T08:12:58\"} <records <server_flight\n"),
              "%s", log);
    cr_assert(strstr(log, "E tls.client_hello tx=0 dir=0 client_hello{version=771 "), "%s", log);
    cr_assert(strstr(log, "alpn=[\"h2\", \"http/1.1\"]"), "%s", log);
    cr_assert(strstr(log, "E tls.server_hello tx=1 dir=1 server_hello{version=771 "), "%s", log);
    cr_assert(strstr(log, "san=[\"www.spu.test\", \"spu.test\"]"), "%s", log);
    cr_assert(!strstr(log, "A tls."), "%s", log);
    free(log);
    free(c);
    free(s);
    spu_bundle_unref(b);
}

/* The leaf certificate's DER length made to overrun its entry: a parse
 * error in the handshake sub-stream (anomaly), no certificate event, and
 * the handshake summary still comes, without certificate fields. */
Test(gvm_tls, bogus_certificate_length)
{
    struct spu_bundle *b = tls_bundle();
    size_t cn, sn;
    char *c = hf_read("tests/unit/gvm/tls12-client.bin", &cn);
    char *s = hf_read("tests/unit/gvm/tls12-server.bin", &sn);
    char *der = memmem(s, sn, "\x30\x82\x03\x8c\x30\x82", 6);
    cr_assert_not_null(der, "the fixture's certificate is not where expected");
    der[2] = 0x7f;
    der[3] = 0xff;
    struct ga_step steps[] = {
        {GA_FEED, SPU_DIR_CLIENT, c, cn},
        {GA_FEED, SPU_DIR_SERVER, s, sn},
        {GA_EOF, SPU_DIR_CLIENT, NULL, 0},
        {GA_EOF, SPU_DIR_SERVER, NULL, 0},
    };
    char *log = split_invariant(b, 0, steps, 4);
    cr_assert(strstr(log, "A tls.parse_error\n"), "%s", log);
    cr_assert(!strstr(log, "E tls.certificate"), "%s", log);
    cr_assert(strstr(log, "E tls.handshake tx=1 dir=1 handshake_summary{sni=\"www.spu.test\""),
              "%s", log);
    cr_assert(!strstr(log, "subject="), "%s", log);
    free(log);
    free(c);
    free(s);
    spu_bundle_unref(b);
}
