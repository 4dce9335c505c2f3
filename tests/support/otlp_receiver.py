"""A real OTLP/HTTP trace receiver on loopback, for tests/traces.rs.

Decodes each POST /v1/traces body with the official generated classes
(`opentelemetry-proto`), prints one JSON line per request on stdout (the
first line is the port), and answers like a collector. `canonical` says
whether re-encoding the decoded message gives back the exact bytes, so a
field scopegate wrote with a wrong number or wire type cannot go unseen.
Given a file argument, it also serves that file at GET /jwks.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

JWKS = open(sys.argv[1], "rb").read() if len(sys.argv) > 1 else None


def value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(kvs):
    return {kv.key: value(kv.value) for kv in kvs}


def decode(body):
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    record = {"canonical": request.SerializeToString() == body, "spans": []}
    for rs in request.resource_spans:
        record["resource"] = attributes(rs.resource.attributes)
        for ss in rs.scope_spans:
            for s in ss.spans:
                record["spans"].append(
                    {
                        "scope": ss.scope.name,
                        "trace_id": s.trace_id.hex(),
                        "span_id": s.span_id.hex(),
                        "parent_span_id": s.parent_span_id.hex(),
                        "flags": s.flags,
                        "name": s.name,
                        "kind": s.kind,
                        "start": s.start_time_unix_nano,
                        "end": s.end_time_unix_nano,
                        "attributes": attributes(s.attributes),
                        "status": {"code": s.status.code, "message": s.status.message},
                    }
                )
    return record


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/jwks" and JWKS is not None:
            self.answer(200, "application/json", JWKS)
        else:
            self.answer(404, "text/plain", b"not found")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        record = {
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
        }
        try:
            record.update(decode(body))
            status, out = 200, ExportTraceServiceResponse().SerializeToString()
        except Exception as e:  # a body the official classes cannot read
            record["error"] = repr(e)
            status, out = 400, b""
        print(json.dumps(record), flush=True)
        self.answer(status, "application/x-protobuf", out)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
