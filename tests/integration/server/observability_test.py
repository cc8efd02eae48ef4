"""The Grafana dashboard (docs/grafana/herald.json) and the Prometheus alerting
rules (docs/prometheus/alerts.yml) against what `herald serve` really exports.

Two real servers run: one with SQLite history, one with `[engine] type =
"redis"` on a real redis-server (the Redis metrics exist only there). The
test makes them refuse what the rules and panels select by reason (slow
consumers, both kinds of 503), scrapes both /metrics, and reads every PromQL
expression of both files: each metric name must be a sample name of the
scrape (a histogram's `_bucket`, `_sum`, `_count` are samples, its bare name
is not), each label matcher, `by (...)`, legend and `$labels` must name a
label those samples carry, and each matched value must occur. A failure
names the panel or rule. Prometheus' own `up` and its target labels `job`
and `instance` are allowed.

When promtool is there (scripts/install-deps.sh extracts it from Debian's
`prometheus` package into build/tools/, without installing the daemon), the
rules pass `promtool check rules`, the dashboard's expressions too (as
recording rules), and `promtool test rules` checks that the main alerts fire
when they should and not when they should not. Without it those cases are
skipped and say so.
"""
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import yaml  # Debian's python3-yaml (scripts/install-deps.sh)

from herald_client import Client, api, claims, hs256, http
from herald_serve import HeraldServer
from redis_server import RedisServer

REPO = Path(__file__).resolve().parents[3]
DASHBOARD = REPO / "docs/grafana/herald.json"
ALERTS = REPO / "docs/prometheus/alerts.yml"
PROMTOOL_EXTRACTED = REPO / "build/tools/prometheus/usr/bin/promtool"

SECRET = "observability-secret"
API_KEY = "observability-api-key"

# Series Prometheus makes itself, and the labels it adds to every target's.
SYNTHETIC = {"up"}
TARGET_LABELS = {"job", "instance"}

# Families exported but deliberately not on the dashboard, with why. Empty:
# every family is.
NOT_ON_DASHBOARD: dict[str, str] = {}

SQLITE_CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"
write_queue_bytes = "64KiB"
max_connections_per_address = 6

[api]
key = "{API_KEY}"
max_body_bytes = "1MiB"

[[namespace]]
name = "skip"
history_size = 1000
history_ttl = "1h"
slow_consumer = "skip"
allow_subscribe_for_client = true

[[namespace]]
name = "cut"
allow_subscribe_for_client = true
"""

REDIS_CONFIG = """
[client]
max_connections = 4

[api]
key = "{key}"

[engine]
type = "redis"
redis_addresses = ["{address}"]

[[namespace]]
name = "chat"
history_size = 10
history_ttl = "1h"
"""

PAD = "x" * 60_000


# -- the Prometheus text format ------------------------------------------------------
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+\S+(?:\s+\S+)?$')
LABEL_PAIR = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


class Scrape:
    """Sample names of one or more /metrics texts, with the labels and values
    each carries, and the families of the # TYPE lines."""

    def __init__(self):
        self.labels: dict[str, dict[str, set[str]]] = {}  # sample name -> label -> values
        self.families: dict[str, str] = {}  # family -> type

    def add(self, text: str):
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, family, kind = line.split()
                self.families[family] = kind
                continue
            if not line or line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            if not m:
                raise AssertionError(f"not a Prometheus sample line: {line!r}")
            labels = self.labels.setdefault(m.group(1), {})
            body = m.group(2) or ""
            pos = 0
            while pos < len(body):
                pair = LABEL_PAIR.match(body, pos)
                if not pair:
                    raise AssertionError(f"bad labels in {line!r}")
                labels.setdefault(pair.group(1), set()).add(pair.group(2))
                pos = pair.end()

    def family_of(self, sample: str) -> str:
        for suffix in ("_bucket", "_sum", "_count"):
            base = sample.removesuffix(suffix)
            if base != sample and self.families.get(base) == "histogram":
                return base
        return sample


# -- a PromQL reader: enough to find every selector, matcher and grouping label ------
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
                "quantile", "limitk", "limit_ratio"}
