// Pure: whether a frontier tier exists behind the proxy. Without one, reviewer and mentor are local models too,
// and the escalation's last step is no stronger than deep: doctor says so plainly rather than letting it pass.
import type { CheckResult } from "./doctor.ts";
import type { Deployment } from "./ollama.ts";

const FRONTIER_ALIASES = ["reviewer", "mentor"];

/** A deployment on this machine: an Ollama model, or an OpenAI-compatible server on a loopback address. */
export function isLocalDeployment(deployment: Deployment): boolean {
  if (/^ollama(_chat)?\//.test(deployment.model)) return true;
  if (!deployment.apiBase) return false;
  try {
    return ["localhost", "127.0.0.1", "[::1]"].includes(new URL(deployment.apiBase).hostname);
  } catch {
    return false;
  }
}

export function frontierCheck(deployments: readonly Deployment[]): CheckResult {
  const served = FRONTIER_ALIASES.map((alias) => deployments.find((deployment) => deployment.alias === alias)).filter(
    (d): d is Deployment => d !== undefined,
  );
  if (served.length === 0)
    return {
      name: "frontier tier",
      status: "skip",
      detail: "the proxy did not say what serves reviewer and mentor (/model/info)",
    };
  const local = served.filter(isLocalDeployment);
  if (local.length === 0)
    return {
      name: "frontier tier",
      status: "ok",
      detail: `reviewer, mentor → ${[...new Set(served.map((d) => d.model))].join(", ")}`,
    };
  return {
    name: "frontier tier",
    status: "warn",
    detail: `no frontier tier: ${local.map((d) => `${d.alias} → ${d.model}`).join(", ")} (local)`,
    fix: "set ANTHROPIC_API_KEY and run smol-coder stack up again, or point reviewer and mentor at a frontier model in litellm/config.yaml",
  };
}
