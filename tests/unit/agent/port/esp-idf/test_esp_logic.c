/*
 * test_esp_logic.c - the ESP32 port's decisions (agent_esp_logic.c) on the
 * host: NVS result mapping (records erased and forgotten, credentials
 * refused), pin rules and the safe start-up order, the IO_MUX pins of each
 * SPI host, sleeps that last at least what was asked, and the yield
 * schedule of long transfers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent_esp_logic.h"
#include "fota/fota_err.h"

#define REC AGENT_ESP_NVS_RECORD
#define CRED AGENT_ESP_NVS_CREDENTIAL

static void test_nvs_record(void **state)
{
    agent_esp_nvs_verdict_t v;

    (void)state;
    v = agent_esp_nvs_map(REC, AGENT_ESP_NVS_OK, 64, 64);
    assert_int_equal(v.action, AGENT_ESP_NVS_USE);
    assert_int_equal(v.rc, 0);
    v = agent_esp_nvs_map(REC, AGENT_ESP_NVS_NOT_FOUND, 0, 64);
    assert_int_equal(v.action, AGENT_ESP_NVS_ABSENT);
    assert_int_equal(v.rc, FOTA_ERR_NOENT);
    /* Larger than the buffer: nvs_get_blob() fails with INVALID_LENGTH.
     * Left alone, every start would fail the same way. */
    v = agent_esp_nvs_map(REC, AGENT_ESP_NVS_INVALID_LENGTH, 80, 64);
    assert_int_equal(v.action, AGENT_ESP_NVS_ERASE_KEY);
    assert_int_equal(v.rc, FOTA_ERR_NOENT);
    assert_non_null(strstr(v.why, "longer"));
    /* Smaller: nvs_get_blob() succeeds with a short length. */
    v = agent_esp_nvs_map(REC, AGENT_ESP_NVS_OK, 32, 64);
    assert_int_equal(v.action, AGENT_ESP_NVS_ERASE_KEY);
    assert_int_equal(v.rc, FOTA_ERR_NOENT);
    v = agent_esp_nvs_map(REC, AGENT_ESP_NVS_TYPE_MISMATCH, 4, 64);
    assert_int_equal(v.action, AGENT_ESP_NVS_ERASE_KEY);
    /* A flash fault is not the record's fault: not erased. */
    v = agent_esp_nvs_map(REC, AGENT_ESP_NVS_OTHER, 0, 64);
    assert_int_equal(v.action, AGENT_ESP_NVS_REFUSE);
    assert_int_equal(v.rc, FOTA_ERR_IO);
}

static void test_nvs_credential(void **state)
{
    agent_esp_nvs_verdict_t v;

    (void)state;
    /* Strings: got counts the terminator, want is the buffer size. */
    v = agent_esp_nvs_map(CRED, AGENT_ESP_NVS_OK, 9, 65);
    assert_int_equal(v.action, AGENT_ESP_NVS_USE);
    v = agent_esp_nvs_map(CRED, AGENT_ESP_NVS_OK, 65, 65);
    assert_int_equal(v.action, AGENT_ESP_NVS_USE);
    /* Provisioned data is never erased by the agent. */
    v = agent_esp_nvs_map(CRED, AGENT_ESP_NVS_NOT_FOUND, 0, 65);
    assert_int_equal(v.action, AGENT_ESP_NVS_REFUSE);
    assert_int_equal(v.rc, FOTA_ERR_NOENT);
    assert_non_null(strstr(v.why, "not provisioned"));
    v = agent_esp_nvs_map(CRED, AGENT_ESP_NVS_INVALID_LENGTH, 100, 65);
    assert_int_equal(v.action, AGENT_ESP_NVS_REFUSE);
    assert_int_equal(v.rc, FOTA_ERR_RANGE);
    v = agent_esp_nvs_map(CRED, AGENT_ESP_NVS_TYPE_MISMATCH, 0, 65);
    assert_int_equal(v.action, AGENT_ESP_NVS_REFUSE);
    assert_int_equal(v.rc, FOTA_ERR_INVAL);
    /* "" (just the terminator) would silently mean "anonymous". */
    v = agent_esp_nvs_map(CRED, AGENT_ESP_NVS_OK, 1, 65);
    assert_int_equal(v.action, AGENT_ESP_NVS_REFUSE);
    assert_non_null(strstr(v.why, "empty"));
    v = agent_esp_nvs_map(CRED, AGENT_ESP_NVS_OK, 0, 65);
    assert_int_equal(v.action, AGENT_ESP_NVS_REFUSE);
    v = agent_esp_nvs_map(CRED, AGENT_ESP_NVS_OK, 2, 65);
    assert_int_equal(v.action, AGENT_ESP_NVS_USE);
    v = agent_esp_nvs_map(CRED, 99, 0, 65);
    assert_int_equal(v.action, AGENT_ESP_NVS_REFUSE);
}

