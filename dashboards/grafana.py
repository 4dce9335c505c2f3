#!/usr/bin/env python3
"""Builds the Grafana dashboards with grafana-foundation-sdk, so their JSON
is valid by construction, and writes them next to this script:

    grafana-cloudwatch.json   the Lambda story, over the EMF metrics
                              (Grafana's CloudWatch data source)
    grafana-prometheus.json   the lab's emulator (or a self-hosted
                              deployment) scraped by Prometheus

Run `dashboards/grafana.py` after changing it; `--check` exits 1 if a
committed file differs from what this script builds (the tests run it)."""
import json, pathlib, sys

from grafana_foundation_sdk.builders import cloudwatch, dashboard, prometheus, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import cloudwatch as cw_models
from grafana_foundation_sdk.models.dashboard import DataSourceRef

HERE = pathlib.Path(__file__).resolve().parent
CW = DataSourceRef(type_val="cloudwatch", uid="${datasource}")
DIMENSIONS = {"service": "$service", "function_name": "$function"}


def cw_query(ref, metric, statistic, label, extra_dimensions=None):
    dims = dict(DIMENSIONS)
    dims.update(extra_dimensions or {})
    return (
        cloudwatch.CloudWatchMetricsQuery()
        .ref_id(ref)
        .datasource(CW)
        .query_mode(cw_models.CloudWatchQueryMode.METRICS)
        .metric_query_type(cw_models.MetricQueryType.SEARCH)
        .metric_editor_mode(cw_models.MetricEditorMode.BUILDER)
        .region("$region")
        .namespace("$namespace")
        .metric_name(metric)
        .dimensions(dims)
        .match_exact(True)
        .statistic(statistic)
        .label(label)
    )


def panel(title, unit, targets, width=12, height=8):
    p = timeseries.Panel().title(title).unit(unit).span(width).height(height).datasource(CW)
    for t in targets:
        p = p.with_target(t)
    return p


def cloudwatch_dashboard():
    d = (
        dashboard.Dashboard("scopegate authorizer (CloudWatch)")
        .uid("scopegate-cloudwatch")
        .tags(["scopegate", "lambda", "authorizer"])
        .description("scopegate's EMF metrics: stage latency, decisions, memos, key fetches, cold starts, invocations, permissions fetches, retired keys, policies over the budget, scope claims of the wrong type.")
        .time("now-3h", "now")
        .refresh("1m")
        .with_variable(dashboard.DatasourceVariable("datasource").label("CloudWatch").type("cloudwatch"))
        .with_variable(dashboard.TextBoxVariable("region").label("Region").default_value("us-east-1"))
        .with_variable(dashboard.TextBoxVariable("namespace").label("Namespace").default_value("scopegate"))
        .with_variable(dashboard.TextBoxVariable("service").label("Service").default_value("scopegate"))
        .with_variable(dashboard.TextBoxVariable("function").label("Function name").default_value("scopegate-authorizer"))
    )
    stage = lambda ref, metric, stat, label: cw_query(ref, metric, stat, label)
    d = d.with_panel(panel("Handler time p50 / p99", "s", [
        stage("A", "scopegate_handler_seconds", "p50", "handler p50"),
        stage("B", "scopegate_handler_seconds", "p99", "handler p99"),
    ]))
    d = d.with_panel(panel("Stage latency p99: extract, memo lookup, verify, map", "s", [
        stage("A", "scopegate_extract_seconds", "p99", "extract"),
        stage("B", "scopegate_memo_lookup_seconds", "p99", "memo lookup"),
        stage("C", "scopegate_verify_seconds", "p99", "verify"),
        stage("D", "scopegate_map_seconds", "p99", "map"),
    ]))
    d = d.with_panel(panel("Decisions: allow and deny", "short", [
        cw_query("A", "scopegate_decisions_total", "Sum", "allow", {"outcome": "allow", "reason": "granted"}),
        cw_query("B", "scopegate_decisions_total", "Sum", "deny", {"outcome": "deny", "reason": "no_grant"}),
    ]))
    d = d.with_panel(panel("Unauthorized by reason", "short", [
        cw_query("A", "scopegate_decisions_total", "Sum", "${PROP('Dim.reason')}", {"outcome": "unauthorized", "reason": "*"}).match_exact(False),
    ]))
    d = d.with_panel(panel("Verified-token memo: hits and misses", "short", [
        cw_query("A", "scopegate_token_memo_total", "Sum", "hit", {"result": "hit"}),
        cw_query("B", "scopegate_token_memo_total", "Sum", "miss", {"result": "miss"}),
    ]))
    d = d.with_panel(panel("Policy memo: hits and misses", "short", [
        cw_query("A", "scopegate_policy_memo_total", "Sum", "hit", {"result": "hit"}),
        cw_query("B", "scopegate_policy_memo_total", "Sum", "miss", {"result": "miss"}),
    ]))
    d = d.with_panel(panel("JWKS fetches by result", "short", [
        cw_query(chr(65 + i), "scopegate_jwks_fetches_total", "Sum", r, {"result": r})
        for i, r in enumerate(["ok", "not_modified", "error"])
    ], width=8))
    d = d.with_panel(panel("Introspection calls by result", "short", [
        cw_query(chr(65 + i), "scopegate_introspections_total", "Sum", r, {"result": r})
        for i, r in enumerate(["active", "inactive", "error"])
    ], width=8))
    d = d.with_panel(panel("Cold starts and invocations", "short", [
        cw_query("A", "scopegate_cold_starts_total", "Sum", "cold starts"),
        cw_query("B", "scopegate_handler_seconds", "SampleCount", "invocations"),
    ], width=8))
    d = d.with_panel(panel("Permissions fetches by result", "short", [
        cw_query("A", "scopegate_permissions_fetches_total", "Sum", "${PROP('Dim.result')}", {"result": "*"}).match_exact(False),
    ], width=6))
    d = d.with_panel(panel("JWKS keys retired", "short", [
        cw_query("A", "scopegate_jwks_keys_retired_total", "Sum", "keys retired"),
    ], width=6))
    d = d.with_panel(panel("Policies over the budget, and per route", "short", [
        cw_query("A", "scopegate_policy_overflow_total", "Sum", "${PROP('Dim.action')}", {"action": "*"}).match_exact(False),
        cw_query("B", "scopegate_policy_worst_case_over_budget_total", "Sum", "every-scope policy over the budget (at start)"),
        cw_query("C", "scopegate_policy_inexact_total", "Sum", "per route: no exact complete policy (Cedar store)"),
    ], width=6))
    d = d.with_panel(panel("Scope claims of the wrong type", "short", [
        cw_query("A", "scopegate_scope_source_wrong_type_total", "Sum", "wrong type"),
    ], width=6))
    return d.build()


