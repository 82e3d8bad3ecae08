// Pure: what git's refusal to commit a verified change tells the user: git's reason in one line, and the fix.
// Git's stderr is another program's text, read here once, at the edge; nothing else looks at it.

export type CommitFailure = { reason: string; fix: string };

/** What git prints when it does not know who commits (no user.name/user.email, or user.useConfigOnly). */
const NO_IDENTITY =
  /identity unknown|tell me who you are|unable to auto-detect email|empty ident name|no (email|name) was given/i;
const INDEX_LOCK = /index\.lock/;

/** A word the shell reads as itself, or the word in single quotes. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** Git's reason: its first line, and the `fatal:`/`error:` line when that is another (hints and `***` banners left out). */
export function gitReason(stderr: string, exitCode: number): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("hint:") && !/^\*+/.test(line));
  const first = lines[0];
  if (first === undefined) return `git exited with ${exitCode} and said nothing`;
  const verdict = lines.find((line) => /^(fatal|error):/.test(line));
  return verdict && verdict !== first ? `${first}; ${verdict}` : first;
}

export function commitFailure(
  stderr: string,
  where: { root: string; files: string[]; exitCode: number },
): CommitFailure {
  const reason = gitReason(stderr, where.exitCode);
  const repo = `git -C ${shellWord(where.root)}`;
  const files = where.files.map(shellWord).join(" ");
  const commitYourself = `then commit it yourself: ${repo} add -A -- ${files} && ${repo} commit -- ${files}`;
  if (NO_IDENTITY.test(stderr)) {
    return {
      reason,
      fix: `tell git who commits (${repo} config user.name "Your Name" && ${repo} config user.email you@example.com, or --global), ${commitYourself}`,
    };
  }
  if (INDEX_LOCK.test(stderr)) {
    return {
      reason,
      fix: `let the other git process finish (if none runs, delete the index.lock git names), ${commitYourself}`,
    };
  }
  return { reason, fix: `make git accept the commit (git's reason above), ${commitYourself}` };
}
