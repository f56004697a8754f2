/**
 * A counting HTTP proxy in front of the one Vault double: each service process gets its own
 * proxy (its `<P>_VAULT_URL`), so every store request is attributed to the process that
 * sent it, counted here rather than by the library's own stats. Requests and answers pass
 * through unchanged (method, path, headers, body, status).
 */
import { Agent, createServer, request } from "node:http";
import { nowMs } from "./fleet-procs.mjs";

/** Kinds of store request, by KV path under the default mount and prefixes. */
export function requestKind(entry) {
  const path = entry.path;
  if (path.endsWith("/_changes")) return "poll";
  if (path.includes("/secret/data/gofr/config/")) return "secret";
  if (path.includes("/secret/data/gofr/auth/")) return "record";
  return "other";
}

/** Starts a proxy on 127.0.0.1 forwarding to `target` (`http://127.0.0.1:<port>`). */
export async function startCountingProxy(target) {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const log = [];
  const server = createServer((req, res) => {
    const entry = { method: req.method, path: req.url.split("?")[0], time: nowMs(), status: 0 };
    log.push(entry);
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        entry.status = answer.statusCode;
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    /** Requests that arrived in [from, to) (epoch ms), optionally of one kind. */
    count(from, to = Number.POSITIVE_INFINITY, kind = undefined) {
      return log.filter(
        (e) => e.time >= from && e.time < to && (kind === undefined || requestKind(e) === kind),
      ).length;
    },
    /** Arrival times of every request in [from, to) (epoch ms, in order). */
    times(from, to) {
      return log.filter((e) => e.time >= from && e.time < to).map((e) => e.time);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}