static const agent_esp_pins_t s_vspi = {23, 19, 18, 5, 4, AGENT_ESP_PIN_NONE};

static void expect_bad(agent_esp_pins_t p, const char *role, const char *why)
{
    const char *r = NULL, *w = NULL;

    assert_int_equal(agent_esp_pins_check(&p, &r, &w), FOTA_ERR_INVAL);
    assert_string_equal(r, role);
    assert_non_null(strstr(w, why));
}

static void test_pins(void **state)
{
    agent_esp_pins_t p = s_vspi;
    const char *r, *w;

    (void)state;
    assert_int_equal(agent_esp_pins_check(&p, &r, &w), 0);
    p.boot0 = 21;
    assert_int_equal(agent_esp_pins_check(&p, &r, &w), 0);
    /* MISO may be an input-only pin, nothing else may. */
    p = s_vspi;
    p.miso = 36;
    assert_int_equal(agent_esp_pins_check(&p, &r, &w), 0);
    p = s_vspi;
    p.nrst = 34;
    expect_bad(p, "NRST", "inputs only");
    p = s_vspi;
    p.cs = 9;
    expect_bad(p, "CS", "SPI flash");
    p = s_vspi;
    p.sck = 24;
    expect_bad(p, "SCK", "no such GPIO");
    p = s_vspi;
    p.mosi = 40;
    expect_bad(p, "MOSI", "no such GPIO");
    p = s_vspi;
    p.boot0 = -2;
    expect_bad(p, "BOOT0", "no such GPIO");
    p = s_vspi;
    p.nrst = 5; /* CS's pin */
    expect_bad(p, "NRST", "shares");
    p = s_vspi;
    p.boot0 = 23;
    expect_bad(p, "BOOT0", "shares");
    assert_int_equal(agent_esp_pins_check(NULL, &r, &w), FOTA_ERR_INVAL);
}

static void test_safe_sequence(void **state)
{
    agent_esp_pin_step_t s[AGENT_ESP_SAFE_STEPS];
    agent_esp_pins_t p = s_vspi;
    size_t n;

    (void)state;
    /* Without BOOT0: CS high first, then NRST released. */
    n = agent_esp_safe_sequence(&p, s);
    assert_int_equal(n, 2);
    assert_int_equal(s[0].pin, 5);
    assert_int_equal(s[0].mode, AGENT_ESP_PIN_OUTPUT);
    assert_int_equal(s[0].level, 1);
    assert_int_equal(s[1].pin, 4);
    assert_int_equal(s[1].mode, AGENT_ESP_PIN_OPEN_DRAIN);
    assert_int_equal(s[1].level, 1);
    /* With BOOT0: low before anything else; NRST always last. */
    p.boot0 = 21;
    n = agent_esp_safe_sequence(&p, s);
    assert_int_equal(n, 3);
    assert_int_equal(s[0].pin, 21);
    assert_int_equal(s[0].mode, AGENT_ESP_PIN_OUTPUT);
    assert_int_equal(s[0].level, 0);
    assert_int_equal(s[1].pin, 5);
    assert_int_equal(s[1].level, 1);
    assert_int_equal(s[2].pin, 4);
    assert_int_equal(s[2].mode, AGENT_ESP_PIN_OPEN_DRAIN);
}