FUNCTIONS = {
    "abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "day_of_month",
    "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp", "floor", "histogram_avg",
    "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev", "histogram_stdvar",
    "histogram_sum", "holt_winters", "double_exponential_smoothing", "hour", "idelta", "increase", "irate",
    "label_join", "label_replace", "ln", "log2", "log10", "minute", "month", "predict_linear", "rate", "resets",
    "round", "scalar", "sgn", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc", "sqrt", "time",
    "timestamp", "vector", "year", "avg_over_time", "min_over_time", "max_over_time", "sum_over_time",
    "count_over_time", "quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
    "present_over_time", "mad_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin",
    "sinh", "tan", "tanh", "deg", "rad", "pi", "start", "end",
    "label_values",  # Grafana's, in template variables
}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}

TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<number>(?:\d+(?:ms|[smhdwy]))+|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|==|!=|>=|<=|[-+*/%^<>=@,(){}\[\]:])
""", re.VERBOSE)


def unquote(s: str) -> str:
    if s[0] == "`":
        return s[1:-1]
    return re.sub(r"\\(.)", r"\1", s[1:-1])


def tokens(expr: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read PromQL at {expr[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group()))
    return out


class Query:
    """What one expression uses: selectors (metric, [(label, op, value)]),
    grouping labels, functions."""

    def __init__(self, expr: str):
        self.expr = expr
        self.selectors: list[tuple[str, list[tuple[str, str, str]]]] = []
        self.grouping: set[str] = set()
        self.functions: set[str] = set()
        self.problems: list[str] = []
        self._read(tokens(expr))

    def _matchers(self, toks, i):
        """Reads `{a="b", c=~"d"}` from toks[i] == "{"; returns (matchers, index after "}")."""
        matchers = []
        i += 1
        while toks[i][1] != "}":
            (kind, label), (_, op), (vkind, value) = toks[i], toks[i + 1], toks[i + 2]
            if kind != "ident" or op not in ("=", "!=", "=~", "!~") or vkind != "string":
                raise ValueError(f"cannot read the label matcher at {label!r} in {self.expr!r}")
            matchers.append((label, op, unquote(value)))
            i += 3
            if toks[i][1] == ",":
                i += 1
        return matchers, i + 1

    def _read(self, toks):
        toks = toks + [("end", "")]
        i = 0
        while toks[i][0] != "end":
            kind, text = toks[i]
            nxt = toks[i + 1][1]
            if kind == "ident" and text in GROUPING:
                i += 1
                if toks[i][1] == "(":
                    i += 1
                    while toks[i][1] != ")":
                        if toks[i][0] == "ident":
                            self.grouping.add(toks[i][1])
                        i += 1
                    i += 1
            elif kind == "ident" and text.lower() in KEYWORDS:
                i += 1
            elif kind == "ident" and text in AGGREGATIONS and nxt in ("by", "without"):
                self.functions.add(text)  # sum by (l) (...): the grouping comes next
                i += 1
            elif kind == "ident" and nxt == "(":
                if text not in FUNCTIONS | AGGREGATIONS:
                    self.problems.append(f"unknown function {text}()")
                self.functions.add(text)
                if text == "label_values":
                    # label_values(selector, label) or label_values(label)
                    close = i + 2
                    depth = 1
                    while depth:
                        depth += {"(": 1, ")": -1}.get(toks[close][1], 0)
                        close += 1
                    last = toks[close - 2]
                    self.grouping.add(last[1])
                    inner = toks[i + 2:close - 3] if toks[close - 3][1] == "," else []
                    self._read(inner)
                    i = close
                else:
                    i += 2
            elif kind == "ident":
                matchers = []
                i += 1
                if toks[i][1] == "{":
                    matchers, i = self._matchers(toks, i)
                self.selectors.append((text, matchers))
            elif text == "{":
                matchers, i = self._matchers(toks, i)
                names = [v for label, op, v in matchers if label == "__name__" and op == "="]
                if not names:
                    self.problems.append("a selector without a metric name")
                else:
                    self.selectors.append((names[0], [m for m in matchers if m[0] != "__name__"]))
            elif text == "[":
                while toks[i][1] != "]":
                    i += 1
                i += 1
            else:
                i += 1


GRAFANA_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")


def grafana_to_promql(expr: str) -> str:
    """A dashboard query as Prometheus would get it: Grafana's interval
    variables become 5m, the dashboard's own ($job, $instance) match anything."""
    def sub(m):
        name = m.group(1) or m.group(2)
        return "5m" if name.startswith("__") else ".*"
    return GRAFANA_VARIABLE.sub(sub, expr)


