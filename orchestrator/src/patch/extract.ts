// Pure: pull the diff out of a model reply. Fences and prose around the diff are normal.

const FENCE = /^(```|~~~)[^\n]*\n([\s\S]*?)^\1[ \t]*$/gm;
const DIFF_START = /^(diff --git |--- \S|Index: )/m;
// Lines that can belong to a unified diff; anything else ends an unfenced diff.
const DIFF_LINE =
  /^([ +\-@\\]|diff |index |new file mode |deleted file mode |old mode |new mode |similarity |rename |Index: |=+$|$)/;

function looksLikeDiff(text: string): boolean {
  return DIFF_START.test(text) && /^@@/m.test(text);
}

/** Returns the diff text found in the reply, or null when there is none. */
export function extractDiff(reply: string): string | null {
  const text = reply.replaceAll("\r\n", "\n");
  const fenced = [...text.matchAll(FENCE)].map((match) => match[2]!).filter(looksLikeDiff);
  if (fenced.length > 0) return fenced.join("\n");
  const start = text.search(DIFF_START);
  if (start < 0 || !looksLikeDiff(text)) return null;
  const lines = text.slice(start).split("\n");
  const end = lines.findIndex((line) => !DIFF_LINE.test(line));
  return (end < 0 ? lines : lines.slice(0, end)).join("\n");
}
