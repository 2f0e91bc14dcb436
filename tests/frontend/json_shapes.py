#!/usr/bin/python3
"""json_shapes.py < check.json — the shape facts of `netc check --json`, one line
each, for the golden NAME.shapes files: per network its batch, inputs and outputs,
and per layer its kind, inputs, output shape, parameters and MACs.  Other fields
the report may grow are ignored, so the goldens pin shape inference, not the
JSON layout."""
import json
import sys

doc = json.load(sys.stdin)
for net in doc["networks"]:
    print("network %s batch %d layout %s" % (net["name"], net["batch"], net["layout"]))
    for i in net["inputs"]:
        print("  input %s %s%s" % (i["name"], i["shape"], " target" if i.get("target_only") else ""))
    for o in net["outputs"]:
        print("  output %s %s" % (o["name"], o["shape"]))
    for L in net["layers"]:
        print("  %s = %s(%s) -> %s params %d macs %d" % (L["name"], L["kind"], ", ".join(L["inputs"]),
                                                       L["output_shape"], L["params"], L["macs"]))
    print("  total params %d macs %d" % (net["params"], net["macs"]))