def alternatives(regex: str) -> list[str]:
    """The top-level alternatives of a regex: "a|b(c|d)" -> ["a", "b(c|d)"]."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(regex):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if c == "|" and depth == 0:
            out.append(regex[start:i])
            start = i + 1
    out.append(regex[start:])
    return out


def check_query(scrape: Scrape, where: str, expr: str, used_labels: set[str] = frozenset()) -> list[str]:
    """Every problem of one expression, each prefixed with where it is.
    `used_labels`: labels its legend or annotations print."""
    try:
        q = Query(expr)
    except (ValueError, IndexError) as e:
        return [f"{where}: {e}"]
    problems = [f"{where}: {p}" for p in q.problems]
    if not q.selectors and not q.functions & {"time", "vector", "pi"}:
        problems.append(f"{where}: no metric in {expr!r}")
    available = set(TARGET_LABELS)
    for metric, matchers in q.selectors:
        if metric in SYNTHETIC:
            labels: dict[str, set[str]] = {}
        elif metric in scrape.labels:
            labels = scrape.labels[metric]
        else:
            family = scrape.family_of(metric)
            hint = ""
            if scrape.families.get(metric) == "histogram":
                hint = f" ({metric} is a histogram: use {metric}_bucket, _sum or _count)"
            elif family == metric and metric.removesuffix("_bucket") in scrape.families:
                hint = f" ({metric.removesuffix('_bucket')} is a {scrape.families[metric.removesuffix('_bucket')]}, not a histogram)"
            problems.append(f"{where}: metric {metric} is not in /metrics of herald serve{hint}")
            continue
        available |= set(labels)
        for label, op, value in matchers:
            if label in TARGET_LABELS:
                continue  # values are the deployment's
            if label not in labels:
                problems.append(f"{where}: {metric} has no label {label!r} (it has: {sorted(labels) or 'none'})")
                continue
            seen = labels[label]
            wanted = [value] if op in ("=", "!=") else alternatives(value)
            for v in wanted:
                if v in (".*", ".+"):
                    continue
                if op in ("=", "!=") and v not in seen or op in ("=~", "!~") and not any(re.fullmatch(v, s) for s in seen):
                    problems.append(f"{where}: {metric}{{{label}{op}{value!r}}}: no sample has {label}={v!r} "
                                    f"(seen: {sorted(seen)})")
    for label in sorted((q.grouping | set(used_labels)) - available):
        problems.append(f"{where}: label {label!r} is on none of its metrics ({sorted(available)})")
    return problems


def legend_labels(text: str) -> set[str]:
    return set(re.findall(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}", text or ""))


def annotation_labels(text: str) -> set[str]:
    return set(re.findall(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)", text or ""))


def dashboard_panels(panels):
    for p in panels:
        yield p
        yield from dashboard_panels(p.get("panels", []))


def dashboard_queries(dashboard: dict):
    """(where, expr, labels its legend prints) of every panel target and
    template variable."""
    for p in dashboard_panels(dashboard.get("panels", [])):
        for t in p.get("targets", []):
            yield (f"dashboard panel {p.get('title')!r} (id {p.get('id')}), target {t.get('refId')}",
                   t.get("expr", ""), legend_labels(t.get("legendFormat", "")))
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            query = v.get("query")
            if isinstance(query, dict):
                query = query.get("query", "")
            yield f"dashboard variable ${v['name']}", query, set()


def alert_rules(rules: dict):
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            yield group.get("name"), rule


# -- promtool ------------------------------------------------------------------------
def find_promtool() -> tuple[str | None, str]:
    """(path, why not) of promtool: $PROMTOOL, PATH, or the copy
    scripts/install-deps.sh extracted from Debian's prometheus package."""
    for candidate in (os.environ.get("PROMTOOL"), shutil.which("promtool"), str(PROMTOOL_EXTRACTED)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate, ""
    return None, (f"promtool not found ($PROMTOOL, PATH, {PROMTOOL_EXTRACTED.relative_to(REPO)}): "
                  "scripts/install-deps.sh extracts it from Debian's prometheus package; "
                  "`promtool check rules` and `promtool test rules` were NOT run")


def promtool(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    tool, _ = find_promtool()
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


# Unit tests of the alerts, in promtool's format (JSON is YAML): series over
# time and the alerts expected at given times. The rules file they load is
# alerts.yml without annotations (promtool compares annotations verbatim).
ALERT_TESTS = [
    {   # a node down for 2 minutes pages; one up does not
        "interval": "15s",
        "input_series": [
            {"series": 'up{job="herald", instance="n1:8080"}', "values": "1 1 0x12"},
            {"series": 'up{job="herald", instance="n2:8080"}', "values": "1x14"},
        ],
        "alert_rule_test": [
            {"eval_time": "45s", "alertname": "HeraldDown", "exp_alerts": []},
            {"eval_time": "3m", "alertname": "HeraldDown", "exp_alerts": [
                {"exp_labels": {"severity": "critical", "job": "herald", "instance": "n1:8080"}}]},
        ],
    },
    {   # Redis: one link of four down for 1 minute is critical
        "interval": "15s",
        "input_series": [
            {"series": 'herald_redis_links_up{job="herald", instance="n1:8080"}', "values": "4 4 3x10"},
            {"series": 'herald_redis_links{job="herald", instance="n1:8080"}', "values": "4x12"},
        ],
        "alert_rule_test": [
            {"eval_time": "30s", "alertname": "HeraldRedisUnreachable", "exp_alerts": []},
            {"eval_time": "2m30s", "alertname": "HeraldRedisUnreachable", "exp_alerts": [
                {"exp_labels": {"severity": "critical", "job": "herald", "instance": "n1:8080"}}]},
        ],
    },
    {   # a burst of NOSCRIPT after a Redis restart is not an error alert; a steady stream is
        "interval": "1m",
        "input_series": [
            {"series": 'herald_redis_errors_total{job="herald", instance="n1:8080", kind="server"}',
             "values": "0 0 20 20 20 20 20 20 20 20 20 20 20"},
            {"series": 'herald_redis_errors_total{job="herald", instance="n2:8080", kind="transport"}',
             "values": "0+30x20"},
        ],
        "alert_rule_test": [
            {"eval_time": "12m", "alertname": "HeraldRedisErrors", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "job": "herald", "instance": "n2:8080", "kind": "transport"}}]},
        ],
    },
    {   # slow consumers: a sustained rate fires, with its reason; a few do not
        "interval": "1m",
        "input_series": [
            {"series": 'herald_refusals_total{job="herald", instance="n1:8080", reason="slow"}', "values": "0+10x30"},
            {"series": 'herald_refusals_total{job="herald", instance="n1:8080", reason="slow_skipped"}',
             "values": "0+1x30"},
            {"series": 'herald_refusals_total{job="herald", instance="n1:8080", reason="permission_denied"}',
             "values": "0+10x30"},
        ],
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "HeraldSlowConsumers", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "job": "herald", "instance": "n1:8080", "reason": "slow"}}]},
        ],
    },
    {   # refusals over 1/s for 10 minutes, by reason
        "interval": "1m",
        "input_series": [
            {"series": 'herald_refusals_total{job="herald", instance="n1:8080", reason="invalid_token"}',
             "values": "0+120x30"},
            {"series": 'herald_refusals_total{job="herald", instance="n1:8080", reason="bad_request"}',
             "values": "0+30x30"},
        ],
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "HeraldRefusalsHigh", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "job": "herald", "instance": "n1:8080",
                                "reason": "invalid_token"}}]},
        ],
    },
    {   # the history store damaged pages at once
        "interval": "15s",
        "input_series": [
            {"series": 'herald_history_store_damaged{job="herald", instance="n1:8080"}', "values": "0 0 1 1"},
        ],
        "alert_rule_test": [
            {"eval_time": "15s", "alertname": "HeraldHistoryStoreDamaged", "exp_alerts": []},
            {"eval_time": "45s", "alertname": "HeraldHistoryStoreDamaged", "exp_alerts": [
                {"exp_labels": {"severity": "critical", "job": "herald", "instance": "n1:8080"}}]},
        ],
    },
    {   # history commits: p99 over 200 ms for 10 minutes
        "interval": "1m",
        "input_series": [
            {"series": f'herald_history_commit_seconds_bucket{{job="herald", instance="n1:8080", le="{le}"}}',
             "values": f"0+{n}x20"}
            for le, n in (("0.1", 50), ("0.2", 60), ("0.5", 100), ("+Inf", 100))
        ],
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "HeraldHistoryCommitSlow", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "job": "herald", "instance": "n1:8080"}}]},
        ],
    },
    {   # no Herald target at all
        "interval": "1m",
        "input_series": [{"series": 'up{job="other", instance="x"}', "values": "1x20"}],
        "alert_rule_test": [
            {"eval_time": "15m", "alertname": "HeraldNoTargets", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "job": "herald"}}]},
        ],
    },
]


