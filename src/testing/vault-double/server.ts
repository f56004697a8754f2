/**
 * The double's listener: a TCP (or TLS) server on 127.0.0.1 whose connections go to an
 * `http.Server` through {@link ListVerbSocket}, so that requests with the `LIST` verb reach
 * the handler (as `GET` with a marker header). TLS ends here, so HTTPS gets `LIST` too.
 */
import { randomBytes } from "node:crypto";
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { ListVerbSocket, type RawSocket } from "./list-verb.js";

export interface DoubleServerOptions {
  tls?: { key: string | Buffer; cert: string | Buffer };
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export class DoubleServer {
  /** Header the rewriter adds to a `LIST` request; random, so no client can forge it. */
  readonly listMarker = `x-vault-double-verb-${randomBytes(6).toString("hex")}`;
  private readonly http: HttpServer;
  private readonly listener: NetServer;
  private readonly connections = new Set<Socket>();

  constructor(options: DoubleServerOptions) {
    this.http = createHttpServer(options.handler);
    this.http.keepAliveTimeout = 5000;
    const accept = (socket: RawSocket) => {
      this.http.emit("connection", new ListVerbSocket(socket, this.listMarker));
    };
    this.listener = options.tls
      ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, accept)
      : createNetServer(accept);
    this.listener.on("connection", (socket: Socket) => {
      this.connections.add(socket);
      socket.once("close", () => this.connections.delete(socket));
    });
  }

  /** Listens on 127.0.0.1 and resolves to the port. */
  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.listener.once("error", reject);
      this.listener.listen(port, "127.0.0.1", () => {
        this.listener.off("error", reject);
        resolve();
      });
    });
    const address = this.listener.address();
    if (address === null || typeof address === "string") throw new Error("no TCP address");
    return address.port;
  }

  /** Stops listening and destroys every open connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    await closed;
  }
}
