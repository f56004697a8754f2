import type { Command } from "commander";
import { doctor } from "../../config/doctor.js";
import { DOCTOR_FIX_HELP } from "../../config/doctor-integrity.js";
import type { CliContext } from "../context.js";
import { printable, UsageError } from "../output.js";

const MARK = { ok: "ok   ", warn: "WARN ", error: "ERROR" } as const;

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description("check this service's auth configuration; exit 1 on any error finding")
    .option("--offline", "only check the environment and files, do not contact the store")
    .option(
      "--issuers <names>",
      "the fleet's other issuers: warn if this identity may read their signing secrets",
    )
    .option("--fix", "repair what is safe to repair (see below), then report")
    .addHelpText(
      "after",
      `\nChecks the environment, the store's reachability, the signing secret, the reserved\ngroups, the store's integrity (SQLite quick_check; Vault name indexes against the\nrecords) and, on Vault, the identity's key scope. Each finding that is not ok has a fix.\n${DOCTOR_FIX_HELP}`,
    )
    .action(async (options: { offline?: boolean; issuers?: string; fix?: boolean }) => {
      if (options.fix && options.offline)
        throw new UsageError("--fix needs the store: drop --offline");
      const findings = await doctor({
        envPrefix: ctx.envPrefix,
        env: ctx.env,
        connect: !options.offline,
        fix: options.fix ?? false,
        clock: ctx.clock,
        otherIssuers: (options.issuers ?? "")
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean),
      });
      const errors = findings.filter((finding) => finding.level === "error").length;
      const warnings = findings.filter((finding) => finding.level === "warn").length;
      const lines = findings.map(
        // Messages quote environment values and store paths: escaped for the terminal.
        (f) =>
          `${MARK[f.level]} ${f.code}: ${printable(f.message)}${f.fix && f.level !== "ok" ? `\n      fix: ${printable(f.fix)}` : ""}`,
      );
      lines.push(`\n${errors} errors, ${warnings} warnings`);
      ctx.emit(`${lines.join("\n")}\n`, { findings, errors, warnings });
      if (errors > 0) ctx.exitCode = 1;
    });
}
