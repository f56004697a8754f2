import type { Command } from "commander";
import type { Group } from "../../groups/group.js";
import type { CliContext } from "../context.js";
import { printable, shortTime, table } from "../output.js";

export function registerGroups(program: Command, ctx: CliContext): void {
  const groups = program
    .command("groups")
    .description("list, create, retire and restore groups")
    .addHelpText(
      "after",
      "\nExamples:\n  gofr-auth groups create finance -d 'Finance team'\n  gofr-auth groups list --include-defunct",
    );

  groups
    .command("list")
    .description("list groups (reserved public and admin always exist)")
    .option("--include-defunct", "also show defunct groups")
    .action(async (options: { includeDefunct?: boolean }) => {
      const { auth } = await ctx.open();
      const list = await auth.groups.list({ includeDefunct: options.includeDefunct });
      const rows = list.map((g) => [
        g.name,
        g.isActive ? "active" : "defunct",
        g.isReserved ? "yes" : "no",
        shortTime(g.createdAt),
        g.description ?? "",
      ]);
      ctx.emit(
        `${table(["NAME", "STATUS", "RESERVED", "CREATED", "DESCRIPTION"], rows)}Total: ${list.length} groups\n`,
        list.map(groupJson),
      );
    });

  groups
    .command("create")
    .description("create a group (lower-case a-z, 0-9 and '-')")
    .argument("<name>", "group name, e.g. finance")
    .option("-d, --description <text>", "what the group is for")
    .action(async (name: string, options: { description?: string }) => {
      const { auth } = await ctx.open();
      const group = await auth.groups.create(name, { description: options.description });
      ctx.emit(
        `Created group ${printable(group.name)} (${printable(group.id)})\n`,
        groupJson(group),
      );
    });

  groups
    .command("defunct")
    .description("retire a group: it can no longer be put in new tokens")
    .argument("<name>", "group name")
    .action(async (name: string) => {
      const { auth } = await ctx.open();
      const changed = await auth.groups.makeDefunct(name);
      ctx.emit(
        changed
          ? `Group ${printable(name)} is now defunct\n`
          : `Group ${printable(name)} was already defunct (unchanged)\n`,
        { name, changed },
      );
    });

  groups
    .command("restore")
    .description("bring a defunct group back")
    .argument("<name>", "group name")
    .action(async (name: string) => {
      const { auth } = await ctx.open();
      const changed = await auth.groups.restore(name);
      ctx.emit(
        changed
          ? `Group ${printable(name)} is active again\n`
          : `Group ${printable(name)} was already active (unchanged)\n`,
        { name, changed },
      );
    });
}

export function groupJson(group: Group) {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    isActive: group.isActive,
    isReserved: group.isReserved,
    createdAt: group.createdAt.toISOString(),
    defunctAt: group.defunctAt?.toISOString() ?? null,
  };
}
