/* test-http-files.c - files of grammars/http.spg: uploads (the parts of a
 * multipart/form-data POST with a file name, a PUT body), response files
 * named by Content-Disposition, chunk-size lines clients accept; each
 * conversation fed whole, in 1-byte chunks and split at every point. */
#include "test-gvm.h"

#include "helper-compile.h"
#include "helper-grammars.h"

#include "bundle-stores.h"

#include <openssl/evp.h>

#define EOFS {GA_EOF, SPU_DIR_CLIENT, NULL, 0}, {GA_EOF, SPU_DIR_SERVER, NULL, 0}
#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HAS(log, s) cr_assert_not_null(strstr((log), (s)), "missing %s in\n%s", (s), (log))
#define HASNT(log, s) cr_assert_null(strstr((log), (s)), "unexpected %s in\n%s", (s), (log))

static char *conv(const struct ga_step *steps, size_t n)
{
    struct spu_bundle *b = hg_http_bundle();
    char *log = split_invariant(b, 0, steps, n);
    spu_bundle_unref(b);
    return log;
}

static void sha256_hex(const char *s, char out[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    cr_assert_eq(EVP_Digest(s, strlen(s), d, &dn, EVP_sha256(), NULL), 1);
    for (unsigned i = 0; i < dn; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

/* A form with a field and two files: each file is an upload from the
 * client (event http.upload in the request's transaction) with its name,
 * size and hash; the field is none. */
Test(http_files, multipart_form_data_upload)
{
    struct ga_step steps[] = {
        GA_C("POST /form HTTP/1.1\r\nHost: h\r\n"
             "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 257\r\n\r\n"
             "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi there\r\n"
             "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n"
             "Content-Type: text/plain\r\n\r\nfirst file\r\n"
             "--XyZ\r\nContent-Disposition: form-data; name=\"g\"; filename=\"b.bin\"\r\n\r\n"
             "second\r\n--XyZ--\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        EOFS,
    };
    /* the Content-Length above is the body's */
    const char *body = strstr(steps[0].data, "\r\n\r\n") + 4;
    cr_assert_eq(strlen(body), 257);
    char *log = conv(steps, N(steps));
    char h[65], want[256];
    sha256_hex("first file", h);
    snprintf(want, sizeof(want), "filename=\"a.txt\" data=\"first file\" size=10 ");
    HAS(log, want);
    snprintf(want, sizeof(want), "sha256=\"%s\"", h);
    HAS(log, want);
    sha256_hex("second", h);
    HAS(log, "filename=\"b.bin\" data=\"second\" size=6 ");
    snprintf(want, sizeof(want), "sha256=\"%s\"", h);
    HAS(log, want);
    HAS(log, "E http.upload tx=0 dir=0 upload{filename=\"a.txt\"");
    HAS(log, "E http.upload tx=0 dir=0 upload{filename=\"b.bin\"");
    HASNT(log, "filename=\"note\"");
    HASNT(log, "E http.upload tx=0 dir=0 upload{filename=null");
    free(log);
}

/* A PUT body is an upload named by the path; a POST of plain bytes is
 * none (as Suricata has it). */
Test(http_files, put_body_upload)
{
    struct ga_step steps[] = {
        GA_C("PUT /dir/up.dat?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\npayload"
             "POST /raw HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbyte"),
        GA_S("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "E http.upload tx=0 dir=0 upload{filename=\"/dir/up.dat\" data=\"payload\" size=7 ");
    HASNT(log, "E http.upload tx=1");
    free(log);
}

/* A response file is named by the filename of its Content-Disposition;
 * chunk sizes after a blank or an empty line are read, and the stream may
 * end after the last chunk's line. */
Test(http_files, content_disposition_and_lenient_chunks)
{
    struct ga_step steps[] = {
        GA_C("GET /dl?id=3 HTTP/1.1\r\nHost: h\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"r.txt\"\r\n"
             "Transfer-Encoding: chunked\r\n\r\n"
             " 4\r\nabcd\r\n\r\n3\r\nefg\r\n0\n"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "body=\"abcdefg\"");
    HAS(log, "file_name=\"r.txt\"");
    HAS(log, "E http.file tx=0 dir=1");
    free(log);
}

/* A status line whose version is in lower case is read (its file too). */
Test(http_files, lower_case_status_version)
{
    struct ga_step steps[] = {
        GA_C("GET /f.txt HTTP/1.1\r\nHost: h\r\n\r\n"),
        GA_S("http/1.0 200 ok\r\nContent-Length: 5\r\n\r\nhello"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "E http.file tx=0 dir=1 response{proto_version=\"http/1.0\" body=\"hello\"");
    free(log);
}

/* Skips of an http bundle alone, with host bits `host`. */
static uint32_t http_skips(struct spu_bundle *b, unsigned host, uint8_t **skip)
{
    uint32_t n = spu_bundle_store_sinks(b);
    *skip = malloc(n ? n : 1);
    cr_assert_not_null(*skip);
    const struct spu_bundle *set[] = {b};
    return spu_bundle_store_skips(b, set, 1, host, *skip);
}

/* With no rule reading them, response bodies and uploaded files keep no
 * bytes (their size and hashes come from the digest); a rule reading the
 * response body keeps those, and --force-magic with --filestore keeps
 * every file (magic() and filestore() read them). */
Test(http_files, bodies_kept_on_demand)
{
    struct spu_bundle *plain = hg_http_bundle();
    struct spu_bundle *ruled =
        hg_http_bundle_rules("import http;\n"
                             "rule sid 1 \"b\" on http.file { if (body ~ \"hello\") Alert(); }\n");
    cr_assert_not_null(ruled);
    uint8_t *a, *r, *h;
    uint32_t na = http_skips(plain, 0, &a);
    uint32_t nr = http_skips(ruled, 0, &r);
    uint32_t nh = http_skips(plain, SPU_STORE_HOST_MAGIC | SPU_STORE_HOST_FILESTORE, &h);
    /* the response bodies (HTTP/0.9, HTML, other) and the uploads' data */
    cr_assert_eq(na, 4, "%u skipped", na);
    cr_assert_eq(nr, 1, "%u skipped: the upload's data only", nr);
    cr_assert_eq(nh, 0);
    free(a);
    free(r);
    free(h);
    spu_bundle_unref(plain);
    spu_bundle_unref(ruled);
}

/* A response file with its bytes skipped: the same events, anomalies and
 * fields (size, length, file name and state), the body empty. */
Test(http_files, skipped_body_same_records)
{
    struct spu_bundle *b = hg_http_bundle();
    uint8_t *skip;
    cr_assert_gt(http_skips(b, 0, &skip), 0);
    struct ga_step steps[] = {
        GA_C("GET /f.txt HTTP/1.1\r\nHost: h\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"),
        EOFS,
    };
    struct ga_split whole = {GA_WHOLE, 0, 0, NULL};
    struct ga_result kept, skipped;
    ga_run(b, 0, steps, N(steps), whole, &kept);
    ga_run_skips(b, 0, steps, N(steps), whole, NULL, skip, spu_bundle_store_sinks(b), &skipped);
    HAS(kept.log, "E http.file");
    HAS(kept.log, "body=\"hello world\"");
    /* the kept log with the body's bytes taken out is the skipped one */
    char *want = strdup(kept.log);
    cr_assert_not_null(want);
    for (char *p; (p = strstr(want, "body=\"hello world\""));)
        memmove(p + 6, p + 17, strlen(p + 17) + 1);
    cr_assert_str_eq(skipped.log, want);
    free(want);
    ga_result_free(&kept);
    ga_result_free(&skipped);
    free(skip);
    spu_bundle_unref(b);
}
