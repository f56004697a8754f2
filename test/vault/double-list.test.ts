/**
 * The `LIST` HTTP verb, as the Vault CLI, hvac and the Go client send it (hashicorp
 * `http/logical.go` `buildLogicalRequestNoAuth`: `LIST` is a list with a trailing `/` on
 * the path; docs/vault-contract.md row 8). Raw sockets, since `fetch` cannot send `LIST`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ListVerbRewriter } from "../../src/testing/vault-double/list-verb.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { call, tokenWithPolicies } from "./double-http.js";
import {
  DOUBLE_ROOT_TOKEN,
  describeContract,
  describeDoubleOnly,
  startTarget,
  type VaultTarget,
} from "./target.js";

interface RawAnswer {
  status: number;
  body: unknown;
}

/** One HTTP/1.1 exchange at a time over a kept-alive socket. */
class RawClient {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;

  constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
  }

  /** Sends `request` (in the given pieces) and reads one response. */
  async exchange(...pieces: string[]): Promise<RawAnswer> {
    for (const piece of pieces) this.socket.write(piece);
    for (;;) {
      const answer = this.take();
      if (answer) return answer;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  /** A complete response from the buffer (Content-Length or chunked), if there is one. */
  private take(): RawAnswer | undefined {
    const end = this.buffer.indexOf("\r\n\r\n");
    if (end === -1) return undefined;
    const head = this.buffer.subarray(0, end).toString("latin1");
    const status = Number(head.split(" ")[1]);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let rest = this.buffer.subarray(end + 4);
    let body: Buffer;
    if (length) {
      if (rest.length < Number(length[1])) return undefined;
      body = rest.subarray(0, Number(length[1]));
      rest = rest.subarray(Number(length[1]));
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf("\r\n");
        if (lineEnd === -1) return undefined;
        const size = Number.parseInt(rest.subarray(0, lineEnd).toString(), 16);
        if (rest.length < lineEnd + 2 + size + 2) return undefined;
        parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        rest = rest.subarray(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      body = Buffer.alloc(0);
    }
    this.buffer = rest;
    const text = body.toString("utf8");
    return { status, body: text ? JSON.parse(text) : undefined };
  }
}

function request(method: string, url: URL, path: string, token: string, body?: string): string {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${url.host}`, `X-Vault-Token: ${token}`];
  if (body !== undefined) {
    lines.push("Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`);
  }
  return `${lines.join("\r\n")}\r\n\r\n${body ?? ""}`;
}

async function open(url: URL, options: { ca?: Buffer } = {}): Promise<RawClient> {
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const socket =
    url.protocol === "https:"
      ? tlsConnect({ host: url.hostname, port, ca: options.ca })
      : connect(port, url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once(url.protocol === "https:" ? "secureConnect" : "connect", () => resolve());
    socket.once("error", reject);
  });
  return new RawClient(socket);
}

const keysOf = (answer: RawAnswer) => (answer.body as { data: { keys: string[] } }).data.keys;

/** The raw-socket tests speak plain HTTP; a real Vault behind https is skipped. */
const plainHttp = !(process.env.VAULT_ADDR ?? "").startsWith("https:");

