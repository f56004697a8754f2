import type { Command } from "commander";
import { doctor } from "../../config/doctor.js";
import type { CliContext } from "../context.js";

const MARK = { ok: "ok   ", warn: "WARN ", error: "ERROR" } as const;

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description("check this service's auth configuration; exit 1 on any error finding")
    .option("--offline", "only check the environment and files, do not contact the store")
    .action(async (options: { offline?: boolean }) => {
      const findings = await doctor({
        envPrefix: ctx.envPrefix,
        env: ctx.env,
        connect: !options.offline,
        clock: ctx.clock,
      });
      const errors = findings.filter((finding) => finding.level === "error").length;
      const warnings = findings.filter((finding) => finding.level === "warn").length;
      const lines = findings.map(
        (f) =>
          `${MARK[f.level]} ${f.code}: ${f.message}${f.fix && f.level !== "ok" ? `\n      fix: ${f.fix}` : ""}`,
      );
      lines.push(`\n${errors} errors, ${warnings} warnings`);
      ctx.emit(`${lines.join("\n")}\n`, { findings, errors, warnings });
      if (errors > 0) ctx.exitCode = 1;
    });
}
