import { readFileSync } from "node:fs";
import type { CapabilityInput } from "../../src/testing/vault-double.js";

/**
 * The path rules of an HCL policy file (path blocks with a capabilities list only), to load
 * docker/policies/*.hcl into the Vault double as the compose stack's roles have them.
 */
export function policyRules(file: string): Record<string, CapabilityInput[]> {
  const rules: Record<string, CapabilityInput[]> = {};
  const blocks = readFileSync(file, "utf8").matchAll(
    /path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}/g,
  );
  for (const [, path, capabilities] of blocks) {
    rules[path as string] = [...(capabilities as string).matchAll(/"(\w+)"/g)].map(
      ([, c]) => c as CapabilityInput,
    );
  }
  return rules;
}