# -- provoking what the files select by reason ---------------------------------------
def refusal_reasons(server) -> set[str]:
    _, body, _ = http("GET", f"{server.http_url}/metrics")
    return set(re.findall(r'^herald_refusals_total\{reason="([^"]+)"\}', body.decode(), re.M))


async def provoke_slow_consumers(server):
    """A client that never reads, subscribed to a slow_consumer = "skip"
    channel and a default ("disconnect") one: publish to the first until it
    is skipped (slow_skipped), then to the second until it is cut (slow)."""
    c = await Client.open(server.ws_url, max_queue=1)
    c.ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    try:
        assert "connect" in await c.connect(hs256(claims("slow"), SECRET))
        for channel in ("skip:feed", "cut:feed"):
            assert "subscribe" in await c.command({"subscribe": {"channel": channel}})

        def burst(channel: str, reason: str):
            for i in range(2000):
                status, body = api(server, "publish", {"channel": channel, "data": {"i": i, "pad": PAD}}, API_KEY)
                assert status == 200, body
                if i % 10 == 9 and reason in refusal_reasons(server):
                    return
            raise AssertionError(f"no {reason} refusal after 2000 publications")

        await asyncio.to_thread(burst, "skip:feed", "slow_skipped")
        await asyncio.to_thread(burst, "cut:feed", "slow")
    finally:
        c.ws.transport.abort()  # it reads nothing: no closing handshake to wait for