PROM = DataSourceRef(type_val="prometheus", uid="${datasource}")
RATE = "$__rate_interval"


def prom(ref, expr, legend):
    return prometheus.Dataquery().ref_id(ref).datasource(PROM).expr(expr).legend_format(legend).range()


def prom_panel(title, unit, targets, width=12, height=8):
    p = timeseries.Panel().title(title).unit(unit).span(width).height(height).datasource(PROM)
    for t in targets:
        p = p.with_target(t)
    return p


def quantile(q, metric):
    return f"histogram_quantile({q}, sum by (le) (rate({metric}_bucket[{RATE}])))"


def prometheus_dashboard():
    d = (
        dashboard.Dashboard("scopegate (Prometheus)")
        .uid("scopegate-prometheus")
        .tags(["scopegate", "authorizer", "ttl-lab"])
        .description("The lab's API Gateway emulator or a self-hosted scopegate: traffic, the TTL effect, stage latency, decisions, key health.")
        .time("now-15m", "now")
        .refresh("10s")
        .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
    )
    d = d.with_panel(prom_panel("Requests per second by status (200 / 401 / 403)", "reqps", [
        prom("A", f"sum by (status) (rate(scopegate_lab_requests_total[{RATE}]))", "{{status}}"),
    ]))
    d = d.with_panel(prom_panel("Authorizer invocations vs cache hits (the TTL effect)", "reqps", [
        prom("A", f"sum(rate(scopegate_lab_authorizer_invocations_total[{RATE}]))", "invocations"),
        prom("B", f'sum(rate(scopegate_lab_authorizer_cache_total{{result="hit"}}[{RATE}]))', "cache hits"),
        prom("C", f"sum(rate(scopegate_lab_rejected_before_invocation_total[{RATE}]))", "401 before invoking"),
    ]))
    d = d.with_panel(prom_panel("Authorizer cache hit ratio", "percentunit", [
        prom("A", f'sum(rate(scopegate_lab_authorizer_cache_total{{result="hit"}}[{RATE}])) / sum(rate(scopegate_lab_authorizer_cache_total[{RATE}]))', "hit ratio"),
    ], width=8))
    d = d.with_panel(prom_panel("Verified-token memo hit ratio", "percentunit", [
        prom("A", f'sum(rate(scopegate_token_memo_total{{result="hit"}}[{RATE}])) / sum(rate(scopegate_token_memo_total[{RATE}]))', "memo hit ratio"),
    ], width=8))
    d = d.with_panel(prom_panel("Authorizer invocation time p50 / p99", "s", [
        prom("A", quantile(0.5, "scopegate_lab_authorizer_duration_seconds"), "p50"),
        prom("B", quantile(0.99, "scopegate_lab_authorizer_duration_seconds"), "p99"),
    ], width=8))
    d = d.with_panel(prom_panel("Stage latency p99: handler, extract, verify, map", "s", [
        prom("A", quantile(0.99, "scopegate_handler_seconds"), "handler"),
        prom("B", quantile(0.99, "scopegate_extract_seconds"), "extract"),
        prom("C", quantile(0.99, "scopegate_verify_seconds"), "verify"),
        prom("D", quantile(0.99, "scopegate_map_seconds"), "map"),
    ]))
    d = d.with_panel(prom_panel("Decisions by outcome and reason", "reqps", [
        prom("A", f"sum by (outcome, reason) (rate(scopegate_decisions_total[{RATE}]))", "{{outcome}} {{reason}}"),
    ]))
    d = d.with_panel(prom_panel("JWKS fetches and introspection calls by result", "short", [
        prom("A", "sum by (result) (scopegate_jwks_fetches_total)", "jwks {{result}}"),
        prom("B", "sum by (result) (scopegate_introspections_total)", "introspection {{result}}"),
    ]))
    return d.build()


def render(model):
    return json.dumps(json.loads(json.dumps(model, cls=JSONEncoder)), indent=2, sort_keys=True) + "\n"


def main():
    outputs = {
        "grafana-cloudwatch.json": render(cloudwatch_dashboard()),
        "grafana-prometheus.json": render(prometheus_dashboard()),
    }
    stale = []
    for name, text in outputs.items():
        path = HERE / name
        if "--check" in sys.argv:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        sys.exit(f"out of date: {', '.join(stale)} (run dashboards/grafana.py)")
    print("ok:", ", ".join(outputs))


main()
