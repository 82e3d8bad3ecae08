// Every prompt, embedded at build time (Bun's text imports), so `bun build --compile` carries them and nothing
// is read from disk at import. The one prompt loader: prompt.ts and guidance.ts both take theirs from here.
import attempt from "./attempt.txt" with { type: "text" };
import attemptPlain from "./attempt-plain.txt" with { type: "text" };
import formatWholePlain from "./format-whole-plain.txt" with { type: "text" };
import replyPlain from "./reply-plain.txt" with { type: "text" };
import formatSearchReplace from "./format-search-replace.txt" with { type: "text" };
import formatUdiff from "./format-udiff.txt" with { type: "text" };
import formatWhole from "./format-whole.txt" with { type: "text" };
import mentorStrategy from "./mentor-strategy.txt" with { type: "text" };
import mentorTestCriteria from "./mentor-test-criteria.txt" with { type: "text" };
import mentor from "./mentor.txt" with { type: "text" };
import specWriter from "./spec-writer.txt" with { type: "text" };
import instructions from "./instructions.txt" with { type: "text" };
import chatSystem from "./chat-system.txt" with { type: "text" };
import chatFiles from "./chat-files.txt" with { type: "text" };

export const PROMPTS = {
  instructions,
  attempt,
  /** The plain layout (patch.layout "plain"): the task, the files as listings, the reply's form; no headings. */
  attemptPlain,
  /** The plain layout's closing lines (the reply's form, the files it may change), where the task needs them. */
  replyPlain,
  formatWholePlain,
  /** The chat layout (patch.layout "chat"): Aider's whole-file coder's system message and files message (Apache-2.0). */
  chatSystem,
  chatFiles,
  formats: { udiff: formatUdiff, whole: formatWhole, "search-replace": formatSearchReplace },
  specWriter,
  mentor,
  mentorStrategy,
  mentorTestCriteria,
} as const;
