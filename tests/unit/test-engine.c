/* The engine on one thread and offloaded (engine_offload: judging, passive
 * DNS, alerts and records on a worker fed in packet order) must say the
 * same: every flow record and alert byte for byte, and the same counts, on
 * the policy and demo captures (alerts folded, --strict, names in
 * records, interfaces). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "inventory.h"
#include "output.h"
#include "profile.h"

struct result {
	char *flows, *alerts;        /* what the sinks wrote */
	struct engine_stats st;
};

static void
result_free(struct result *r)
{
	free(r->flows);
	free(r->alerts);
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	cr_assert_not_null(fp, "%s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

static struct result
read_capture(const char *cap, const char *inv_path, const char *prof, int strict, int offload)
{
	char fpath[] = "/tmp/test-engine-flows.XXXXXX", apath[] = "/tmp/test-engine-alerts.XXXXXX";
	char spec[64], err[256];
	struct flow_config fc;
	struct profile_set set = { 0 };
	struct inventory *inv = NULL;
	struct output *fo, *ao;
	struct result res;
	struct engine *e;

	close(mkstemp(fpath));
	close(mkstemp(apath));
	flow_config_default(&fc);
	e = engine_new(&fc, "node-t");
	cr_assert_not_null(e);
	if (inv_path) {
		inv = inventory_load_json(inv_path, err, sizeof(err));
		cr_assert_not_null(inv, "%s", err);
		cr_assert_eq(engine_set_inventory(e, inv), 0);
	}
	if (prof) {
		cr_assert_eq(profile_load_paths(&set, &prof, 1, inv, NULL, NULL), 0, "%s", prof);
		engine_set_alert_window(e, 5ULL * 1000000000ULL);
		cr_assert_eq(engine_set_profiles(e, &set, strict), 0);
	}
	snprintf(spec, sizeof(spec), "json:%s", fpath);
	cr_assert_not_null(fo = output_open(spec, err, sizeof(err)), "%s", err);
	snprintf(spec, sizeof(spec), "json:%s", apath);
	cr_assert_not_null(ao = output_open(spec, err, sizeof(err)), "%s", err);
	cr_assert_eq(engine_add_flow_output(e, fo), 0);
	cr_assert_eq(engine_add_alert_output(e, ao), 0);
	if (offload)
		cr_assert_eq(engine_offload(e), 0);
	cr_assert_eq(engine_read_file(e, cap), 0, "%s", cap);
	engine_finish(e);
	res.st = *engine_stats(e);
	cr_assert_eq(output_drain(fo, 10000), 0);
	cr_assert_eq(output_drain(ao, 10000), 0);
	output_close(fo);
	output_close(ao);
	engine_free(e);
	profile_set_free(&set);
	inventory_free(inv);
	res.flows = slurp(fpath);
	res.alerts = slurp(apath);
	unlink(fpath);
	unlink(apath);
	return res;
}

static void
same_both_ways(const char *cap, const char *inv, const char *prof, int strict, int want_alerts)
{
	struct result a = read_capture(cap, inv, prof, strict, 0);
	struct result b = read_capture(cap, inv, prof, strict, 1);

	cr_expect_neq(a.flows[0], '\0', "%s: no flow records", cap);
	if (want_alerts)
		cr_expect_neq(a.alerts[0], '\0', "%s: no alerts", cap);
	cr_expect_str_eq(b.flows, a.flows, "%s: flow records differ offloaded", cap);
	cr_expect_str_eq(b.alerts, a.alerts, "%s: alerts differ offloaded", cap);
	cr_expect_eq(b.st.violations, a.st.violations);
	cr_expect_eq(b.st.alerts, a.st.alerts);
	cr_expect_eq(memcmp(b.st.verdicts, a.st.verdicts, sizeof(a.st.verdicts)), 0);
	cr_expect_eq(b.st.packets, a.st.packets);
	cr_expect_eq(b.st.output_failures, 0);
	result_free(&a);
	result_free(&b);
}

Test(engine, offloaded_says_the_same_policy_main)
{
	same_both_ways("pcaps/policy/main.pcap", "pcaps/policy/inventory.json", "pcaps/policy/profiles", 0, 1);
}

Test(engine, offloaded_says_the_same_policy_main_strict)
{
	same_both_ways("pcaps/policy/main.pcap", "pcaps/policy/inventory.json", "pcaps/policy/profiles", 1, 1);
}

Test(engine, offloaded_says_the_same_folded_alerts)
{
	same_both_ways("pcaps/policy/fold.pcap", "pcaps/policy/inventory.json", "pcaps/policy/profiles", 0, 1);
}

Test(engine, offloaded_says_the_same_demo)
{
	same_both_ways("pcaps/demo.pcapng", "pcaps/demo-inventory.inventory.json", "profiles/demo.profile", 0, 1);
}

/* No profiles: records alone, with names passive DNS learned; and a
 * capture of two interfaces, each record naming its own. */
Test(engine, offloaded_says_the_same_records_and_names)
{
	struct result a = read_capture("pcaps/demo.pcapng", NULL, NULL, 0, 0);
	struct result b = read_capture("pcaps/demo.pcapng", NULL, NULL, 0, 1);

	cr_expect_not_null(strstr(a.flows, "\"dns\":\""), "no names learned");
	cr_expect_str_eq(b.flows, a.flows);
	result_free(&a);
	result_free(&b);
	a = read_capture("pcaps/pcapng-multi.pcapng", NULL, NULL, 0, 0);
	b = read_capture("pcaps/pcapng-multi.pcapng", NULL, NULL, 0, 1);
	cr_expect_not_null(strstr(a.flows, "\"interface\":\""), "no interface named");
	cr_expect_str_eq(b.flows, a.flows);
	result_free(&a);
	result_free(&b);
}

/* Live capture keeps everything on the capture thread. */
Test(engine, offload_refused_live)
{
	struct flow_config fc;
	struct engine *e;

	flow_config_default(&fc);
	e = engine_new(&fc, NULL);
	engine_set_live(e, 1);
	cr_expect_eq(engine_offload(e), -1);
	engine_finish(e);
	engine_free(e);
}
