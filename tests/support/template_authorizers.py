"""Prints the Lambda authorizers a SAM template deploys, as API Gateway will
see them: the template is expanded by aws-sam-translator (as CloudFormation
does) and each `x-amazon-apigateway-authorizer` of the generated REST and
HTTP API definitions is read. The lab's cache-invariant test
(loadtest/tests/cache_invariant.rs) replays traffic through each of them.

Output: {"simple_response": <the function's SCOPEGATE_SIMPLE_RESPONSE>,
"authorizers": [{"name", "api": "rest"|"http", "type", "identity_sources",
"validation", "payload_format", "simple_responses", "ttl"}]}, where ttl is
an integer when the template fixes it and null when it is the
AuthorizerResultTtl parameter."""
import json, os, sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    def load(self):
        raise RuntimeError("template refers to AWS managed policies by name")


with open(sys.argv[1]) as f:
    sam = yaml_parse(f.read())

# The TTL as written: a Ref to the parameter, or a fixed number.
written_ttl = {}
for resource in sam["Resources"].values():
    for name, auth in resource.get("Properties", {}).get("Auth", {}).get("Authorizers", {}).items():
        ttl = auth.get("Identity", {}).get("ReauthorizeEvery")
        written_ttl[name] = ttl if isinstance(ttl, int) else None

simple_response = None
for resource in sam["Resources"].values():
    env = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
    if "SCOPEGATE_SIMPLE_RESPONSE" in env:
        simple_response = env["SCOPEGATE_SIMPLE_RESPONSE"]
    props = resource.get("Properties", {})
    if isinstance(props.get("CodeUri"), str) and not props["CodeUri"].startswith("s3://"):
        props["CodeUri"] = "s3://packaged-by-sam-deploy/scopegate-bootstrap.zip"

translated = transform(sam, {}, NoManagedPolicies())
authorizers = []
for resource in translated["Resources"].values():
    api = {"AWS::ApiGateway::RestApi": "rest", "AWS::ApiGatewayV2::Api": "http"}.get(resource["Type"])
    if api is None:
        continue
    body = resource["Properties"].get("Body", {})
    schemes = body.get("securityDefinitions") or body.get("components", {}).get("securitySchemes", {})
    for name, scheme in schemes.items():
        auth = scheme.get("x-amazon-apigateway-authorizer")
        if auth is None:
            continue
        sources = auth.get("identitySource", [])
        if isinstance(sources, str):
            sources = [s.strip() for s in sources.split(",") if s.strip()]
        if auth["type"] == "token":
            sources = ["method.request.header." + scheme["name"]]
        authorizers.append({
            "name": name,
            "api": api,
            "type": auth["type"],
            "identity_sources": sources,
            "validation": auth.get("identityValidationExpression"),
            "payload_format": auth.get("authorizerPayloadFormatVersion"),
            "simple_responses": bool(auth.get("enableSimpleResponses", False)),
            "ttl": written_ttl.get(name),
        })
print(json.dumps({"simple_response": simple_response, "authorizers": authorizers}))
