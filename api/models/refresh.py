#!/usr/bin/env python3
"""Refresh the AWS API models in api/models from the installed botocore.

    python3 api/models/refresh.py ecs/2014-11-13 logs/2014-03-28

For each SERVICE/VERSION it reads botocore/data/SERVICE/VERSION/service-2.json
(or .json.gz), drops every "documentation" and "documentationUrl" key at any
depth, and writes api/models/SERVICE-VERSION.json with sorted keys, a
one-space indent and no trailing newline, so that refreshing an unchanged
model is a no-op. Regenerate afterwards: go generate ./internal/api/...
"""
import gzip
import json
import os
import sys

import botocore

DROP = {"documentation", "documentationUrl"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def load(path):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    with gzip.open(path + ".gz", "rt", encoding="utf-8") as f:
        return json.load(f)


def main(args):
    if not args:
        sys.exit(__doc__)
    data_dir = os.path.join(os.path.dirname(botocore.__file__), "data")
    out_dir = os.path.dirname(os.path.abspath(__file__))
    for arg in args:
        service, version = arg.split("/")
        model = strip(load(os.path.join(data_dir, service, version, "service-2.json")))
        out = os.path.join(out_dir, "%s-%s.json" % (service, version))
        with open(out, "w", encoding="utf-8") as f:
            f.write(json.dumps(model, indent=1, sort_keys=True))
        print("wrote %s (botocore %s)" % (out, botocore.__version__))


if __name__ == "__main__":
    main(sys.argv[1:])
