#!/usr/bin/python3
#
# Copyright (C) ngx_http_webauthn_module authors
#
# Parses a Prometheus text exposition (stdin) with the reference parser,
# prometheus_client.parser (Debian's python3-prometheus-client), and prints
# it as JSON for t/012-metrics.t:
#
#   {"families": {name: {"type": ..., "help": ...}},
#    "samples": {"name{label=\"value\",...}": value}}
#
# labels sorted by name; a parse error exits non-zero.

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    families = {}
    samples = {}

    for f in text_string_to_metric_families(sys.stdin.read()):
        families[f.name] = {"type": f.type, "help": f.documentation}
        for s in f.samples:
            labels = ",".join('%s="%s"' % (k, s.labels[k])
                              for k in sorted(s.labels))
            key = s.name + ("{%s}" % labels if labels else "")
            if key in samples:
                sys.exit("duplicate sample: " + key)
            samples[key] = s.value

    json.dump({"families": families, "samples": samples}, sys.stdout,
              sort_keys=True)


if __name__ == "__main__":
    main()
