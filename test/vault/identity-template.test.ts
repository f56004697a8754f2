/**
 * The double's identity templates in JSON mode, directive by directive, as hashicorp
 * `sdk/helper/identitytpl/templating.go` (`PopulateString`, `jsonTemplateHandler`,
 * `performTemplating`) fills them in, quirks included: group selectors and times are
 * written unquoted, a missing alias is an empty one, no groups is `null`.
 */
import { expect, it } from "vitest";
import {
  EMPTY_ENTITY,
  populateJsonTemplate,
  type TemplateInput,
} from "../../src/testing/vault-double/identity-template.js";
import { describeDoubleOnly } from "./target.js";

const input: TemplateInput = {
  entity: {
    id: "e-1",
    name: "entity_1a2b3c4d",
    metadata: { team: "web", zone: "eu" },
    aliases: [
      {
        id: "a-1",
        name: "role-id-1",
        mountAccessor: "auth_approle_1",
        metadata: { role_name: "svc" },
      },
    ],
  },
  groups: [
    { id: "g-1", name: "readers", metadata: { tier: "gold" } },
    { id: "g-2", name: "writers", metadata: null },
  ],
  nowSeconds: 1_800_000_000,
};

const fill = (template: string, with_: TemplateInput = input) =>
  populateJsonTemplate(template, with_);

describeDoubleOnly(
  "identity templates (JSON mode)",
  "the double's template engine, not an HTTP answer",
  () => {
    it("writes entity strings quoted, maps and lists as JSON", () => {
      expect(fill("{{identity.entity.id}}")).toBe('"e-1"');
      expect(fill("{{ identity.entity.name }}")).toBe('"entity_1a2b3c4d"');
      expect(fill("{{identity.entity.metadata}}")).toBe('{"team":"web","zone":"eu"}');
      expect(fill("{{identity.entity.metadata.team}}")).toBe('"web"');
      expect(fill("{{identity.entity.metadata.absent}}")).toBe('""');
      expect(fill("{{identity.entity.groups.names}}")).toBe('["readers","writers"]');
      expect(fill("{{identity.entity.groups.ids}}")).toBe('["g-1","g-2"]');
    });

    it("an entity without metadata or groups: {} and null, as Go marshals nil", () => {
      const bare = { ...input, entity: EMPTY_ENTITY, groups: [] };
      expect(fill("{{identity.entity.metadata}}", bare)).toBe("{}");
      expect(fill("{{identity.entity.groups.names}}", bare)).toBe("null");
      expect(fill('{"g": {{identity.entity.groups.ids}} }', bare)).toBe('{"g": null }');
    });

    it("reads an alias by mount accessor; a missing one is empty", () => {
      const alias = "identity.entity.aliases.auth_approle_1";
      expect(fill(`{{${alias}.id}}`)).toBe('"a-1"');
      expect(fill(`{{${alias}.name}}`)).toBe('"role-id-1"');
      expect(fill(`{{${alias}.metadata}}`)).toBe('{"role_name":"svc"}');
      expect(fill(`{{${alias}.metadata.role_name}}`)).toBe('"svc"');
      expect(fill(`{{${alias}.custom_metadata}}`)).toBe("{}");
      expect(fill(`{{${alias}.custom_metadata.x}}`)).toBe('""');
      expect(fill("{{identity.entity.aliases.auth_other.name}}")).toBe('""');
      expect(fill("{{identity.entity.aliases.auth_other.metadata}}")).toBe("{}");
      expect(() => fill("{{identity.entity.aliases.auth_approle_1}}")).toThrow(
        "invalid alias selector",
      );
      expect(() => fill(`{{${alias}.unknown}}`)).toThrow(
        "no value could be found for one of the template directives",
      );
    });

    it("identity.groups selectors write the field unquoted, and need groups", () => {
      expect(fill("{{identity.groups.names.readers.id}}")).toBe("g-1");
      expect(fill("{{identity.groups.ids.g-2.name}}")).toBe("writers");
      expect(fill("{{identity.groups.names.readers.metadata.tier}}")).toBe("gold");
      expect(() => fill("{{identity.groups.names.readers.metadata.none}}")).toThrow("no value");
      expect(() => fill("{{identity.groups.names.nobody.id}}")).toThrow(
        'entity is not a member of group "nobody"',
      );
      expect(() => fill("{{identity.groups.colors.x.id}}")).toThrow("invalid groups selector");
      expect(() => fill("{{identity.groups.names.readers}}")).toThrow("invalid groups accessor");
      expect(() => fill("{{identity.groups.names.readers.id}}", { ...input, groups: [] })).toThrow(
        "string contains groups template directives but no groups were provided",
      );
    });

    it("time.now, plus and minus a duration, unquoted epoch seconds", () => {
      expect(fill("{{time.now}}")).toBe("1800000000");
      expect(fill("{{time.now.plus.1h}}")).toBe("1800003600");
      expect(fill("{{time.now.minus.90}}")).toBe("1799999910");
      expect(() => fill("{{time.now.plus}}")).toThrow("missing time operand");
      expect(() => fill("{{time.now.times.1h}}")).toThrow('invalid time operator "times"');
      expect(() => fill("{{time.now.plus.soon}}")).toThrow('invalid duration: "soon"');
      expect(() => fill("{{time.then}}")).toThrow('invalid time selector "then"');
    });

    it("leaves text without directives alone and refuses unbalanced or unknown ones", () => {
      expect(fill("")).toBe("");
      expect(fill('{"static": true}')).toBe('{"static": true}');
      expect(() => fill('{"a": 1}}')).toThrow("unbalanced templating characters");
      expect(() => fill("{{identity.entity.id")).toThrow("unbalanced templating characters");
      expect(() => fill("{{identity.entity.id}} }} {{identity.entity.id}}")).toThrow("unbalanced");
      expect(() => fill("{{identity.entity.colour}}")).toThrow("no value could be found");
      expect(() => fill("{{something.else}}")).toThrow("no value could be found");
    });
  },
);
