#!/usr/bin/env python3
"""A Cedar store made from a JSON permissions document, for benchmarks
(BENCHMARKS.md section 20): each scope a group, each rule's path a route of one
API stage (`*` a {param}, a final `*` a {proxy+}, `*`/ANY as `any`).

    scripts/cedar-store-from-rules.py PERMISSIONS.json OUT_DIR
writes OUT_DIR/schema.json and OUT_DIR/policies/*.cedar."""
import collections
import json
import os
import sys

rules = json.load(open(sys.argv[1]))
out = sys.argv[2]
os.makedirs(os.path.join(out, "policies"), exist_ok=True)
routes, grants = set(), collections.defaultdict(set)
for rule in rules:
    verb = "any" if rule["httpVerb"] in ("*", "ANY") else rule["httpVerb"].lower()
    parts = rule["resource"].split("/")
    path = ["{p%d}" % i if p == "*" else p for i, p in enumerate(parts)]
    if parts[-1] == "*":
        path[-1] = "{proxy+}"
    action = "%s /%s" % (verb, "/".join(path))
    routes.add(action)
    grants[rule["scope"]].add(action)
applies = {"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Application"]}}
schema = {"Api": {"entityTypes": {"UserGroup": {}, "User": {"memberOfTypes": ["UserGroup"]}, "Application": {}},
                  "actions": {a: applies for a in sorted(routes)}}}
json.dump(schema, open(os.path.join(out, "schema.json"), "w"))
for i, (scope, actions) in enumerate(sorted(grants.items())):
    listed = ", ".join('Api::Action::"%s"' % a for a in sorted(actions))
    with open(os.path.join(out, "policies", "p%02d.cedar" % i), "w") as f:
        f.write('permit(principal in Api::UserGroup::"%s", action in [%s], resource);\n' % (scope, listed))
print("%d routes, %d policies" % (len(routes), len(grants)))
