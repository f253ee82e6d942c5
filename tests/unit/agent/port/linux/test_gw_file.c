/*
 * test_gw_file.c - the file-backed gateway slots (agent_gw_file.h) on a
 * scratch directory: factory state, install into the other slot, the
 * trial across starts, mark valid, rollback, and boot records that do
 * not parse.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_gw_file.h"
#include "fota/fota_err.h"

static char s_dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/test-gw-file-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static const fota_version_t s_factory = {1, 0, 0, 0};

static void read_file(const char *name, char *buf, size_t len)
{
    char p[128];
    FILE *f;
    size_t n;

    snprintf(p, sizeof p, "%s/%s", s_dir, name);
    f = fopen(p, "rb");
    assert_non_null(f);
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void write_boot(const char *text)
{
    char p[128];
    FILE *f;

    snprintf(p, sizeof p, "%s/boot", s_dir);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void install(agent_gw_file_t *g, const char *data,
                    const fota_version_t *v)
{
    agent_gw_t *p = &g->base;

    assert_int_equal(p->ops->begin(p, (uint32_t)strlen(data)), 0);
    assert_int_equal(p->ops->write(p, data, 3), 0);
    assert_int_equal(p->ops->write(p, data + 3, strlen(data) - 3), 0);
    assert_int_equal(p->ops->finish(p), 0);
    assert_int_equal(p->ops->set_boot(p, v), 0);
}

static void test_install_trial_valid(void **state)
{
    agent_gw_file_t g;
    agent_gw_info_t in;
    fota_version_t v2 = {2, 1, 0, 7};
    char buf[512];

    (void)state;
    assert_int_equal(agent_gw_file_open(&g, s_dir, &s_factory, 100, 3), 0);
    assert_int_equal(g.base.ops->info(&g.base, &in), 0);
    assert_int_equal(in.running.major, 1);
    assert_false(in.pending_verify);
    read_file("boot", buf, sizeof buf);
    assert_non_null(strstr(buf, "active a\nversion-a 1.0.0\nversion-b -\n"));

    /* Too large for the slot: refused before anything is written. */
    assert_int_equal(g.base.ops->begin(&g.base, 101), FOTA_ERR_NOSPC);
    install(&g, "new gateway image", &v2);
    read_file("slot-b", buf, sizeof buf);
    assert_string_equal(buf, "new gateway image");
    snprintf(buf, sizeof buf, "%s/slot-b.tmp", s_dir);
    assert_int_equal(access(buf, F_OK), -1);
    agent_gw_file_close(&g);

    /* The next start runs 2.1.0+7 on trial; the start is counted. */
    assert_int_equal(agent_gw_file_open(&g, s_dir, &s_factory, 100, 3), 0);
    assert_int_equal(g.base.ops->info(&g.base, &in), 0);
    assert_true(in.pending_verify);
    assert_int_equal(in.running.major, 2);
    assert_int_equal(in.running.build, 7);
    assert_int_equal(g.starts, 1);
    assert_int_equal(g.base.ops->note_attempt(&g.base), 0);
    agent_gw_file_close(&g);
    assert_int_equal(agent_gw_file_open(&g, s_dir, &s_factory, 100, 3), 0);
    assert_int_equal(g.base.ops->info(&g.base, &in), 0);
    assert_int_equal(in.attempts, 1);
    assert_int_equal(g.base.ops->mark_valid(&g.base), 0);
    agent_gw_file_close(&g);
    assert_int_equal(agent_gw_file_open(&g, s_dir, &s_factory, 100, 3), 0);
    assert_int_equal(g.base.ops->info(&g.base, &in), 0);
    assert_false(in.pending_verify);
    assert_int_equal(in.attempts, 0);
    assert_int_equal(g.starts, 0);
    read_file("boot", buf, sizeof buf);
    assert_non_null(strstr(buf, "active b\nversion-a 1.0.0\nversion-b 2.1.0+7\n"
                                "pending 0\n"));
    /* An abandoned install leaves the running slot and the record alone. */
    assert_int_equal(g.base.ops->begin(&g.base, 10), 0);
    assert_int_equal(g.base.ops->write(&g.base, "partial", 7), 0);
    g.base.ops->abort(&g.base);
    snprintf(buf, sizeof buf, "%s/slot-a.tmp", s_dir);
    assert_int_equal(access(buf, F_OK), -1);
    read_file("boot", buf, sizeof buf);
    assert_non_null(strstr(buf, "active b\n"));
    agent_gw_file_close(&g);
}

static void test_rollbacks(void **state)
{
    agent_gw_file_t g;
    agent_gw_info_t in;
    fota_version_t v2 = {2, 0, 0, 0};
    char buf[512];

    (void)state;
    assert_int_equal(agent_gw_file_open(&g, s_dir, &s_factory, 100, 2), 0);
    install(&g, "two", &v2);
    assert_int_equal(g.base.ops->rollback(&g.base), 0);
    assert_int_equal(g.base.ops->info(&g.base, &in), 0);
    assert_int_equal(in.running.major, 1);
    assert_false(in.pending_verify);
    assert_true(in.has_rejected);
    assert_int_equal(in.rejected.major, 2);
    agent_gw_file_close(&g);

    /* Rolled back at open after max_attempts starts without proof. */
    assert_int_equal(agent_gw_file_open(&g, s_dir, &s_factory, 100, 2), 0);
    install(&g, "two again", &v2);
    agent_gw_file_close(&g);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(agent_gw_file_open(&g, s_dir, &s_factory, 100, 2), 0);
        assert_false(g.rolled_back_at_open);
        assert_true(g.pending);
        agent_gw_file_close(&g);
    }
    assert_int_equal(agent_gw_file_open(&g, s_dir, &s_factory, 100, 2), 0);
    assert_true(g.rolled_back_at_open);
    assert_false(g.pending);
    read_file("boot", buf, sizeof buf);
    assert_non_null(strstr(buf, "active a\n"));
    assert_non_null(strstr(buf, "rejected 2.0.0\n"));
    agent_gw_file_close(&g);
}

static void test_bad_records(void **state)
{
    static const char *const bad[] = {
        "fota-gateway-boot 2\nactive a\n",
        "fota-gateway-boot 1\nactive c\nversion-a 1.0.0\nversion-b -\n"
        "pending 0\n",
        "fota-gateway-boot 1\nactive a\nversion-a 1.0\nversion-b -\n"
        "pending 0\n",
        "fota-gateway-boot 1\nactive a\nversion-a 1.0.0\nversion-b -\n"
        "pending 2\n",
        "fota-gateway-boot 1\nactive a\nversion-a 1.0.0\nversion-b -\n"
        "pending 0\nattempts -1\n",
        "fota-gateway-boot 1\nactive b\nversion-a 1.0.0\nversion-b -\n"
        "pending 0\n", /* the running slot has no version */
        "fota-gateway-boot 1\nactive a\nversion-a 1.0.0\n", /* cut short */
        "fota-gateway-boot 1\nactive\n",
    };
    agent_gw_file_t g;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_boot(bad[i]);
        if (agent_gw_file_open(&g, s_dir, &s_factory, 100, 3) !=
            FOTA_ERR_CORRUPT)
            fail_msg("record %zu accepted", i);
    }
    /* Keys a newer agent writes are ignored. */
    write_boot("fota-gateway-boot 1\nactive a\nversion-a 1.0.0\nversion-b -\n"
               "pending 0\nfuture-key 7\n");
    assert_int_equal(agent_gw_file_open(&g, s_dir, &s_factory, 100, 3), 0);
    agent_gw_file_close(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_install_trial_valid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rollbacks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
