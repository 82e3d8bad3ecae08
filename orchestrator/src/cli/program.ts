// The command line: every command, its options and the one function it calls. The command groups live beside it:
// benchProgram.ts, daemonProgram.ts, machineProgram.ts; the options they share in taskOptions.ts.
import { Command } from "commander";
import { runCommand, type RunOptions } from "./commands.ts";
import { loadConfig, type ConfigFlags } from "./options.ts";
import { addBenchCommands } from "./benchProgram.ts";
import { addDaemonCommands } from "./daemonProgram.ts";
import { addMachineCommands } from "./machineProgram.ts";
import { configFlagsGiven, RUN_EXIT_CODES, taskOptions } from "./taskOptions.ts";
import { scrubSecrets } from "../log/secrets.ts";
import { VERSION } from "../version.ts";

export function buildProgram(): Command {
  const program = new Command("smol-coder")
    .description("Coding tasks done by cheap local models, escalating to a frontier model only when they fail")
    .version(VERSION, "-V, --version", "print the version")
    .option("--no-log-file", "do not write a copy of the events to the log directory")
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(scrubSecrets(`smol-coder: ${text.replace(/^error: /, "invalid arguments: ")}`)),
    })
    .addHelpText(
      "after",
      "\nWithout a command, smol-coder runs a task: smol-coder run --help lists its options and exit codes.",
    );
  const globals = () => program.opts<{ logFile: boolean }>();

  taskOptions(
    program
      .command("run", { isDefault: true })
      .description("Run one task: JSON on stdin or --file (workspace or humaneval)"),
  )
    .option("--file <path>", "task JSON file (default: stdin)")
    .option("--workspace <dir>", "workspace directory", process.cwd())
    .option("--commit", "commit the owned files on success (git workspaces)")
    .option("--pretty", "human-readable events")
    .option("--no-wait", "refuse at once (exit 2) when another run holds the workspace, instead of waiting for it")
    .option("--no-daemon", "run the task in this process even when a daemon (smol-coder serve) answers on the socket")
    .option("--socket <path>", "the daemon's unix socket (also SMOL_CODER_SOCKET)")
    .addHelpText("after", RUN_EXIT_CODES)
    .action(async (options: RunOptions & ConfigFlags, command: Command) => {
      process.exitCode = await runCommand(loadConfig(options), {
        ...options,
        configFlags: configFlagsGiven(command),
        logFile: globals().logFile,
      });
    });

  addBenchCommands(program, globals);
  addMachineCommands(program);
  addDaemonCommands(program, globals);
  return program;
}
