// What counts as a secret in the environment: one rule for the logger's scrubbing and the verifier's clean env.

const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Every environment value whose name looks like a secret, so logs can scrub it wherever it appears. */
export function secretValues(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value && isSecretName(name))
    .map(([, value]) => value!);
}
