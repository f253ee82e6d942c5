/*
 * test_sigv4.c - the core's SigV4 signer against AWS's published S3
 * examples (Amazon S3 API reference, "Examples: Signature Calculations in
 * AWS Signature Version 4" in sig-v4-header-based-auth, and the presigned
 * URL example in sigv4-query-string-auth). Every expected value below is
 * copied from those pages: the canonical-request hashes are the last line
 * of each example's StringToSign, the signatures the example's Signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent_sigv4.h"
#include "fota/fota_err.h"
#include "fota/fota_sha256.h"

#define AWS_HOST "examplebucket.s3.amazonaws.com"
#define AWS_TS "20130524T000000Z"
#define AWS_CRED_PREFIX                                                        \
    "AWS4-HMAC-SHA256 "                                                        \
    "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "

static const agent_sigv4_cred_t s_aws = {
    .access_key = "AKIAIOSFODNN7EXAMPLE",
    .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    .session_token = NULL,
    .region = "us-east-1",
    .service = "s3",
};

/* The Authorization value this signer writes for the published example. */
static void expect_auth(const char *auth, const char *signed_headers,
                        const char *signature)
{
    char want[AGENT_SIGV4_AUTH_SIZE];

    snprintf(want, sizeof want,
             AWS_CRED_PREFIX "SignedHeaders=%s, Signature=%s", signed_headers,
             signature);
    assert_string_equal(auth, want);
}

