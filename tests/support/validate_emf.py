"""Validates EMF documents (one JSON object per line on stdin) against the
EMF JSON schema AWS published ($SCOPEGATE_TEST_EMF_SCHEMA, from the
aws-lambda-powertools 1.10.0 wheel), plus the rules that schema predates or
cannot express: at most 30 dimensions per set (it says 9, the old limit, so
the stricter bound applies), StorageResolution 1 or 60, at most 100 metrics
per directive, every referenced dimension a string root member, every
metric a number or an array of at most 100 numbers. Prints the number of
documents; exits 1 naming the first fault."""
import json, os, sys
import jsonschema

schema = json.load(open(os.environ["SCOPEGATE_TEST_EMF_SCHEMA"]))
# The schema predates draft 2020-12 (its "$id"s are JSON-pointer fragments);
# it was written for, and is valid under, draft 7.
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
count = 0
for n, line in enumerate(sys.stdin, 1):
    doc = json.loads(line)
    try:
        validator.validate(doc)
    except jsonschema.ValidationError as e:
        sys.exit(f"line {n}: {e.message}")
    for directive in doc["_aws"]["CloudWatchMetrics"]:
        if len(directive["Metrics"]) > 100:
            sys.exit(f"line {n}: more than 100 metrics in a directive")
        for dims in directive["Dimensions"]:
            if len(dims) > 30:
                sys.exit(f"line {n}: more than 30 dimensions")
            for d in dims:
                if not isinstance(doc.get(d), str):
                    sys.exit(f"line {n}: dimension {d!r} is not a string root member")
        for m in directive["Metrics"]:
            if m.get("StorageResolution", 60) not in (1, 60):
                sys.exit(f"line {n}: StorageResolution {m['StorageResolution']!r}")
            v = doc.get(m["Name"])
            ok = isinstance(v, (int, float)) or (
                isinstance(v, list) and 0 < len(v) <= 100 and all(isinstance(x, (int, float)) for x in v))
            if not ok:
                sys.exit(f"line {n}: metric {m['Name']!r} target is {v!r}")
    count += 1
print(count)
