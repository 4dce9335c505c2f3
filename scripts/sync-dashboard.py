#!/usr/bin/env python3
"""Embeds dashboards/cloudwatch.json into deploy/template.yaml's Dashboard
resource (the text between the `- |` line under DashboardBody and the
parameter map), so the SAM stack deploys exactly the committed dashboard.
With --check, exits 1 if the template is out of date instead of writing."""
import pathlib, re, sys

root = pathlib.Path(__file__).resolve().parents[1]
template = root / "deploy" / "template.yaml"
body = (root / "dashboards" / "cloudwatch.json").read_text()
indent = " " * 10
block = "".join(indent + line + "\n" if line else "\n" for line in body.rstrip("\n").split("\n"))
text = template.read_text()
pattern = re.compile(r"(      DashboardBody: !Sub\n        - \|\n)(.*?)(        - Namespace:)", re.S)
if not pattern.search(text):
    sys.exit("deploy/template.yaml: DashboardBody block not found")
updated = pattern.sub(lambda m: m.group(1) + block + m.group(3), text)
if "--check" in sys.argv:
    if updated != text:
        sys.exit("deploy/template.yaml does not embed dashboards/cloudwatch.json: run scripts/sync-dashboard.py")
    print("in sync")
else:
    template.write_text(updated)
