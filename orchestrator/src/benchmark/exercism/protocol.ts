// Pure: the field's protocol for Exercism, as Aider's benchmarks use it. The instructions are the exercise's docs
// followed by one fixed paragraph naming the files to change; a failed try is answered with the first 50 lines of
// the test output and a second fixed paragraph. smol-coder's tasks take the same instructions as their description,
// so both arms start from the same words.
import path from "node:path";
import type { Exercise } from "./track.ts";

// The message a failed try is answered with is the chat layout's too (guidance/chat.ts).
export { TEST_OUTPUT_LINES, testFailureMessage } from "../../guidance/chat.ts";

/** Pure: the file list as the protocol names it: base names, space-separated. */
export function fileList(exercise: Pick<Exercise, "solution">): string {
  return exercise.solution.map((file) => path.basename(file)).join(" ");
}

/** Pure: the instructions, from the docs' texts in order (introduction, instructions, append). */
export function exerciseInstructions(docs: readonly string[], files: string): string {
  return [
    docs.map((text) => text.trimEnd()).join("\n\n"),
    "",
    "####",
    "",
    `Use the above instructions to modify the supplied files: ${files}`,
    "Don't change the names of existing functions or classes, as they may be referenced from other code like unit tests, etc.",
    "Only use standard libraries, don't suggest installing any packages.",
  ].join("\n");
}
