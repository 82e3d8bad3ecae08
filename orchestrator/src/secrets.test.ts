import { expect, test } from "bun:test";
import { isSecretName, secretValues } from "./secrets.ts";

test("secret-looking names, and only those, are secrets", () => {
  for (const name of ["OPENAI_API_KEY", "GITHUB_TOKEN", "LITELLM_MASTER_KEY", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "GOOGLE_CREDENTIALS"]) {
    expect(isSecretName(name)).toBe(true);
  }
  for (const name of ["PATH", "HOME", "LANG", "LITELLM_URL"]) expect(isSecretName(name)).toBe(false);
});

test("secretValues returns the values of secret names, skipping empty ones", () => {
  expect(secretValues({ PATH: "/bin", API_KEY: "sk-123456789", EMPTY_TOKEN: "", HOME: "/root" })).toEqual(["sk-123456789"]);
});
