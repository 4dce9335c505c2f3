"""Lints a SAM template the way CloudFormation will see it: cfn-lint on the
template as written, then aws-sam-translator's expansion to plain
CloudFormation, then cfn-lint on that (current cfn-lint does not expand SAM
resources, so a TTL above 3600 or a wrong runtime only shows up there).
Exits 1 with cfn-lint's findings."""
import json, os, subprocess, sys, tempfile

# The translator resolves AWS::Region for ARNs; any region will do for linting.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The template names no AWS managed policies; loading one is a bug here."""

    def load(self):
        raise RuntimeError("template refers to AWS managed policies by name")


def lint(path):
    run = subprocess.run(["cfn-lint", "--format", "parseable", path], capture_output=True, text=True)
    return run.returncode, run.stdout + run.stderr


path = sys.argv[1]
failures = []
code, out = lint(path)
if code != 0:
    failures.append(f"cfn-lint {path}:\n{out}")
with open(path) as f:
    sam = yaml_parse(f.read())
# `sam deploy` uploads local CodeUri folders to S3 before CloudFormation
# runs the transform; do the same with a stand-in location.
for resource in sam["Resources"].values():
    props = resource.get("Properties", {})
    if isinstance(props.get("CodeUri"), str) and not props["CodeUri"].startswith("s3://"):
        props["CodeUri"] = "s3://packaged-by-sam-deploy/scopegate-bootstrap.zip"
translated = transform(sam, {}, NoManagedPolicies())
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out_file:
    json.dump(translated, out_file, indent=1)
code, out = lint(out_file.name)
os.unlink(out_file.name)
if code != 0:
    failures.append(f"cfn-lint on the translated template:\n{out}")


def authorizer_ttls(node, path=""):
    """Every authorizerResultTtlInSeconds in the translated template: SAM
    writes authorizers into the APIs' OpenAPI bodies, which cfn-lint does
    not read, so their TTLs are checked here."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "authorizerResultTtlInSeconds":
                yield path, value
            else:
                yield from authorizer_ttls(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from authorizer_ttls(value, f"{path}/{i}")


parameters = translated.get("Parameters", {})
ttls = list(authorizer_ttls(translated["Resources"]))
if not ttls:
    failures.append("no authorizer TTL found in the translated template")
for where, ttl in ttls:
    if isinstance(ttl, dict) and "Ref" in ttl:
        p = parameters.get(ttl["Ref"], {})
        bounds = (p.get("MinValue"), p.get("MaxValue"), p.get("Default", 0))
        if bounds[0] is None or bounds[1] is None or not (0 <= int(bounds[0]) <= int(bounds[2]) <= int(bounds[1]) <= 3600):
            failures.append(f"{where}: authorizerResultTtlInSeconds from parameter {ttl['Ref']} is not bounded to 0..3600 ({bounds})")
    elif not (isinstance(ttl, int) and 0 <= ttl <= 3600):
        failures.append(f"{where}: authorizerResultTtlInSeconds {ttl} is outside API Gateway's 0..3600")
if failures:
    sys.exit("\n".join(failures))
kinds = sorted({r["Type"] for r in translated["Resources"].values()})
print("ok:", ", ".join(kinds))
