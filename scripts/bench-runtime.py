#!/usr/bin/env python3
"""Latency as API Gateway would see it: a bootstrap under the official AWS
Lambda Runtime Interface Emulator (aws-lambda-rie, from the aws-sam-cli wheel;
scripts/test-deps.sh exports SCOPEGATE_TEST_RIE), invoked sequentially over one
keep-alive connection with the events of a fixture directory
(`scopegate-lab fixture DIR --now wall`).

For each bootstrap and each configuration, alternating bootstraps round by
round, it reports the invoke round trip (p50, p99), INIT as the emulator
reports it (`INIT REPORT(durationMs)`), and the function's peak RSS (VmHWM).
With --emulator cargo-lambda, cargo-lambda's Runtime API emulator instead
(it answers the invoke when the response is posted; the RIE only once the
runtime asks for the next event, so work after the answer shows only there).
Configurations:
  emf        per-invocation EMF (the default)
  traced     per-invocation EMF and OTLP traces to a loopback sink that
             answers at once (what a local collector does)
  aggregated aggregated EMF (registers the graceful-shutdown extension)

  scripts/bench-runtime.py --fixture DIR --bootstrap NAME=PATH [--bootstrap NAME=PATH …]
                           [--invocations 3000] [--rounds 3] [--configs emf,traced,aggregated]
                           [--cpu-percent 7.2]
--cpu-percent runs the function (not the emulator) in a cgroup (v1 `cpu`
controller, root needed) limited to that share of one core: 7.2 % is what
Lambda gives 128 MB ("at 1,769 MB, a function has the equivalent of one
vCPU"). Each bootstrap gets FIXTURE_DIR too (the rivals' handlers read it).
"""

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def otlp_sink(delay_ms=0):
    """A loopback OTLP/HTTP endpoint that reads each request and answers 200
    (at once, or after `delay_ms`: a slow collector)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def serve(conn):
        with conn:
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                need = int(m.group(1)) if m else 0
                while len(buf) < need:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                buf = buf[need:]
                if delay_ms:
                    time.sleep(delay_ms / 1000)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n")

    def accept():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server.getsockname()[1]


def function_env(fixture, config, sink_port):
    cfg = json.load(open(os.path.join(fixture, "config.json")))
    env = {
        "PATH": "/usr/bin:/bin",
        "SCOPEGATE_ISSUER": cfg["issuer"],
        "SCOPEGATE_AUDIENCE": cfg["audience"],
        "SCOPEGATE_JWKS": open(os.path.join(fixture, "jwks.json")).read(),
        "SCOPEGATE_PERMISSIONS": os.path.join(os.path.abspath(fixture), "permissions.json"),
        "SCOPEGATE_ALGORITHMS": ",".join(cfg["algorithms"]),
        "FIXTURE_DIR": os.path.abspath(fixture),
    }
    if config == "traced":
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{sink_port}"
    env["SCOPEGATE_METRICS_FLUSH"] = "aggregated" if config == "aggregated" else "invocation"
    return env


def child_pid(parent):
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True).stdout
        return int(out.split()[0])
    except (IndexError, ValueError):
        return None


def peak_rss_kib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


CGROUP = None


def cpu_limited(percent):
    """A cgroup (v1 cpu controller) capped at `percent` of one core."""
    path = f"/sys/fs/cgroup/cpu/scopegate-bench-{os.getpid()}"
    try:
        os.makedirs(path, exist_ok=True)
        open(f"{path}/cpu.cfs_period_us", "w").write("100000")
        open(f"{path}/cpu.cfs_quota_us", "w").write(str(int(percent * 1000)))
    except OSError as e:
        raise SystemExit(f"--cpu-percent: cannot set up a cgroup at {path}: {e}")
    return path


def in_cgroup(bootstrap):
    """The bootstrap, started inside the cgroup (the emulator stays outside,
    as Lambda's own platform is not charged to the function)."""
    if not CGROUP:
        return bootstrap
    fd, path = tempfile.mkstemp(prefix="bootstrap-", suffix=".sh")
    os.write(fd, f"#!/bin/sh\necho $$ > {CGROUP}/tasks\nexec {bootstrap}\n".encode())
    os.close(fd)
    os.chmod(path, 0o755)
    return path


def run_once(rie, bootstrap, env, events, invocations, emulator="rie", gap_ms=0):
    port = free_port()
    err = tempfile.TemporaryFile()
    out = tempfile.TemporaryFile()
    function = None
    if emulator == "rie":
        proc = subprocess.Popen(
            [rie, "--runtime-interface-emulator-address", f"127.0.0.1:{port}",
             "--runtime-api-address", f"127.0.0.1:{free_port()}", in_cgroup(bootstrap)],
            env=env, stdout=out, stderr=err)
        path = "/2015-03-31/functions/function/invocations"
    else:
        # cargo-lambda's emulator answers the invoke when the runtime posts
        # the response (the RIE waits for the runtime's next /next).
        proc = subprocess.Popen(
            ["cargo-lambda", "lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        path = "/2015-03-31/functions/_/invocations"
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("aws-lambda-rie did not listen")
                time.sleep(0.05)
        if emulator != "rie":
            env = dict(env, AWS_LAMBDA_RUNTIME_API=f"http://127.0.0.1:{port}/.rt",
                       AWS_LAMBDA_FUNCTION_NAME="_", AWS_LAMBDA_FUNCTION_VERSION="1",
                       AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128")
            function = subprocess.Popen([bootstrap], env=env, stdout=out, stderr=err)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        times = []
        for i in range(invocations):
            if gap_ms:
                time.sleep(gap_ms / 1000)
            body = events[i % len(events)]
            t = time.perf_counter_ns()
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            answer = conn.getresponse().read()
            times.append(time.perf_counter_ns() - t)
            if i == 0 and b"errorType" in answer and b"Unauthorized" not in answer:
                raise SystemExit(f"function failed: {answer[:300]!r}")
        pid = function.pid if function else child_pid(proc.pid)
        rss = peak_rss_kib(pid) if pid else None
    finally:
        for p in (function, proc):
            if p:
                p.terminate()
                p.wait(timeout=30)
    err.seek(0)
    m = re.search(rb"INIT REPORT\(durationMs: ([0-9.]+)\)", err.read())
    init_ms = float(m.group(1)) if m else None
    warm = sorted(times[1:])
    return {
        "p50_us": warm[len(warm) // 2] / 1000,
        "p99_us": warm[int(len(warm) * 0.99)] / 1000,
        "first_us": times[0] / 1000,
        "init_ms": init_ms,
        "rss_kib": rss,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fixture", required=True)
    p.add_argument("--bootstrap", action="append", required=True, help="NAME=PATH")
    p.add_argument("--invocations", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--configs", default="emf,traced,aggregated")
    p.add_argument("--gap-ms", type=float, default=0,
                   help="pause between invocations (API Gateway's arrivals are not back to back: "
                        "deferred work then overlaps the gap, not the next answer)")
    p.add_argument("--emulator", choices=["rie", "cargo-lambda"], default="rie")
    p.add_argument("--sink-delay-ms", type=float, default=0,
                   help="the OTLP sink answers this late (shows who waits for the export)")
    p.add_argument("--cpu-percent", type=float, default=None,
                   help="limit the function (not the emulator) to this share of one core (cgroup)")
    a = p.parse_args()
    global CGROUP
    if a.cpu_percent:
        CGROUP = cpu_limited(a.cpu_percent)
    rie = os.environ.get("SCOPEGATE_TEST_RIE")
    if not rie:
        raise SystemExit("SCOPEGATE_TEST_RIE is not set: source scripts/test-deps.sh first")
    events = [line.strip().encode() for line in open(os.path.join(a.fixture, "events.jsonl")) if line.strip()]
    sink = otlp_sink(a.sink_delay_ms)
    bootstraps = [b.split("=", 1) for b in a.bootstrap]
    results = {}
    for config in a.configs.split(","):
        for r in range(a.rounds):
            for name, path in bootstraps:
                res = run_once(rie, path, function_env(a.fixture, config, sink), events, a.invocations, a.emulator, a.gap_ms)
                results.setdefault((config, name), []).append(res)
                print(f"# {config} {name} round {r + 1}: {json.dumps(res)}", file=sys.stderr)
    print("| config | bootstrap | p50 µs | p99 µs | INIT ms | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    for (config, name), runs in results.items():
        med = lambda k: statistics.median(x[k] for x in runs if x[k] is not None) if any(x[k] is not None for x in runs) else float("nan")
        print(f"| {config} | {name} | {med('p50_us'):.0f} | {med('p99_us'):.0f} | {med('init_ms'):.2f} | {med('rss_kib') / 1024:.1f} |")


if __name__ == "__main__":
    main()
