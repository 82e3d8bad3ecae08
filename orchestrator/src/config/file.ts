// Reading a config file: the one piece of configuration that touches the disk.
import { readFileSync } from "node:fs";
import { ConfigInvalid } from "../errors.ts";

export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ConfigInvalid(file, "cannot be read", "pass --config with an existing JSON file");
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
    return value as Record<string, unknown>;
  } catch (error) {
    throw new ConfigInvalid(
      file,
      `is not a JSON object (${(error as Error).message})`,
      "fix the JSON in the config file",
    );
  }
}
