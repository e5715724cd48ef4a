// SPDX-License-Identifier: MIT
// A small Language Server Protocol client for the editor tests: runs `mgadvise lsp` as a
// child process and exchanges JSON-RPC messages framed by Content-Length headers.
"use strict";

const { spawn } = require("child_process");

class LspClient {
  constructor(command, args) {
    this.proc = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    this.buf = Buffer.alloc(0);
    this.nextId = 1;
    this.pending = new Map();
    this.notes = [];
    this.waiters = [];
    this.proc.stdout.on("data", (d) => this.onData(d));
    this.exited = new Promise((resolve) => this.proc.on("exit", (code) => resolve(code)));
  }

  onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const m = /Content-Length: *(\d+)/i.exec(this.buf.slice(0, end).toString("ascii"));
      if (!m) throw new Error(`mgadvise lsp: a message without Content-Length: ${this.buf.slice(0, end)}`);
      const len = Number(m[1]);
      if (this.buf.length < end + 4 + len) return;
      const msg = JSON.parse(this.buf.slice(end + 4, end + 4 + len).toString("utf8"));
      this.buf = this.buf.slice(end + 4 + len);
      if (msg.id !== undefined && this.pending.has(msg.id)) {
        this.pending.get(msg.id)(msg);
        this.pending.delete(msg.id);
      } else if (msg.method) {
        this.notes.push(msg);
        this.waiters.splice(0).forEach((w) => w());
      }
    }
  }

  send(msg) {
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...msg }), "utf8");
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  // The response to a request: rejects on a JSON-RPC error or after 30 s without one.
  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mgadvise lsp: no answer to ${method}`)), 30000);
      this.pending.set(id, (msg) => {
        clearTimeout(timer);
        if (msg.error) reject(new Error(`mgadvise lsp: ${method}: ${msg.error.message}`));
        else resolve(msg.result);
      });
      this.send({ id, method, params });
    });
  }

  notify(method, params) {
    this.send({ method, params });
  }

  // The first notification `method` whose params satisfy pred, waiting up to 30 s.
  async notification(method, pred = () => true) {
    const deadline = Date.now() + 30000;
    for (;;) {
      const n = this.notes.find((x) => x.method === method && pred(x.params));
      if (n) return n.params;
      if (Date.now() > deadline) throw new Error(`mgadvise lsp: no ${method} notification`);
      await new Promise((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1000);
      });
    }
  }

  async close() {
    await this.request("shutdown", null);
    this.notify("exit", null);
    return this.exited;
  }
}

module.exports = { LspClient };
