/**
 * A TypeScript fixture run in its own OS process (through vite-node, shipped with vitest,
 * so it runs against src/ without a build), talked to with one command per stdin line and
 * answering one JSON object per stdout line.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const VITE_NODE = join(ROOT, "node_modules", "vite-node", "vite-node.mjs");

export class JsonLineProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code once the process closed (stdout drained). */
  readonly exited: Promise<number | null>;
  private readonly messages: Array<Record<string, unknown>> = [];
  private readonly waiters: Array<() => void> = [];
  private stderr = "";
  private closed = false;

  constructor(
    private readonly label: string,
    script: string,
    args: readonly string[],
  ) {
    this.child = spawn(process.execPath, [VITE_NODE, script, ...args], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      this.messages.push(JSON.parse(line) as Record<string, unknown>);
      for (const wake of this.waiters.splice(0)) wake();
    });
    // "close", not "exit": it fires only after stdout is drained, so no result line is lost.
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code) => {
        this.closed = true;
        for (const wake of this.waiters.splice(0)) wake();
        resolve(code);
      }),
    );
  }

  /**
   * The next message (of one of `types`, if given); fails with the process's stderr if it
   * exits first.
   */
  async next(...types: string[]): Promise<Record<string, unknown>> {
    for (;;) {
      const index = this.messages.findIndex(
        (message) => types.length === 0 || types.includes(String(message.type)),
      );
      if (index >= 0) return this.messages.splice(index, 1)[0] as Record<string, unknown>;
      if (this.closed) {
        const wanted = types.length > 0 ? ` before '${types.join("' or '")}'` : "";
        throw new Error(`${this.label} exited (${this.child.exitCode})${wanted}: ${this.stderr}`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  send(command: string): void {
    this.child.stdin.write(`${command}\n`);
  }

  /** Ends its input and waits for it to exit. */
  async stop(): Promise<void> {
    if (!this.closed) this.child.stdin.end();
    await this.exited;
  }
}
