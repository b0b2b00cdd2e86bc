#!/usr/bin/env python3
"""Regenerate the examples in docs/protocol.md from a real aliasd.

Every example in protocol.md sits between two markers:

    <!-- example: NAME -->
    ```json
    ...
    ```
    <!-- /example -->

This script builds aliasd (or takes --bin), starts `aliasd mock` with fake
tokens made at run time, talks newline-delimited JSON to
`aliasd stdio --standalone` (and, for the relay examples, to `aliasd stdio`)
in temporary ALIASD_HOMEs, and writes what came back between the markers.
Long values are shortened with `…`; nothing else is edited. It fails if a
token ever appears in a message the server sent.

    python3 docs/examples.py              # build, capture, rewrite protocol.md
    python3 docs/examples.py --bin PATH   # use an existing binary
    python3 docs/examples.py --dry-run    # capture and print, change nothing

Needs Go (unless --bin) and Python 3.8+; no other packages.
"""

import argparse
import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOC = os.path.join(HERE, "protocol.md")

ELIDED = "\u2026ELIDED"  # a string value replaced by … when rendered
MORE_KEYS = "\u2026MORE"  # a key standing for the keys left out


def fake_token():
    return "goatapi_" + secrets.token_hex(16)


class Mock:
    """`aliasd mock` on a free loopback port; tokens via the environment."""

    def __init__(self, binary, specs):
        env = dict(os.environ, ALIASD_MOCK_TOKENS=" ".join(specs))
        self.p = subprocess.Popen([binary, "mock", "--addr", "127.0.0.1:0"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base = self.p.stdout.readline().strip()
        if not self.base.startswith("http://127.0.0.1:"):
            raise SystemExit("aliasd mock did not print its base URL")
        self.origin = self.base.rsplit("/api/v1", 1)[0]

    def fault(self, **rule):
        """Adds a fault rule through the mock's admin endpoint."""
        self._admin("POST", "/_mock/faults", rule)

    def clear_faults(self):
        self._admin("DELETE", "/_mock/faults")

    def _admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.origin + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def close(self):
        self.p.terminate()
        self.p.wait(timeout=10)


class Session:
    """One `aliasd stdio` process spoken to in newline-delimited JSON."""

    def __init__(self, binary, home, base, tokens, args=("stdio", "--standalone"), env=None):
        e = {k: v for k, v in os.environ.items() if not k.startswith("ALIASD_")}
        e.update(ALIASD_HOME=home, ALIASD_BASE_URL=base)
        e.update(env or {})
        self.stderr = open(os.path.join(home, "stdio-stderr.log"), "a")
        self.p = subprocess.Popen([binary, *args], env=e, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.stderr, text=True, bufsize=1)
        self.tokens = list(tokens)
        self.q = queue.Queue()
        self.log = []
        self.next_id = 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def _scrub(self, s):
        for t in self.tokens:
            s = s.replace(t, "goatapi_\u2026")
        return s

    def note(self, text):
        self.log.append(("//", text))

    def send_raw(self, line):
        self.log.append(("-->", self._scrub(line)))
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def send(self, msg):
        self.send_raw(json.dumps(msg, separators=(",", ":"), ensure_ascii=False))

    def request(self, method, params=None, id=None):
        if id is None:
            id = self.next_id
            self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return id

    def call(self, method, params=None, id=None, timeout=30):
        return self.wait_id(self.request(method, params, id), timeout)

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def recv(self, timeout):
        line = self.q.get(timeout=timeout)
        if line is None:
            raise EOFError("aliasd closed stdout")
        for t in self.tokens:
            if t in line:
                raise SystemExit("LEAK: a token appeared in a server message: " + self._scrub(line)[:300])
        self.log.append(("<--", line))
        msg = json.loads(line)
        if "method" in msg and "id" in msg:  # a server request: answer like an editor
            self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
        return msg

    def wait_id(self, id, timeout=30):
        end = time.time() + timeout
        while True:
            m = self.recv(max(0.05, end - time.time()))
            if "method" not in m and m.get("id") == id:
                return m

    def wait_method(self, method, timeout=30):
        end = time.time() + timeout
        while True:
            m = self.recv(max(0.05, end - time.time()))
            if m.get("method") == method:
                return m

    def drain(self, quiet=0.4):
        try:
            while True:
                self.recv(quiet)
        except (queue.Empty, EOFError):
            pass

    def take(self, quiet=0.4):
        """Returns the transcript since the last take."""
        self.drain(quiet)
        out, self.log = self.log, []
        return out

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
            except BrokenPipeError:
                pass
        try:
            code = self.p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            code = self.p.wait()
        self.stderr.close()
        return code


def new_home(conf):
    home = tempfile.mkdtemp(prefix="aliasd-docs-")
    with open(os.path.join(home, "config.toml"), "w") as f:
        f.write(conf)
    return home


CONF = 'token_storage = "file"\n[http]\nmax_attempts = 2\nmax_retry_wait = "2s"\n'


# --- shortening -------------------------------------------------------------

def get_path(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None, None, None
        parent, key, obj = obj, part, obj[part]
    return parent, key, obj


def shorten(v, lists=1, keys=None, strings=160, depth=0, top=False):
    """Keeps the first `lists` items of lists, the first `keys` keys of
    objects (below the top unless top), and the start of long strings."""
    if isinstance(v, list):
        out = [shorten(x, lists, keys, strings, depth + 1, top) for x in v[:lists]]
        if len(v) > lists:
            out.append(ELIDED)
        return out
    if isinstance(v, dict):
        items = list(v.items())
        out = {}
        cut = keys if (keys is not None and (depth > 0 or top)) else None
        for k, x in items[:cut] if cut is not None else items:
            out[k] = shorten(x, lists, keys, strings, depth + 1, top)
        if cut is not None and len(items) > cut:
            out[MORE_KEYS] = ELIDED
        return out
    if isinstance(v, str) and strings is not None and len(v) > strings:
        return v[:strings] + "\u2026"
    return v


def render_msg(text, cuts):
    """Renders one wire message; cuts maps dotted paths to shorten options."""
    try:
        msg = json.loads(text)
    except ValueError:
        return text
    changed = False
    for path, opts in cuts.items():
        parent, key, v = get_path(msg, path)
        if parent is None:
            continue
        if opts == "elide":
            parent[key] = ELIDED
        else:
            parent[key] = shorten(v, **opts)
        changed = True
    if not changed:
        return text
    s = json.dumps(msg, separators=(",", ":"), ensure_ascii=False)
    s = s.replace(',"%s":"%s"' % (MORE_KEYS, ELIDED), ",\u2026")
    s = s.replace('{"%s":"%s"' % (MORE_KEYS, ELIDED), "{\u2026")
    s = s.replace('"%s"' % ELIDED, "\u2026")
    return s


def render(log, cuts=None, only=None):
    """Renders a transcript; only, when set, keeps messages whose text
    matches one of its regexps (plus the notes)."""
    lines = []
    for d, text in log:
        if d == "//":
            lines.append("// " + text)
            continue
        if only and not any(re.search(p, text) for p in only):
            continue
        lines.append(d + " " + render_msg(text, cuts or {}))
    return "\n".join(lines)


# --- scenes -----------------------------------------------------------------

class Capture:
    def __init__(self, binary):
        self.binary = binary
        self.examples = {}
        self.homes = []

    def put(self, name, log, cuts=None, only=None):
        if name in self.examples:
            raise SystemExit("example %s captured twice" % name)
        self.examples[name] = render(log, cuts, only)

    def home(self, conf=CONF):
        h = new_home(conf)
        self.homes.append(h)
        return h

    def cleanup(self):
        for h in self.homes:
            shutil.rmtree(h, ignore_errors=True)


BODY = {"result.body": {"lists": 1, "keys": 4}}


def scene_lifecycle(cap, mock):
    home = cap.home()
    s = Session(cap.binary, home, mock.base, [])
    s.call("alias/status")
    cap.put("before-initialize", s.take())
    s.call("initialize", {"processId": 4242, "clientInfo": {"name": "vscode", "version": "1.100.3"},
                          "capabilities": {}, "initializationOptions": {}})
    s.notify("initialized", {})
    cap.put("initialize", s.take())
    s.call("initialize", {"processId": None})
    s.call("alias/nope")
    s.send_raw('{"jsonrpc":"2.0","id":')
    s.send_raw('{"jsonrpc":"2.0","foo":1}')
    s.send_raw('[{"jsonrpc":"2.0","id":99,"method":"alias/status"}]')
    s.send_raw('{"jsonrpc":"2.0","id":{"n":1},"method":"alias/status"}')
    s.call("alias/endpoints", [1])
    s.call("alias/history/list", {"limit": "ten"})
    cap.put("rpc-errors", s.take(0.6))
    s.call("shutdown")
    s.call("alias/status")
    s.notify("exit")
    log = s.take()
    code = s.close()
    log.append(("//", "the process exits with status %d" % code))
    cap.put("shutdown", log)

    s = Session(cap.binary, home, mock.base, [])
    s.call("initialize", {"processId": None, "clientInfo": {"name": "script"}})
    s.take()
    s.notify("exit")
    log = s.take()
    code = s.close()
    log.append(("//", "the process exits with status %d" % code))
    cap.put("exit-without-shutdown", log)


def scene_main(cap, mock, work, readonly, revoked):
    home = cap.home()
    s = Session(cap.binary, home, mock.base, [work, readonly, revoked])
    s.call("initialize", {"processId": None, "clientInfo": {"name": "vscode", "version": "1.100.3"}, "capabilities": {}})
    s.notify("initialized", {})
    s.take()

    # tokens
    s.call("alias/request", {"method": "GET", "path": "/test"})
    cap.put("no-token", s.take())
    s.call("alias/token/list")
    cap.put("token-list-empty", s.take())
    s.call("alias/token/add", {"name": "work", "token": work})
    cap.put("token-add", s.take())
    s.call("alias/token/add", {"name": "readonly", "token": readonly})
    s.call("alias/token/add", {"name": "revoked", "token": revoked})
    s.take()
    s.call("alias/token/add", {"name": "x", "token": "short"})
    s.call("alias/token/add", {"name": "", "token": work})
    s.call("alias/token/add", {"name": "my token", "token": work})
    cap.put("token-add-errors", s.take())
    s.call("alias/token/list")
    cap.put("token-list", s.take())
    s.call("alias/token/use", {"name": "readonly"})
    s.call("alias/token/use", {"name": "nobody"})
    cap.put("token-use", s.take())
    s.call("alias/token/verify")
    s.call("alias/token/verify", {"name": "revoked"})
    s.call("alias/token/verify", {"name": "nobody"})
    cap.put("token-verify", s.take())
    s.call("alias/token/remove", {"name": "revoked"})
    s.call("alias/token/remove", {"name": "revoked"})
    cap.put("token-remove", s.take())
    s.call("alias/token/use", {"name": "work"})
    s.take()
    s.call("alias/status")
    cap.put("status", s.take())

    # requests
    s.call("alias/request", {"method": "GET", "path": "/test"})
    cap.put("request-test", s.take())
    q = {"query": "jordan 1", "limit": 2}
    s.call("alias/request", {"method": "GET", "path": "/catalog", "query": q})
    cap.put("request-miss", s.take(), BODY)
    s.call("alias/request", {"method": "GET", "path": "/catalog", "query": q})
    cap.put("request-hit", s.take(), BODY, only=[r'"id":\d'])
    s.call("alias/request", {"method": "GET", "path": "/catalog", "query": q, "cache": "no-cache"})
    cap.put("request-no-cache", s.take(), BODY, only=[r'"id":\d'])
    s.call("alias/request", {"method": "GET", "path": "/catalog", "query": q, "cache": "only-if-cached"})
    cap.put("request-only-if-cached", s.take(), BODY, only=[r'"id":\d'])
    s.call("alias/request", {"method": "GET", "path": "/catalog/dunk-low-black-white-dd1391-100", "cache": "only-if-cached"})
    cap.put("request-not-cached", s.take(), only=[r'"id":\d'])

    r = s.call("alias/request", {"method": "GET", "path": "/listings", "query": {"page_size": 1}})
    lid = r["result"]["body"]["listings"][0]["id"]
    s.take()
    lpath = "/listings/" + lid
    s.call("alias/request", {"method": "GET", "path": lpath})
    s.call("alias/request", {"method": "GET", "path": lpath})
    cap.put("request-revalidated", s.take(), BODY, only=[r'"id":\d'])
    s.call("alias/request", {"method": "POST", "path": lpath, "query": {"price_cents": 53000}})
    s.call("alias/request", {"method": "GET", "path": lpath})
    cap.put("request-write", s.take(), BODY, only=[r'"id":\d'])

    s.call("alias/request", {"method": "GET", "path": "/catalog"})
    cap.put("request-api-error", s.take())
    s.call("alias/request", {"method": "GET", "path": lpath, "profile": "readonly"})
    cap.put("request-scope", s.take(), only=[r'"id":\d'])
    s.call("alias/request", {"method": "GET", "path": "/catalog/no-such-item"})
    cap.put("request-not-found", s.take(), only=[r'"id":\d'])
    s.call("alias/request", {"method": "GET", "path": "/regions"})
    cap.put("request-no-endpoint", s.take(), only=[r'"id":\d'])

    mock.fault(path_prefix="/test", status=503, count=1)
    s.note("mock fault: the next GET /test answers 503")
    s.call("alias/request", {"method": "GET", "path": "/test"})
    cap.put("request-retried", s.take(), only=[r'"id":\d', "^mock"])
    mock.clear_faults()

    mock.fault(path_prefix=lpath, status=503, count=4)
    s.note("mock fault: GET %s answers 503 (the entry cached above is older than its TTL of 0)" % lpath)
    s.call("alias/request", {"method": "GET", "path": lpath})
    cap.put("request-stale", s.take(), BODY, only=[r'"id":\d'])
    s.note("same fault, allowStale false")
    s.call("alias/request", {"method": "GET", "path": lpath, "allowStale": False})
    cap.put("request-no-stale", s.take(), only=[r'"id":\d'])
    mock.clear_faults()

    mock.fault(path_prefix="/test", reset_connection=True, count=10)
    s.note("mock fault: GET /test resets the connection")
    s.call("alias/request", {"method": "GET", "path": "/test"})
    cap.put("request-network", s.take(), only=[r'"id":\d'])
    mock.clear_faults()

    bad = [
        {"path": "/test"},
        {"method": "PATCH", "path": "/test"},
        {"method": "GET", "path": "https://api.alias.org/api/v1/test"},
        {"method": "GET", "path": "/catalog?query=dunk"},
        {"method": "GET", "path": "/test", "cache": "force-cache"},
        {"method": "GET", "path": "/test", "body": {"x": 1}},
        {"method": "GET", "path": "/catalog", "query": {"query": None}},
        {"method": "GET", "path": "/test", "allowStale": "yes"},
        {"method": "GET", "path": "/test", "profile": "nobody"},
    ]
    for p in bad:
        s.call("alias/request", p)
    cap.put("request-errors", s.take())

    # cancellation and duplicate ids
    mock.fault(path_prefix="/test", latency="3s", count=1)
    s.note("mock fault: the next GET /test answers after 3 s")
    s.request("alias/request", {"method": "GET", "path": "/test"}, id=70)
    time.sleep(0.5)
    s.notify("$/cancelRequest", {"id": 70})
    s.wait_id(70)
    s.notify("$/cancelRequest", {"id": 70})
    cap.put("cancel", s.take())
    mock.clear_faults()
    mock.fault(path_prefix="/test", latency="1s", count=1)
    s.note("mock fault: the next GET /test answers after 1 s")
    s.request("alias/request", {"method": "GET", "path": "/test"}, id="a1")
    s.request("alias/status", id="a1")
    s.wait_id("a1")
    s.wait_id("a1")
    cap.put("duplicate-id", s.take(), BODY, only=[r'"id":"a1"', "^mock"])
    mock.clear_faults()

    # pagination
    s.call("alias/paginate", {"path": "/listings", "query": {"page_size": 2}, "maxPages": 3,
                              "workDoneToken": "walk-1"})
    cap.put("paginate", s.take(), {"result.items": {"lists": 1, "keys": 3}})
    s.call("alias/paginate", {"path": "/catalog", "query": {"query": "dunk", "limit": 3}, "maxItems": 4})
    cap.put("paginate-max-items", s.take(), {"result.items": {"lists": 1, "keys": 3}}, only=[r'"id":\d'])
    s.call("alias/paginate", {"path": "/orders", "query": {"page_size": 50}, "workDoneToken": 8})
    cap.put("paginate-progress-default-cap", s.take(), {"result.items": {"lists": 1, "keys": 3}},
            only=[r'"\$/progress"', r'"id":\d'])
    s.call("alias/paginate", {"path": "/listings", "query": {"page_size": 500}})
    cap.put("paginate-api-error", s.take(), only=[r'"id":\d'])
    s.call("alias/paginate", {"path": "/test"})
    s.call("alias/paginate", {"path": "/listings", "maxItems": -1})
    cap.put("paginate-errors", s.take())

    s.call("alias/endpoints")
    cap.put("endpoints", s.take(), {"result.endpoints": {"lists": 2, "keys": None, "strings": None}})

    # history
    r = s.call("alias/history/list", {"limit": 2})
    cap.put("history-list", s.take())
    s.call("alias/history/list", {"limit": 2, "cursor": r["result"]["next"]})
    cap.put("history-list-cursor", s.take(), {"result.entries": {"lists": 1, "keys": 6}})
    s.call("alias/history/list", {"errorsOnly": True, "path": "/catalog", "limit": 1})
    s.call("alias/history/list", {"status": "0"})
    s.call("alias/history/list", {"status": "4xx", "text": "scope"})
    s.call("alias/history/list", {"since": "2020-01-01T00:00:00Z", "until": "2020-01-02T00:00:00Z"})
    cap.put("history-list-filters", s.take(), {"result.entries": {"lists": 1, "keys": 8}})
    for p in [{"limit": 5000}, {"since": "yesterday"}, {"cursor": "abc"}, {"status": "teapot"},
              {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}]:
        s.call("alias/history/list", p)
    cap.put("history-list-errors", s.take())

    e = s.call("alias/request", {"method": "GET", "path": "/catalog", "query": {"limit": 1}})["result"]
    s.take()
    s.call("alias/history/get", {"id": e["historyId"]})
    cap.put("history-get", s.take())
    s.call("alias/history/get", {"requestId": e["requestId"]})
    cap.put("history-get-rid", s.take(), {"result": {"keys": 8, "top": True}})
    s.call("alias/history/get", {})
    s.call("alias/history/get", {"id": "1zzzzzzzzzzzz"})
    s.call("alias/history/get", {"requestId": "not-a-request-id"})
    cap.put("history-get-errors", s.take())

    s.call("alias/history/export", {"format": "ndjson", "limit": 1})
    cap.put("history-export-ndjson", s.take(), {"result.data": {"strings": 300}})
    s.call("alias/history/export", {"format": "har", "errorsOnly": True})
    cap.put("history-export-har", s.take(), {"result.data": {"strings": 420}})
    s.call("alias/history/export", {})
    s.call("alias/history/export", {"format": "csv"})
    cap.put("history-export-errors", s.take())

    # cache
    s.call("alias/cache/stats")
    s.call("alias/cache/stats", {"pathPrefix": "/catalog"})
    cap.put("cache-stats", s.take())
    s.call("alias/cache/clear", {"pathPrefix": "/listings"})
    s.call("alias/cache/clear")
    cap.put("cache-clear", s.take())

    s.call("alias/history/clear")
    s.call("alias/history/list")
    cap.put("history-clear", s.take())

    # configuration reloads
    conf = os.path.join(home, "config.toml")
    with open(conf, "a") as f:
        f.write('[daemon]\nidle_timeout = "10m"\n')
    s.note("config.toml edited: [daemon] idle_timeout = \"10m\" added")
    s.wait_method("window/logMessage", 15)
    with open(conf, "a") as f:
        f.write('[cache]\nmax_bytez = 1\n')
    s.note("config.toml edited: [cache] max_bytez = 1 added (a typo)")
    s.wait_method("window/showMessage", 15)
    cap.put("config-reload", s.take())
    s.call("shutdown")
    s.notify("exit")
    s.take()
    s.close()


def scene_env_token(cap, mock, envtok):
    home = cap.home()
    s = Session(cap.binary, home, mock.base, [envtok], env={"ALIASD_TOKEN": envtok})
    s.call("initialize", {"processId": None, "clientInfo": {"name": "script"}})
    s.take()
    s.call("alias/status")
    s.call("alias/token/verify")
    cap.put("env-token", s.take(), only=[r'"id":\d'])
    s.close()


def scene_relay(cap, mock, envtok, work):
    home = cap.home(CONF + '[daemon]\nidle_timeout = "2s"\n')
    a = Session(cap.binary, home, mock.base, [envtok, work], args=("stdio",))
    a.call("initialize", {"processId": None, "clientInfo": {"name": "vscode", "version": "1.100.3"},
                          "initializationOptions": {"aliasd": {"envToken": envtok}}})
    a.notify("initialized", {})
    st = a.call("alias/status")
    cap.put("relay-status", a.take(), only=[r'"id":\d'])
    b = Session(cap.binary, home, mock.base, [envtok, work], args=("stdio",))
    b.call("initialize", {"processId": None, "clientInfo": {"name": "nvim", "version": "0.7.2"}})
    b.notify("initialized", {})
    b.take()
    a.call("alias/request", {"method": "GET", "path": "/test"})
    a.take()
    b.wait_method("alias/history/appended")
    cap.put("relay-appended", b.take())

    mock.fault(path_prefix="/test", latency="5s", count=1)
    a.note("mock fault: the next GET /test answers after 5 s; the daemon (pid %d) is killed meanwhile"
           % st["result"]["pid"])
    a.request("alias/request", {"method": "GET", "path": "/test"}, id=41)
    time.sleep(0.5)
    os.kill(st["result"]["pid"], signal.SIGKILL)
    a.wait_id(41)
    a.wait_method("window/showMessage")
    st2 = a.call("alias/status")
    cap.put("relay-daemon-died", a.take(), only=[r'"id":4', r'"id":"?\d', "showMessage", "^mock"])
    mock.clear_faults()
    for s in (a, b):
        s.call("shutdown")
        s.notify("exit")
        s.take()
        s.close()
    wait_exit(st2["result"]["pid"], 20)


def alive(pid):
    """Reports whether pid runs (a zombie does not count)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def wait_exit(pid, timeout):
    """Waits for the shared daemon the relay started to leave on its idle
    timeout; stops it with SIGTERM if it has not."""
    end = time.time() + timeout
    while time.time() < end:
        if not alive(pid):
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


# An example block: the opening marker and fence, the lines inside (none
# when empty), and the closing fence and marker. The body never crosses a
# fence, so an empty block cannot swallow the next one.
MARK = re.compile(r"(<!-- example: ([a-z0-9-]+) -->\n```json\n)((?:(?!```).*\n)*?)(```\n<!-- /example -->)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", help="aliasd binary (default: go build into a temporary directory)")
    ap.add_argument("--dry-run", action="store_true", help="print the examples, do not touch protocol.md")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="aliasd-docs-bin-")
    binary = args.bin
    if not binary:
        binary = os.path.join(tmp, "aliasd")
        subprocess.run(["go", "build", "-o", binary, "./cmd/aliasd"], cwd=ROOT, check=True)

    work, readonly, revoked, envtok = fake_token(), fake_token(), fake_token(), fake_token()
    mock = Mock(binary, [work, readonly + ":test,catalog,pricing", envtok])
    cap = Capture(binary)
    try:
        scene_lifecycle(cap, mock)
        scene_main(cap, mock, work, readonly, revoked)
        scene_env_token(cap, mock, envtok)
        scene_relay(cap, mock, envtok, work)
    finally:
        mock.close()
        cap.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    for name, text in cap.examples.items():
        for t in (work, readonly, revoked, envtok):
            if t in text:
                raise SystemExit("LEAK: a token in example " + name)

    if args.dry_run:
        for name, text in cap.examples.items():
            print("### " + name + "\n" + text + "\n")
        return

    doc = open(DOC, encoding="utf-8").read()
    used = set()

    def fill(m):
        name = m.group(2)
        if name not in cap.examples:
            raise SystemExit("protocol.md wants example %s, which no scene captures" % name)
        used.add(name)
        return m.group(1) + cap.examples[name] + "\n" + m.group(4)

    opened = doc.count("<!-- example: ")
    doc = MARK.sub(fill, doc)
    if len(used) != opened:
        raise SystemExit("protocol.md has %d example markers but %d well-formed blocks" % (opened, len(used)))
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(doc)
    unused = sorted(set(cap.examples) - used)
    print("protocol.md: %d examples written%s" % (len(used), "; not used: " + ", ".join(unused) if unused else ""))


if __name__ == "__main__":
    main()
