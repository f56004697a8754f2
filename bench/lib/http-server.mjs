/**
 * Worker thread for the http bench: the Fastify reference service (examples/web/server.ts,
 * compiled to examples/build) on 127.0.0.1, an ephemeral port. With auth it runs on the
 * embedded SQLite store in the given folder, as `npm start` does. Mode "stub" registers the
 * same plugin with a verifier that returns a fixed context at once: the cost of the adapter,
 * the preHandler and the larger answer without any token work. Posts { port, token } to
 * the parent (the token stays in memory), answers "elu" with this thread's event-loop
 * utilisation (busy time) and closes everything on "close".
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { importBuilt } from "./fixtures.mjs";

const hint = "run `npx tsc -p examples/tsconfig.json` first (npm run bench does)";
const built = (path) => importBuilt(`examples/build/${path}`, hint);

const { mode, folder, secret } = workerData;
const { createWebServer } = await built("examples/web/server.js");
const { silentLogger } = await built("src/log.js");

let auth = null;
let store;
let token;
if (mode === "stub") {
  const { AuthContext } = await built("src/auth-context.js");
  const now = Math.floor(Date.now() / 1000);
  const context = new AuthContext(
    {
      jti: "00000000-0000-4000-8000-000000000000",
      groups: ["billing", "admin"],
      iat: now,
      nbf: now,
      exp: now + 3600,
      aud: "gofr-api",
      iss: "gofr-auth",
      sub: "bench-client",
      name: "bench-client",
    },
    "shared.v1",
  );
  auth = { verifyToken: async () => context, tokens: {} };
} else if (mode !== "off") {
  const { AuthService } = await built("src/auth-service.js");
  const { openAuthDatabase } = await built("src/sqlite/database.js");
  const { SqliteAuthStore } = await built("src/store/sqlite.js");
  const { SqliteSecretSource } = await built("src/secrets/sqlite.js");
  const { JwtSecretProvider } = await built("src/secrets/provider.js");
  const { SHARED_SECRET_NAME } = await built("src/secrets/source.js");
  const database = openAuthDatabase({ path: join(folder, `${mode}.db`), logger: silentLogger });
  store = new SqliteAuthStore({ database });
  const source = new SqliteSecretSource({ database });
  await source.write(SHARED_SECRET_NAME, secret);
  const secretProvider = new JwtSecretProvider({ source, logger: silentLogger });
  auth = new AuthService({ store, secretProvider, logger: silentLogger });
  await auth.groups.create("billing");
  ({ token } = await auth.createToken({ groups: ["billing", "admin"], name: "bench-client" }));
}

const { app } = await createWebServer({
  auth,
  stateless: mode === "stateless" || mode === "stub",
  noAuthReason: "http bench baseline",
  logger: silentLogger,
});
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
parentPort.postMessage({ port: address.port, token });

parentPort.on("message", async (message) => {
  if (message === "elu") {
    const { active, idle } = performance.eventLoopUtilization();
    parentPort.postMessage({ elu: { active, idle } });
  } else if (message === "close") {
    await app.close();
    await store?.close();
    parentPort.close();
  }
});