static void test_spi_iomux(void **state)
{
    int mosi, miso, sck, cs;
    agent_esp_pins_t p = s_vspi;

    (void)state;
    assert_int_equal(
        agent_esp_spi_iomux(AGENT_ESP_VSPI, &mosi, &miso, &sck, &cs), 0);
    assert_int_equal(mosi, 23);
    assert_int_equal(miso, 19);
    assert_int_equal(sck, 18);
    assert_int_equal(cs, 5);
    assert_int_equal(
        agent_esp_spi_iomux(AGENT_ESP_HSPI, &mosi, &miso, &sck, &cs), 0);
    assert_int_equal(mosi, 13);
    assert_int_equal(miso, 12);
    assert_int_equal(sck, 14);
    assert_int_equal(cs, 15);
    assert_int_equal(agent_esp_spi_iomux(1, &mosi, &miso, &sck, &cs),
                     FOTA_ERR_INVAL);
    assert_true(agent_esp_spi_on_iomux(AGENT_ESP_VSPI, &p));
    assert_false(agent_esp_spi_on_iomux(AGENT_ESP_HSPI, &p));
    p.sck = 17;
    assert_false(agent_esp_spi_on_iomux(AGENT_ESP_VSPI, &p));
    assert_false(agent_esp_spi_on_iomux(0, &p));
}

static void test_sleep_ticks(void **state)
{
    uint32_t hz, ms;

    (void)state;
    assert_int_equal(agent_esp_sleep_ticks(0, 1000), 0);
    assert_int_equal(agent_esp_sleep_ticks(1, 1000), 2);
    assert_int_equal(agent_esp_sleep_ticks(1, 100), 2);
    assert_int_equal(agent_esp_sleep_ticks(10, 100), 2);
    assert_int_equal(agent_esp_sleep_ticks(11, 100), 3);
    assert_int_equal(agent_esp_sleep_ticks(4294967295u, 1000), 4294967295u);
    /* Property: the shortest vTaskDelay(n) ((n - 1) periods) covers ms. */
    for (hz = 100; hz <= 1000; hz += 900)
        for (ms = 1; ms < 2000; ms += 7) {
            uint64_t n = agent_esp_sleep_ticks(ms, hz);
            assert_true((n - 1) * 1000u >= (uint64_t)ms * hz);
            assert_true((n - 2) * 1000u < (uint64_t)ms * hz); /* not more */
        }
}

static void test_wait_left(void **state)
{
    (void)state;
    assert_int_equal(agent_esp_wait_left_us(1000, 1000, 1000), 1000);
    assert_int_equal(agent_esp_wait_left_us(1000, 1400, 1000), 600);
    assert_int_equal(agent_esp_wait_left_us(1000, 2000, 1000), 0);
    assert_int_equal(agent_esp_wait_left_us(1000, 9000, 1000), 0);
    assert_int_equal(agent_esp_wait_left_us(5000, 1000, 1000), 1000);
    assert_int_equal(agent_esp_wait_left_us(INT64_MAX - 10, INT64_MAX, 100),
                     90);
}

static void test_yield(void **state)
{
    int64_t last = 0;
    int64_t t;
    unsigned yields = 0;

    (void)state;
    assert_false(agent_esp_yield_due(&last, 99999));
    assert_true(agent_esp_yield_due(&last, 100000));
    assert_int_equal(last, 100000);
    assert_false(agent_esp_yield_due(&last, 150000));
    /* A clock that went back yields (and restarts the interval). */
    assert_true(agent_esp_yield_due(&last, 50000));
    assert_int_equal(last, 50000);
    /* 1.7 s of back-to-back transfers (a stream-write phase at 8 MHz)
     * yields 17 times, once per 100 ms. */
    last = 0;
    for (t = 0; t <= 1700000; t += 250)
        yields += agent_esp_yield_due(&last, t);
    assert_int_equal(yields, 17);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nvs_record),
        cmocka_unit_test(test_nvs_credential),
        cmocka_unit_test(test_pins),
        cmocka_unit_test(test_safe_sequence),
        cmocka_unit_test(test_spi_iomux),
        cmocka_unit_test(test_sleep_ticks),
        cmocka_unit_test(test_wait_left),
        cmocka_unit_test(test_yield),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
