"""Validates EMF documents (one JSON object per line on stdin) against
tests/fixtures/emf.schema.json, plus the target-member rules a schema cannot
express: every referenced dimension is a string root member, every metric a
number or an array of at most 100 numbers. Exits 1 naming the first fault."""
import json, pathlib, sys
import jsonschema

schema = json.loads((pathlib.Path(__file__).parents[1] / "fixtures" / "emf.schema.json").read_text())
count = 0
for n, line in enumerate(sys.stdin, 1):
    doc = json.loads(line)
    jsonschema.validate(doc, schema)
    for directive in doc["_aws"]["CloudWatchMetrics"]:
        for dims in directive["Dimensions"]:
            for d in dims:
                if not isinstance(doc.get(d), str):
                    sys.exit(f"line {n}: dimension {d!r} is not a string root member")
        for m in directive["Metrics"]:
            v = doc.get(m["Name"])
            ok = isinstance(v, (int, float)) or (
                isinstance(v, list) and len(v) <= 100 and all(isinstance(x, (int, float)) for x in v))
            if not ok:
                sys.exit(f"line {n}: metric {m['Name']!r} target is {v!r}")
    count += 1
print(count)
