// The machine's commands: doctor, and the local stack's up, down and status.
import type { Command } from "commander";
import { doctorCommand } from "../doctor/checks.ts";
import { DEFAULT_PORTS } from "../stack/stack.ts";
import { stackDown, stackStatus, stackUp, type StackOptions, type StackUpOptions } from "../stack/lifecycle.ts";
import { backendChoice, loadConfig, portNumber, type ConfigFlags } from "./options.ts";

export function addMachineCommands(program: Command): void {
  program
    .command("doctor")
    .description(
      "Check the proxy, each alias, the Ollama models, python3 + pytest, the sandbox, git and disk space; exit 1 if any check failed",
    )
    .option("--json", "the checks as JSON instead of a table")
    .option("--config <path>", "config JSON file (also SMOL_CODER_CONFIG)")
    .action(async (options: ConfigFlags & { json?: boolean }) => {
      process.exitCode = await doctorCommand(loadConfig({ config: options.config }), { json: options.json });
    });

  const stack = program
    .command("stack")
    .description("The Docker-less local stack: the LiteLLM proxy, and a small real model where no Ollama answers");
  const stackDirOption = [
    "--stack-dir <dir>",
    "where the stack keeps its model venv, model, key and pid files (default <repo>/.stack)",
  ] as const;
  stack
    .command("up")
    .description(
      "Install (first time) and start the proxy on 127.0.0.1 with litellm/config.yaml: Ollama's models, or Qwen2.5-Coder 0.5B (fast) and 1.5B (deep) on llama.cpp",
    )
    .option("--backend <kind>", "auto (Ollama when it answers), ollama or llama", backendChoice, "auto" as const)
    .option("--port <n>", "proxy port", portNumber, DEFAULT_PORTS.proxy)
    .option("--model-port <n>", "llama.cpp server port", portNumber, DEFAULT_PORTS.model)
    .option(
      "--reproducible",
      "llama backend: one call at a time per model and no prompt cache, so a greedy reply depends on its prompt alone (benchmarks; slower)",
    )
    .option(...stackDirOption)
    .action(async (options: StackUpOptions) => {
      process.exitCode = await stackUp(options);
    });
  stack
    .command("down")
    .description("Stop the stack's servers")
    .option(...stackDirOption)
    .action(async (options: StackOptions) => {
      process.exitCode = await stackDown(options);
    });
  stack
    .command("status")
    .description("Each server: running, answering, memory; exit 3 when not up")
    .option(...stackDirOption)
    .action(async (options: StackOptions) => {
      process.exitCode = await stackStatus(options);
    });
}
