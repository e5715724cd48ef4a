# SPDX-License-Identifier: MIT
"""A minimal LSP client over a subprocess's standard input and output, for the tests."""
import json
import subprocess


class Client:
    def __init__(self, argv, cwd=None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd)
        self.next_id = 1
        self.notes = []  # notifications received, in order

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, obj):
        body = json.dumps(obj).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def read(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise EOFError("the server closed its output")
            line = line.rstrip(b"\r\n")
            if not line:
                break
            k, _, v = line.partition(b":")
            if k.lower() == b"content-length":
                length = int(v)
        assert length is not None, "a message without Content-Length"
        return json.loads(self.proc.stdout.read(length))

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def request(self, method, params=None):
        rid = self.next_id
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.wait_response(rid)

    def wait_response(self, rid):
        while True:
            m = self.read()
            if "method" in m:
                self.notes.append(m)
                continue
            assert m.get("id") == rid, m
            return m

    def diagnostics(self):
        """The last publishDiagnostics per URI among the notifications so far, cleared."""
        out = {}
        for m in self.notes:
            if m["method"] == "textDocument/publishDiagnostics":
                out[m["params"]["uri"]] = m["params"]["diagnostics"]
        self.notes = []
        return out

    def close(self):
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=60)
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc, err