describeContract("the LIST verb", () => {
  let target: VaultTarget;
  let url: URL;
  let base: string;
  beforeAll(async () => {
    target = await startTarget();
    url = new URL(target.url);
    base = `${target.prefix}/list-verb`;
    for (const key of ["a", "dir/b"]) {
      await call(target.url, "POST", `secret/data/${base}/${key}`, {
        token: target.rootToken,
        body: { data: { key } },
      });
    }
  });
  afterAll(() => target.stop());

  it.skipIf(!plainHttp)(
    "lists keys, keeps the connection alive across requests and bodies, and 404s when empty",
    async () => {
      const client = await open(url);
      try {
        // Split inside the verb: the double must wait for the whole request line.
        const first = request("LIST", url, `/v1/secret/metadata/${base}`, target.rootToken);
        const answer = await client.exchange(first.slice(0, 2), first.slice(2));
        expect(answer.status).toBe(200);
        expect(keysOf(answer)).toEqual(["a", "dir/"]);
        // A body that contains "LIST " must not be taken for a request line.
        const write = JSON.stringify({ data: { note: "LIST /v1/sys/health HTTP/1.1" } });
        const path = `/v1/secret/data/${base}/dir/c`;
        const written = await client.exchange(request("POST", url, path, target.rootToken, write));
        expect(written.status).toBe(200);
        const second = await client.exchange(
          request("LIST", url, `/v1/secret/metadata/${base}/dir/`, target.rootToken),
        );
        expect(keysOf(second)).toEqual(["b", "c"]);
        const empty = await client.exchange(
          request("LIST", url, `/v1/secret/metadata/${base}/nothing`, target.rootToken),
        );
        expect(empty).toEqual({ status: 404, body: { errors: [] } });
      } finally {
        client.close();
      }
    },
  );

  it.skipIf(!plainHttp)("checks the ACL on the path with a trailing slash", async () => {
    const token = await tokenWithPolicies(
      target.url,
      target.rootToken,
      (label) => target.policyName(label),
      [{ [`secret/metadata/${base}/*`]: ["list"] }],
    );
    const client = await open(url);
    try {
      const answer = await client.exchange(
        request("LIST", url, `/v1/secret/metadata/${base}`, token),
      );
      expect(answer.status).toBe(200);
      expect(keysOf(answer)).toEqual(["a", "dir/"]);
    } finally {
      client.close();
    }
  });
});

/** A self-signed certificate for 127.0.0.1, or undefined without a usable openssl. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } | undefined {
  try {
    const dir = mkdtempSync(join(tmpdir(), "gofr-vault-list-"));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        .concat(["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1"])
        .concat(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]),
      { stdio: "ignore" },
    );
    return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
  } catch {
    console.info("[vault] HTTPS LIST test skipped: no usable openssl");
    return undefined;
  }
}

const tls = selfSignedCertificate();

describeDoubleOnly("the LIST verb in the double", "the request log and TLS set-up", () => {
  it.skipIf(!tls)("logs LIST as its method and serves it over HTTPS too", async () => {
    const { key, cert } = tls as { key: Buffer; cert: Buffer };
    const vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, tls: { key, cert } });
    const url = new URL(await vault.start());
    vault.putSecret("folder/x", { v: 1 });
    const client = await open(url, { ca: cert });
    try {
      const answer = await client.exchange(
        request("LIST", url, "/v1/secret/metadata/folder", DOUBLE_ROOT_TOKEN),
      );
      expect(keysOf(answer)).toEqual(["x"]);
      expect(vault.countRequests({ method: "LIST", path: "/v1/secret/metadata/folder" })).toBe(1);
    } finally {
      client.close();
      await vault.close();
    }
  });

  it("the rewriter changes request lines only, whatever the chunking", () => {
    const stream =
      "LIST /a HTTP/1.1\r\nHost: x\r\n\r\n" +
      "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nLIST \r\n0\r\n\r\n" +
      "\r\nPUT /c HTTP/1.1\r\nContent-Length: 5\r\n\r\nLIST " +
      "LIST /d HTTP/1.1\r\nHost: x\r\n\r\n";
    const expected = stream
      .replace("LIST /a HTTP/1.1\r\n", "GET /a HTTP/1.1\r\nm: LIST\r\n")
      .replace("LIST /d HTTP/1.1\r\n", "GET /d HTTP/1.1\r\nm: LIST\r\n");
    for (const size of [1, 3, 7, stream.length]) {
      const rewriter = new ListVerbRewriter("m");
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) {
        out.push(rewriter.transform(Buffer.from(stream.slice(i, i + size), "latin1")));
      }
      expect(Buffer.concat(out).toString("latin1"), `pieces of ${size}`).toBe(expected);
    }
  });
});