def provoke_503(server, limit: int):
    """Opens idle TCP connections one by one until one gets a 503 (past
    `limit`). One by one: the server's two loops check the limit as they
    accept, and a burst may slip past it before either counts."""
    socks = []
    try:
        for _ in range(limit + 5):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            socks.append(s)
            s.settimeout(0.1)
            try:
                if s.recv(64).startswith(b"HTTP/1.1 503"):
                    return  # counted before it was sent
            except TimeoutError:
                pass  # accepted: it waits for a request
        raise AssertionError(f"no 503 after {limit + 5} connections (limit {limit})")
    finally:
        for s in socks:
            s.close()


def scrape(server) -> str:
    deadline = time.monotonic() + 5
    while True:  # the 503 sockets may take a moment to be let go
        status, body, _ = http("GET", f"{server.http_url}/metrics")
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert status == 200, (status, body)
    return body.decode()


class ObservabilityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scrape = Scrape()
        cls.redis = RedisServer().start()
        try:
            with HeraldServer(SQLITE_CONFIG) as sqlite_node:
                asyncio.run(provoke_slow_consumers(sqlite_node))
                provoke_503(sqlite_node, 6)
                cls.scrape.add(scrape(sqlite_node))
            with HeraldServer(REDIS_CONFIG.format(key=API_KEY, address=cls.redis.address)) as redis_node:
                status, body = api(redis_node, "publish", {"channel": "chat:x", "data": {}}, API_KEY)
                assert status == 200, body
                provoke_503(redis_node, 4)
                cls.scrape.add(scrape(redis_node))
        finally:
            cls.redis.stop()
            cls.redis._tmp.cleanup()
        with open(DASHBOARD) as f:
            cls.dashboard = json.load(f)
        with open(ALERTS) as f:
            cls.rules = yaml.safe_load(f)

    # -- the reader itself: a check that cannot fail proves nothing ------------
    def test_reader_reports_what_is_not_exported(self):
        s = self.scrape
        ok = ('histogram_quantile(0.99, sum by (instance, le) (rate(herald_history_commit_seconds_bucket'
              '{job=~"$job", instance=~"$instance"}[$__rate_interval]))) > 0.2 and on (instance) up == 1')
        self.assertEqual(check_query(s, "ok", grafana_to_promql(ok)), [])
        bad = {
            "rate(herald_conections_total[5m])": "herald_conections_total is not in /metrics",
            "rate(herald_history_commit_seconds[5m])": "is a histogram",
            "herald_connections_bucket": "herald_connections_bucket is not in",
            'rate(herald_refusals_total{reason="slow_consumers"}[5m])': "no sample has reason='slow_consumers'",
            'rate(herald_refusals_total{reason=~"slow|slwo"}[5m])': "no sample has reason='slwo'",
            'herald_redis_errors_total{type="server"}': "has no label 'type'",
            "sum by (reasons) (rate(herald_refusals_total[5m]))": "label 'reasons' is on none",
            "histogram_quantil(0.9, herald_redis_publish_seconds_bucket)": "unknown function histogram_quantil()",
            "5 * 3": "no metric",
        }
        for expr, why in bad.items():
            problems = check_query(s, "case", expr)
            self.assertTrue(any(why in p for p in problems), f"{expr}: {problems}")

    def test_scrape_has_the_redis_and_refusal_metrics_the_files_need(self):
        for name in ("herald_redis_links_up", "herald_redis_publish_seconds_bucket", "herald_history_commit_seconds_bucket"):
            self.assertIn(name, self.scrape.labels)
        reasons = self.scrape.labels["herald_refusals_total"]["reason"]
        self.assertLessEqual({"slow", "slow_skipped", "http_503_overloaded", "http_503_per_address_limit"}, reasons)

    # -- the dashboard ----------------------------------------------------------
    def test_dashboard_queries_use_only_exported_metrics_and_labels(self):
        problems, count = [], 0
        for where, expr, labels in dashboard_queries(self.dashboard):
            count += 1
            problems += check_query(self.scrape, where, grafana_to_promql(expr), labels)
        self.assertGreater(count, 20)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_dashboard_shows_every_exported_family(self):
        used = set()
        for _, expr, _ in dashboard_queries(self.dashboard):
            used |= {self.scrape.family_of(m) for m, _ in Query(grafana_to_promql(expr)).selectors}
        missing = sorted(set(self.scrape.families) - used - set(NOT_ON_DASHBOARD))
        self.assertEqual(missing, [], "exported but on no panel of docs/grafana/herald.json (add a panel, or list "
                                      "it in NOT_ON_DASHBOARD with why)")

    def test_dashboard_is_importable(self):
        d = self.dashboard
        self.assertGreaterEqual(d["schemaVersion"], 36)
        self.assertTrue(d.get("uid"))
        self.assertIsNone(d.get("id"), "an exported dashboard has id null")
        variables = {v["name"]: v for v in d["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        self.assertTrue(variables["instance"]["multi"] and variables["instance"]["includeAll"])
        self.assertIn("job", variables)
        ids = [p["id"] for p in dashboard_panels(d["panels"])]
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")
        for p in dashboard_panels(d["panels"]):
            self.assertIn("gridPos", p, p["title"])
            if p["type"] == "row":
                continue
            self.assertEqual(p["datasource"], {"type": "prometheus", "uid": "${datasource}"}, p["title"])
            self.assertTrue(p.get("description"), f"panel {p['title']!r} says what it shows")
            for t in p["targets"]:
                self.assertEqual(t["datasource"]["uid"], "${datasource}", p["title"])
                expr = t["expr"]
                if re.search(r"\bherald_\w+", expr):
                    for m in re.finditer(r"\b(herald_\w+)(\{[^}]*\})?", expr):
                        self.assertIn('instance=~"$instance"', m.group(2) or "",
                                      f"panel {p['title']!r}: {m.group(1)} ignores the $instance selection")

    # -- the alerting rules -----------------------------------------------------
    def test_alert_rules_use_only_exported_metrics_and_labels(self):
        problems, count = [], 0
        for group, rule in alert_rules(self.rules):
            count += 1
            where = f"alert rule {rule.get('alert') or rule.get('record')!r} (group {group})"
            printed = set()
            for text in rule.get("annotations", {}).values():
                printed |= annotation_labels(text)
            problems += check_query(self.scrape, where, rule["expr"], printed)
        self.assertGreater(count, 8)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_alert_rules_tell_an_operator_what_to_do(self):
        names = set()
        for group, rule in alert_rules(self.rules):
            name = rule.get("alert")
            self.assertTrue(name, f"group {group}: only alerting rules here")
            self.assertNotIn(name, names, "alert names are unique")
            names.add(name)
            self.assertIn(rule["labels"]["severity"], ("critical", "warning"), name)
            a = rule["annotations"]
            self.assertTrue(a.get("summary") and len(a.get("description", "")) > 80, name)
            self.assertIn("docs/operations.md", a.get("runbook", ""), name)
        operations = (REPO / "docs/operations.md").read_text()
        monitoring = operations.split("\n## Monitoring\n", 1)[-1].split("\n## ", 1)[0]
        undocumented = sorted(name for name in names if f"`{name}`" not in monitoring)
        self.assertEqual(undocumented, [], "docs/operations.md, \"Monitoring\", says what each alert means")
        for needed in ("HeraldDown", "HeraldRedisUnreachable", "HeraldRedisErrors", "HeraldRefusalsHigh",
                       "HeraldSlowConsumers", "HeraldHistoryStoreDamaged", "HeraldHistoryCommitSlow"):
            self.assertIn(needed, names)

    # -- promtool ---------------------------------------------------------------
    def require_promtool(self):
        tool, why = find_promtool()
        if not tool:
            print(f"\nobservability_test: {why}", file=sys.stderr)
            self.skipTest(why)

    def test_promtool_checks_the_rules(self):
        self.require_promtool()
        r = promtool("check", "rules", str(ALERTS))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout + r.stderr)

    def test_promtool_parses_the_dashboard_queries(self):
        self.require_promtool()
        rules = [{"record": f"dashboard:query_{i}", "expr": grafana_to_promql(expr)}
                 for i, (_, expr, _) in enumerate(dashboard_queries(self.dashboard))
                 if not expr.startswith("label_values(")]
        with tempfile.TemporaryDirectory(prefix="herald-obs-") as tmp:
            path = os.path.join(tmp, "dashboard.rules.yml")
            with open(path, "w") as f:
                json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
            r = promtool("check", "rules", path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_promtool_unit_tests_of_the_alerts(self):
        self.require_promtool()
        stripped = {"groups": [
            {**g, "rules": [{k: v for k, v in rule.items() if k != "annotations"} for rule in g["rules"]]}
            for g in self.rules["groups"]]}
        with tempfile.TemporaryDirectory(prefix="herald-obs-") as tmp:
            with open(os.path.join(tmp, "alerts.yml"), "w") as f:
                json.dump(stripped, f)
            with open(os.path.join(tmp, "alerts_test.yml"), "w") as f:
                json.dump({"rule_files": ["alerts.yml"], "evaluation_interval": "15s", "tests": ALERT_TESTS}, f)
            r = promtool("test", "rules", "alerts_test.yml", cwd=tmp)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
