import { existsSync, readFileSync } from "node:fs";

/**
 * Best-effort "are we in a container?": Docker's marker file, a Kubernetes service env var,
 * or a container runtime in PID 1's cgroup. Used only to warn about `localhost` Vault URLs.
 */
export function detectContainer(env: NodeJS.ProcessEnv): boolean {
  if (existsSync("/.dockerenv") || existsSync("/run/.containerenv")) return true;
  if (env.KUBERNETES_SERVICE_HOST) return true;
  try {
    return /docker|kubepods|containerd|libpod/.test(readFileSync("/proc/1/cgroup", "utf8"));
  } catch {
    return false;
  }
}
