"""Runs pip-audit against a local OSV query endpoint, for strata's peer comparison.

pip-audit asks https://api.osv.dev/v1/query about each pinned requirement. This script
answers those queries from a folder of OSV records on disk instead (the PyPA advisory
database of ../shared/data), so the comparison is offline and uses the same data as
strata. The endpoint decides "affected" with its own code, independent of strata's: PEP 440
ordering from `packaging` (the reference implementation) and OSV's range semantics.

usage: pip_audit_local.py RECORDS_DIR REQUIREMENTS_TXT CACHE_DIR  (pip-audit JSON on stdout)
"""

import http.server
import json
import os
import sys
import threading

import requests
import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def load_records(root):
    by_name = {}
    for folder, _, files in os.walk(root):
        for f in files:
            if not f.endswith((".yaml", ".yml", ".json")):
                continue
            with open(os.path.join(folder, f), encoding="utf-8") as fh:
                # BaseLoader keeps every scalar a string: versions and dates as written.
                rec = yaml.load(fh, Loader=yaml.BaseLoader)
            if not isinstance(rec, dict) or "id" not in rec:
                continue
            for a in rec.get("affected") or []:
                pkg = a.get("package") or {}
                if pkg.get("ecosystem") == "PyPI" and pkg.get("name"):
                    by_name.setdefault(canonicalize_name(pkg["name"]), []).append(rec)
    return by_name


def parse(v):
    try:
        return Version(v)
    except InvalidVersion:
        return None


def in_range(events, version):
    """OSV: sort the events by version; introduced opens, fixed/limit close at the
    version, last_affected closes after it."""
    keyed = []
    for e in events:
        (kind, v), = e.items()
        key = Version("0") if v == "0" else parse(v)
        if key is None:
            continue
        keyed.append((key, kind))
    keyed.sort(key=lambda kv: kv[0])
    affected = False
    for key, kind in keyed:
        if kind == "introduced" and key <= version:
            affected = True
        elif kind in ("fixed", "limit") and key <= version:
            affected = False
        elif kind == "last_affected" and key < version:
            affected = False
    return affected


def is_affected(rec, name, version_str):
    if rec.get("withdrawn"):
        return False
    version = parse(version_str)
    for a in rec.get("affected") or []:
        pkg = a.get("package") or {}
        if pkg.get("ecosystem") != "PyPI" or canonicalize_name(pkg.get("name", "")) != name:
            continue
        if version_str in (a.get("versions") or []):
            return True
        if version is None:
            continue
        for r in a.get("ranges") or []:
            if r.get("type") == "ECOSYSTEM" and in_range(r.get("events") or [], version):
                return True
    return False


def serve(by_name):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            name = canonicalize_name(body["package"]["name"])
            hits = [r for r in by_name.get(name, []) if is_affected(r, name, body["version"])]
            out = json.dumps({"vulns": hits} if hits else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return "http://127.0.0.1:%d" % server.server_address[1]


def main():
    records, requirements, cache = sys.argv[1:4]
    base = serve(load_records(records))
    original = requests.Session.request

    def local(self, method, url, *args, **kwargs):
        if url.startswith("https://api.osv.dev/"):
            url = base + url[len("https://api.osv.dev") :]
        return original(self, method, url, *args, **kwargs)

    requests.Session.request = local
    from pip_audit._cli import audit

    sys.argv = ["pip-audit", "-r", requirements, "--no-deps", "--disable-pip", "-s", "osv",
                "-f", "json", "--cache-dir", cache, "--progress-spinner", "off"]
    audit()


if __name__ == "__main__":
    main()
