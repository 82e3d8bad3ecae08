// What counts as a secret in the environment: one rule for the logger's scrubbing, the verifier's clean env,
// the environment of every git process, and what is fed back to a model or stored.

const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)/i;
/** Variables whose values are URLs that may carry a password (the Redis queue's and the shared limits'). */
const SECRET_URLS = new Set(["SMOL_CODER_QUEUE", "SMOL_CODER_LIMITS_REDIS"]);
/** Shorter values are not scrubbed: replacing them would mangle ordinary text. */
const MIN_SECRET_LENGTH = 8;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) || SECRET_URLS.has(name);
}

/** Every environment value whose name looks like a secret, so logs can scrub it wherever it appears. */
export function secretValues(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value && isSecretName(name))
    .flatMap(([name, value]) => (SECRET_URLS.has(name) ? urlPassword(value!) : [value!]));
}

/** Pure: the password a URL carries, as a list (empty when it has none or does not parse): the URL itself is not secret. */
function urlPassword(url: string): string[] {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? [password] : [];
  } catch {
    return [];
  }
}

/** Pure: the environment less every secret-looking variable (and unset ones), for a child process. */
export function withoutSecrets(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && !isSecretName(name)) out[name] = value;
  return out;
}

/** Pure: replaces every occurrence of each secret value. Short values are ignored to avoid mangling text. */
export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= MIN_SECRET_LENGTH) out = out.replaceAll(secret, "[REDACTED]");
  return out;
}

/** A scrubber for the secret values `env` holds now (later changes to `env` are not seen). */
export function secretScrubber(env: Record<string, string | undefined>): (text: string) => string {
  const secrets = secretValues(env);
  return (text) => scrub(text, secrets);
}

let processScrubber: ((text: string) => string) | undefined;
/** Secrets that come from files, not the environment (the local stack's master key). */
const fileSecrets: string[] = [];

/** Adds a secret read from a file, so scrubSecrets removes it from everything it scrubs from now on. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || fileSecrets.includes(value)) return;
  fileSecrets.push(value);
  processScrubber = undefined;
}

/**
 * Scrubs the secret values of this process's environment (read once) and the registered file secrets out of text that is about to be fed to
 * a model, stored, journaled or printed.
 */
export function scrubSecrets(text: string): string {
  if (!processScrubber) {
    const secrets = [...secretValues(process.env), ...fileSecrets];
    processScrubber = (input) => scrub(input, secrets);
  }
  return processScrubber(text);
}
