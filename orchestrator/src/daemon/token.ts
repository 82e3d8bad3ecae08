// The bearer token of the daemon's TCP listener: made once into a 0600 file, read by clients on this machine,
// compared in constant time, and registered as a secret so that no log line shows it.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { registerSecret } from "../log/secrets.ts";

/** The token in `file`, made (32 random bytes, hex) when the file is absent or empty; the file is 0600 either way. */
export function daemonToken(file: string): string {
  let token = "";
  try {
    token = readFileSync(file, "utf8").trim();
  } catch {
    // absent: made below
  }
  if (!token) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    token = randomBytes(32).toString("hex");
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "w" });
  }
  chmodSync(file, 0o600);
  registerSecret(token);
  return token;
}

/** Whether an Authorization header carries the token (constant time: no timing tells how much of it matched). */
export function authorized(header: string | null, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** "127.0.0.1:7400" → host and port; null when it is not HOST:PORT. */
export function listenAddress(value: string): { hostname: string; port: number } | null {
  const match = /^(.+):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65_535) return null; // 0: any free port (daemon_ready says which)
  return { hostname: match[1]!.replace(/^\[(.*)\]$/, "$1"), port };
}
