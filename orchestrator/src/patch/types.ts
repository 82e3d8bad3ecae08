// The typed edits every reply format is parsed into, before anything is located or applied.

/** `bare` is a hunk line without a prefix: usually blank context, sometimes an added line that lost its `+`. */
export type LineKind = "keep" | "del" | "add" | "bare";
export type HunkLine = { kind: LineKind; text: string };

export type Hunk = {
  /** 1-based position in the reply, for messages. */
  number: number;
  header: string;
  /** 0-based old-side start from the header, used only to break ties. */
  hint: number | null;
  lines: HunkLine[];
  /** A `\ No newline at end of file` marker followed the old side's / new side's last line. */
  oldNoNewline: boolean;
  newNoNewline: boolean;
};

export type FileEdit =
  | {
      kind: "hunks";
      /** Header names as written (a/ b/ prefixes, /dev/null); resolved against owned paths later. */
      oldName: string;
      newName: string;
      hunks: Hunk[];
      modeChange: boolean;
      /** From a block that named no file (unnamed.ts): a block with none of the file's lines is its whole content. */
      unnamed?: boolean;
    }
  | { kind: "whole"; name: string; content: string };

export const DEV_NULL = "/dev/null";

export const EDIT_FORMATS = ["udiff", "whole", "search-replace"] as const;
export type EditFormat = (typeof EDIT_FORMATS)[number];

/** A file's new content, or null to delete it. */
export type FileChange = { path: string; content: string | null };
