/**
 * The `LIST` HTTP verb for the double. Real clients (the `vault` CLI, hvac, the Go `api`
 * package) send `LIST /v1/...`; Node's HTTP parser only knows the standard methods and
 * answers a bare 400 before any handler runs. So the double accepts connections itself and
 * hands each one to its `http.Server` through a stream that rewrites `LIST <target>` request
 * lines to `GET <target>` plus a marker header. To find every request line on a keep-alive
 * connection it follows message framing: headers, then a `Content-Length` body or chunked
 * coding (RFC 9112 sections 6-7). Vault treats `LIST` as `GET ?list=true` with a trailing
 * `/` on the path (hashicorp `http/logical.go` `buildLogicalRequestNoAuth`; docs/vault-contract.md
 * row 8).
 */
import { Duplex } from "node:stream";

/** Longest header block followed; past it the bytes pass through untouched. */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF = Buffer.from("\r\n");
const END_OF_HEAD = Buffer.from("\r\n\r\n");

type State =
  | { kind: "head" }
  | { kind: "body"; remaining: number }
  | { kind: "chunk-size" }
  | { kind: "chunk-data"; remaining: number }
  | { kind: "trailers" }
  | { kind: "passthrough" };

/**
 * Rewrites the request lines of an HTTP/1.1 byte stream, chunk by chunk: `LIST ` becomes
 * `GET ` with `<marker>: LIST` added after the request line. Everything else is unchanged.
 */
export class ListVerbRewriter {
  private state: State = { kind: "head" };
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly marker: string) {}

  /** The bytes to hand on for `chunk` (may hold back an incomplete header block). */
  transform(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let input = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (input.length > 0) {
      const used = this.step(input, out);
      if (used === 0) {
        this.pending = input; // need more bytes
        break;
      }
      input = input.subarray(used);
    }
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  /** Consumes a prefix of `input`, pushing output; 0 means "wait for more". */
  private step(input: Buffer, out: Buffer[]): number {
    const state = this.state;
    switch (state.kind) {
      case "passthrough":
        out.push(input);
        return input.length;
      case "body":
      case "chunk-data": {
        const used = Math.min(state.remaining, input.length);
        out.push(input.subarray(0, used));
        state.remaining -= used;
        if (state.remaining === 0) {
          this.state = state.kind === "body" ? { kind: "head" } : { kind: "chunk-size" };
        }
        return used;
      }
      case "head":
        return this.head(input, out);
      case "chunk-size":
        return this.chunkSize(input, out);
      case "trailers":
        return this.trailers(input, out);
    }
  }

  private head(input: Buffer, out: Buffer[]): number {
    // Empty lines before a request line are allowed (RFC 9112 section 2.2).
    if (input.subarray(0, 2).equals(CRLF)) {
      out.push(input.subarray(0, 2));
      return 2;
    }
    const end = input.indexOf(END_OF_HEAD);
    if (end === -1) return this.tooLong(input, out);
    const head = input.subarray(0, end + 4).toString("latin1");
    out.push(Buffer.from(this.rewrite(head), "latin1"));
    this.state = framing(head);
    return end + 4;
  }

  private chunkSize(input: Buffer, out: Buffer[]): number {
    const end = input.indexOf(CRLF);
    if (end === -1) return this.tooLong(input, out);
    const line = input.subarray(0, end + 2);
    out.push(line);
    const size = Number.parseInt(line.toString("latin1").split(";")[0] ?? "", 16);
    if (Number.isNaN(size)) this.state = { kind: "passthrough" };
    else if (size === 0) this.state = { kind: "trailers" };
    else this.state = { kind: "chunk-data", remaining: size + 2 }; // data and its CRLF
    return end + 2;
  }

  private trailers(input: Buffer, out: Buffer[]): number {
    if (input.subarray(0, 2).equals(CRLF)) {
      out.push(input.subarray(0, 2));
      this.state = { kind: "head" };
      return 2;
    }
    const end = input.indexOf(END_OF_HEAD);
    if (end === -1) return this.tooLong(input, out);
    out.push(input.subarray(0, end + 4));
    this.state = { kind: "head" };
    return end + 4;
  }

  /** Waits for more bytes, unless the block is absurdly long: then give up rewriting. */
  private tooLong(input: Buffer, out: Buffer[]): number {
    if (input.length <= MAX_HEAD_BYTES) return 0;
    this.state = { kind: "passthrough" };
    out.push(input);
    return input.length;
  }

  private rewrite(head: string): string {
    if (!head.startsWith("LIST ")) return head;
    const lineEnd = head.indexOf("\r\n");
    return `GET ${head.slice(5, lineEnd)}\r\n${this.marker}: LIST${head.slice(lineEnd)}`;
  }
}

/** What follows a request's header block (RFC 9112 section 6.3 for requests). */
function framing(head: string): State {
  const headers = head.split("\r\n").slice(1);
  const value = (name: string) =>
    headers
      .filter((line) => line.toLowerCase().startsWith(`${name}:`))
      .map((line) =>
        line
          .slice(name.length + 1)
          .trim()
          .toLowerCase(),
      );
  if (head.startsWith("CONNECT ") || value("upgrade").length > 0) return { kind: "passthrough" };
  if (value("transfer-encoding").some((coding) => coding.includes("chunked"))) {
    return { kind: "chunk-size" };
  }
  const length = Number(value("content-length")[0] ?? "0");
  if (!Number.isSafeInteger(length) || length < 0) return { kind: "passthrough" };
  return length > 0 ? { kind: "body", remaining: length } : { kind: "head" };
}

/** The subset of `net.Socket` that the HTTP server and the double use. */
export interface RawSocket extends Duplex {
  remoteAddress?: string;
  remotePort?: number;
  localAddress?: string;
  localPort?: number;
  setTimeout(ms: number): unknown;
  setNoDelay?(noDelay?: boolean): unknown;
  setKeepAlive?(enable?: boolean, delay?: number): unknown;
}

/**
 * A connection as the HTTP server sees it: reads pass through a {@link ListVerbRewriter},
 * writes, timeouts and destruction go to the real socket.
 */
export class ListVerbSocket extends Duplex {
  private readonly rewriter: ListVerbRewriter;

  constructor(
    private readonly raw: RawSocket,
    marker: string,
  ) {
    super({ allowHalfOpen: true });
    this.rewriter = new ListVerbRewriter(marker);
    raw.on("data", (chunk: Buffer) => {
      const bytes = this.rewriter.transform(chunk);
      if (bytes.length > 0 && !this.push(bytes)) raw.pause();
    });
    raw.on("end", () => this.push(null));
    raw.on("error", (error) => this.destroy(error));
    raw.on("close", () => this.destroy());
    raw.on("timeout", () => this.emit("timeout"));
  }

  get remoteAddress(): string | undefined {
    return this.raw.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.raw.remotePort;
  }

  get localAddress(): string | undefined {
    return this.raw.localAddress;
  }

  get localPort(): number | undefined {
    return this.raw.localPort;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.raw.setTimeout(ms);
    if (callback) this.once("timeout", callback);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.raw.setNoDelay?.(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.raw.setKeepAlive?.(enable, delay);
    return this;
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error) => void) {
    this.raw.write(chunk, encoding, (error) => callback(error ?? undefined));
  }

  override _final(callback: (error?: Error) => void): void {
    this.raw.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.raw.destroy();
    callback(error);
  }
}