/* Example: GET Object (first 10 bytes of test.txt). */
static void test_aws_get_object_range(void **state)
{
    (void)state;
    const agent_sigv4_hdr_t hdrs[] = {{"Range", "bytes=0-9"}};
    agent_sigv4_req_t req = {
        .method = "GET",
        .host = AWS_HOST,
        .path = "/test.txt",
        .query = NULL,
        .headers = hdrs,
        .n_headers = 1,
        .payload_hash = AGENT_SIGV4_EMPTY_SHA256,
        .timestamp = AWS_TS,
    };
    char auth[AGENT_SIGV4_AUTH_SIZE];
    char creq[AGENT_SIGV4_HEX_SIZE];
    int n = agent_sigv4_authorization(&req, &s_aws, auth, sizeof auth, creq);

    assert_int_equal(n, (int)strlen(auth));
    assert_string_equal(
        creq,
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    expect_auth(
        auth, "host;range;x-amz-content-sha256;x-amz-date",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

/* Example: PUT Object (test$file.text, "Welcome to Amazon S3."). The key
 * is signed the same whether the caller passes it raw or as on the wire. */
static void test_aws_put_object(void **state)
{
    (void)state;
    const char *body = "Welcome to Amazon S3.";
    uint8_t digest[FOTA_SHA256_SIZE];
    char payload[AGENT_SIGV4_HEX_SIZE];
    const agent_sigv4_hdr_t hdrs[] = {
        {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
        {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
    };
    const char *paths[] = {"/test$file.text", "/test%24file.text"};

    fota_sha256(body, strlen(body), digest);
    agent_sigv4_hex(digest, sizeof digest, payload);
    assert_string_equal(
        payload,
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");

    for (size_t i = 0; i < 2; i++) {
        agent_sigv4_req_t req = {
            .method = "PUT",
            .host = AWS_HOST,
            .path = paths[i],
            .headers = hdrs,
            .n_headers = 2,
            .payload_hash = payload,
            .timestamp = AWS_TS,
        };
        char auth[AGENT_SIGV4_AUTH_SIZE];
        char creq[AGENT_SIGV4_HEX_SIZE];
        assert_true(agent_sigv4_authorization(&req, &s_aws, auth, sizeof auth,
                                              creq) > 0);
        assert_string_equal(
            creq,
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
        expect_auth(
            auth,
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    }
}

/* Example: GET Bucket Lifecycle ("?lifecycle", a parameter with no value). */
static void test_aws_get_lifecycle(void **state)
{
    (void)state;
    agent_sigv4_req_t req = {
        .method = "GET",
        .host = AWS_HOST,
        .path = "/",
        .query = "lifecycle",
        .payload_hash = AGENT_SIGV4_EMPTY_SHA256,
        .timestamp = AWS_TS,
    };
    char auth[AGENT_SIGV4_AUTH_SIZE];
    char creq[AGENT_SIGV4_HEX_SIZE];

    assert_true(
        agent_sigv4_authorization(&req, &s_aws, auth, sizeof auth, creq) > 0);
    assert_string_equal(
        creq,
        "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
    expect_auth(
        auth, "host;x-amz-content-sha256;x-amz-date",
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

/* Example: Get Bucket (List Objects), max-keys=2&prefix=J; the wire order of
 * the parameters must not matter. */
static void test_aws_list_objects(void **state)
{
    (void)state;
    const char *queries[] = {"max-keys=2&prefix=J", "prefix=J&max-keys=2",
                             "prefix=%4A&max-keys=2"};

    for (size_t i = 0; i < 3; i++) {
        agent_sigv4_req_t req = {
            .method = "GET",
            .host = AWS_HOST,
            .path = "/",
            .query = queries[i],
            .payload_hash = AGENT_SIGV4_EMPTY_SHA256,
            .timestamp = AWS_TS,
        };
        char auth[AGENT_SIGV4_AUTH_SIZE];
        char creq[AGENT_SIGV4_HEX_SIZE];
        assert_true(agent_sigv4_authorization(&req, &s_aws, auth, sizeof auth,
                                              creq) > 0);
        assert_string_equal(
            creq,
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
        expect_auth(
            auth, "host;x-amz-content-sha256;x-amz-date",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    }
}

/* Query-string authentication example: GET test.txt valid for 86400 s. */
static void test_aws_presigned_url(void **state)
{
    (void)state;
    agent_sigv4_req_t req = {
        .method = "GET",
        .host = AWS_HOST,
        .path = "/test.txt",
        .timestamp = AWS_TS,
    };
    char q[1024];
    int n = agent_sigv4_presign(&req, &s_aws, 86400, q, sizeof q);

    assert_int_equal(n, (int)strlen(q));
    assert_string_equal(
        q, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
           "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%"
           "2Faws4_request"
           "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"
           "SignedHeaders=host"
           "&X-Amz-Signature="
           "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    assert_int_equal(agent_sigv4_presign(&req, &s_aws, 604801, q, sizeof q),
                     FOTA_ERR_INVAL);
    assert_int_equal(agent_sigv4_presign(&req, &s_aws, 0, q, sizeof q),
                     FOTA_ERR_INVAL);
    assert_int_equal(agent_sigv4_presign(&req, &s_aws, 86400, q, 100),
                     FOTA_ERR_NOMEM);
}

/* The URL helper splits and signs like the explicit form. */
static void test_sign_url(void **state)
{
    (void)state;
    const agent_sigv4_hdr_t hdrs[] = {{"range", "bytes=0-9"}};
    agent_sigv4_signed_t out;

    assert_int_equal(agent_sigv4_sign_url("GET",
                                          "https://" AWS_HOST "/test.txt", hdrs,
                                          1, NULL, AWS_TS, &s_aws, &out),
                     0);
    assert_string_equal(out.date, AWS_TS);
    assert_string_equal(out.content_sha256, AGENT_SIGV4_EMPTY_SHA256);
    expect_auth(
        out.authorization, "host;range;x-amz-content-sha256;x-amz-date",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

    /* The scheme's default port is not part of the signed Host. */
    assert_int_equal(agent_sigv4_sign_url(
                         "GET", "https://" AWS_HOST ":443/?prefix=J&max-keys=2",
                         NULL, 0, NULL, AWS_TS, &s_aws, &out),
                     0);
    expect_auth(
        out.authorization, "host;x-amz-content-sha256;x-amz-date",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");

    /* A non-default port is (the listobjects signature must then change). */
    assert_int_equal(agent_sigv4_sign_url("GET",
                                          "http://" AWS_HOST ":8080/?lifecycle",
                                          NULL, 0, NULL, AWS_TS, &s_aws, &out),
                     0);
    assert_null(strstr(
        out.authorization,
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));

    assert_int_equal(agent_sigv4_sign_url("GET", "ftp://x/y", NULL, 0, NULL,
                                          AWS_TS, &s_aws, &out),
                     FOTA_ERR_INVAL);
    assert_int_equal(agent_sigv4_sign_url("GET", "http:///y", NULL, 0, NULL,
                                          AWS_TS, &s_aws, &out),
                     FOTA_ERR_INVAL);
}

static void test_uri_encode(void **state)
{
    (void)state;
    char out[64];
    const char *raw = "releases/1.2.0+45/slot a~.img";

    assert_int_equal(
        agent_sigv4_uri_encode(raw, strlen(raw), 1, out, sizeof out),
        (int)strlen("releases/1.2.0%2B45/slot%20a~.img"));
    assert_string_equal(out, "releases/1.2.0%2B45/slot%20a~.img");
    assert_true(agent_sigv4_uri_encode(raw, strlen(raw), 0, out, sizeof out) >
                0);
    assert_string_equal(out, "releases%2F1.2.0%2B45%2Fslot%20a~.img");
    assert_true(agent_sigv4_uri_encode("\xc3\xa9{", 3, 1, out, sizeof out) > 0);
    assert_string_equal(out, "%C3%A9%7B");
    assert_int_equal(agent_sigv4_uri_encode(raw, strlen(raw), 1, out, 10),
                     FOTA_ERR_NOMEM);
}

/* Canonicalisation corners: header case, padding and inner blanks do not
 * change the signature; the encoded sort order of query names is used. */
static void test_canonical_forms(void **state)
{
    (void)state;
    const agent_sigv4_hdr_t a[] = {{"X-Amz-Meta-Note", "a  b   c"},
                                   {"Range", "bytes=0-9"}};
    const agent_sigv4_hdr_t b[] = {{"range", "  bytes=0-9 "},
                                   {"x-amz-meta-note", "a b\tc"}};
    agent_sigv4_req_t req = {
        .method = "GET",
        .host = AWS_HOST,
        .path = "/a b/c",
        .headers = a,
        .n_headers = 2,
        .payload_hash = AGENT_SIGV4_UNSIGNED_PAYLOAD,
        .timestamp = AWS_TS,
    };
    char auth1[AGENT_SIGV4_AUTH_SIZE];
    char auth2[AGENT_SIGV4_AUTH_SIZE];
    char c1[AGENT_SIGV4_HEX_SIZE];
    char c2[AGENT_SIGV4_HEX_SIZE];

    assert_true(
        agent_sigv4_authorization(&req, &s_aws, auth1, sizeof auth1, c1) > 0);
    req.headers = b;
    req.path = "/a%20b/c";
    assert_true(
        agent_sigv4_authorization(&req, &s_aws, auth2, sizeof auth2, c2) > 0);
    assert_string_equal(c1, c2);
    assert_string_equal(auth1, auth2);
    assert_non_null(strstr(auth1,
                           "SignedHeaders=host;range;x-amz-content-sha256;"
                           "x-amz-date;x-amz-meta-note,"));

    /* '0' sorts after '%7B' ("{") once encoded: a raw-byte sort would put
     * "0" first and give another canonical request. */
    req.headers = NULL;
    req.n_headers = 0;
    req.query = "0=x&%7B=y";
    assert_true(
        agent_sigv4_authorization(&req, &s_aws, auth1, sizeof auth1, c1) > 0);
    req.query = "{=y&0=x";
    assert_true(
        agent_sigv4_authorization(&req, &s_aws, auth2, sizeof auth2, c2) > 0);
    assert_string_equal(c1, c2);
    /* A different value is a different request. */
    req.query = "{=y&0=z";
    assert_true(
        agent_sigv4_authorization(&req, &s_aws, auth2, sizeof auth2, c2) > 0);
    assert_string_not_equal(c1, c2);

    /* A session token is signed as x-amz-security-token. */
    {
        agent_sigv4_cred_t t = s_aws;
        t.session_token = "token/with+chars";
        req.query = NULL;
        assert_true(
            agent_sigv4_authorization(&req, &t, auth2, sizeof auth2, c2) > 0);
        assert_non_null(strstr(auth2, "x-amz-date;x-amz-security-token,"));
    }
}

static void test_rejects_bad_input(void **state)
{
    (void)state;
    const agent_sigv4_hdr_t dup[] = {{"Range", "a"}, {"range", "b"}};
    const agent_sigv4_hdr_t automatic[] = {{"X-Amz-Date", AWS_TS}};
    const agent_sigv4_hdr_t colon[] = {{"a:b", "c"}};
    agent_sigv4_hdr_t many[AGENT_SIGV4_MAX_HEADERS];
    char names[AGENT_SIGV4_MAX_HEADERS][8];
    agent_sigv4_req_t ok = {
        .method = "GET",
        .host = AWS_HOST,
        .path = "/x",
        .payload_hash = AGENT_SIGV4_EMPTY_SHA256,
        .timestamp = AWS_TS,
    };
    agent_sigv4_req_t r;
    agent_sigv4_cred_t c;
    char auth[AGENT_SIGV4_AUTH_SIZE];

    assert_true(
        agent_sigv4_authorization(&ok, &s_aws, auth, sizeof auth, NULL) > 0);
    assert_int_equal(agent_sigv4_authorization(&ok, &s_aws, auth, 40, NULL),
                     FOTA_ERR_NOMEM);

    r = ok;
    r.timestamp = "20130524 000000Z";
    assert_int_equal(
        agent_sigv4_authorization(&r, &s_aws, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    r = ok;
    r.timestamp = "20130524T000000";
    assert_int_equal(
        agent_sigv4_authorization(&r, &s_aws, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    r = ok;
    r.payload_hash =
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    assert_int_equal(
        agent_sigv4_authorization(&r, &s_aws, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    r = ok;
    r.path = "x";
    assert_int_equal(
        agent_sigv4_authorization(&r, &s_aws, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    r = ok;
    r.method = "get";
    assert_int_equal(
        agent_sigv4_authorization(&r, &s_aws, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    r = ok;
    r.headers = dup;
    r.n_headers = 2;
    assert_int_equal(
        agent_sigv4_authorization(&r, &s_aws, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    r = ok;
    r.headers = automatic;
    r.n_headers = 1;
    assert_int_equal(
        agent_sigv4_authorization(&r, &s_aws, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    r = ok;
    r.headers = colon;
    r.n_headers = 1;
    assert_int_equal(
        agent_sigv4_authorization(&r, &s_aws, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    for (size_t i = 0; i < AGENT_SIGV4_MAX_HEADERS; i++) {
        snprintf(names[i], sizeof names[i], "h%zu", i);
        many[i].name = names[i];
        many[i].value = "v";
    }
    r = ok;
    r.headers = many;
    r.n_headers = AGENT_SIGV4_MAX_HEADERS;
    assert_int_equal(
        agent_sigv4_authorization(&r, &s_aws, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    r = ok;
    r.query = "a&b&c&d&e&f&g&h&i&j&k&l&m&n&o&p&q";
    assert_int_equal(
        agent_sigv4_authorization(&r, &s_aws, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);

    c = s_aws;
    c.region = "us/east";
    assert_int_equal(
        agent_sigv4_authorization(&ok, &c, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    c = s_aws;
    c.secret_key = "";
    assert_int_equal(
        agent_sigv4_authorization(&ok, &c, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
    c = s_aws;
    c.access_key = NULL;
    assert_int_equal(
        agent_sigv4_authorization(&ok, &c, auth, sizeof auth, NULL),
        FOTA_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_get_object_range),
        cmocka_unit_test(test_aws_put_object),
        cmocka_unit_test(test_aws_get_lifecycle),
        cmocka_unit_test(test_aws_list_objects),
        cmocka_unit_test(test_aws_presigned_url),
        cmocka_unit_test(test_sign_url),
        cmocka_unit_test(test_uri_encode),
        cmocka_unit_test(test_canonical_forms),
        cmocka_unit_test(test_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
