// Pure: what a Python file's lines define, and the readings that follow from it: a code block that defines again
// every function and class of a file of definitions is that file written afresh; code blocks that each define
// some of them are the file in pieces; a head rewritten declaration by declaration is still the file's head; and
// the stubs after a filled body stay when the block leaves them alone.

/** What a def, class or import line declares ("def:name", "from:typing"); null for any other line. */
export function declares(line: string): string | null {
  const match = /^\s*(?:async\s+)?(def|class)\s+(\w+)|^\s*(from)\s+([\w.]+)\s+import\b|^\s*(import)\s+([\w.]+)/.exec(
    line,
  );
  if (!match) return null;
  return match[1] ? `${match[1]}:${match[2]}` : match[3] ? `from:${match[4]}` : `import:${match[6]}`;
}

/** A function body that stands for one still to be written. */
export const STUB = /^\s+(raise NotImplementedError(\(.*\))?|pass|\.\.\.)\s*$/;

/** "...", "# ... rest unchanged": a line standing for lines the model left out. */
export const PLACEHOLDER =
  /^\s*(#|\/\/)?\s*(\.\.\.|…)|\b(rest of (the )?(code|file|function|module)|remaining code|unchanged|existing code)\b/i;

/** A top-level line a file of definitions may hold besides them: decorators, comments, a multi-line import's close. */
const AROUND_DEFINITIONS = /^(@|#|\)\s*$)/;

const isTop = (line: string) => line.trim() !== "" && !/^\s/.test(line);

/** The functions and classes the lines define at their top level ("def:name", "class:Name"), in order. */
export function topDefinitions(lines: readonly string[]): string[] {
  return lines
    .filter(isTop)
    .map(declares)
    .filter((key): key is string => key !== null && /^(def|class):/.test(key));
}

/** The definitions of a file that holds nothing but imports and definitions at its top level; null for any other. */
export function definitionsFile(fileLines: readonly string[]): string[] | null {
  const definitions = topDefinitions(fileLines);
  const onlyDefinitions = fileLines
    .filter(isTop)
    .every((line) => declares(line) !== null || AROUND_DEFINITIONS.test(line));
  return definitions.length > 0 && onlyDefinitions ? definitions : null;
}

/**
 * A code block that defines again, at its top level, every function and class the file defines, where the file is
 * nothing but imports and definitions: the whole new file, written afresh (a signature respaced, a docstring
 * dropped, a helper added), whatever lines of the old one it kept. The file's imports the block lacks are kept
 * above it. The 0.5B's HumanEval/72 and /153 were refused this way and pass as written. Null when it is not that.
 */
export function redefinedFile(fileLines: readonly string[], body: readonly string[]): string[] | null {
  const definitions = definitionsFile(fileLines);
  const declared = new Set(
    body
      .filter(isTop)
      .map(declares)
      .filter((key) => key !== null),
  );
  if (!definitions?.every((key) => declared.has(key))) return null;
  // "# ... rest unchanged" stands for lines left out: a fragment, not a file written afresh.
  if (body.some((line) => PLACEHOLDER.test(line) && !STUB.test(line))) return null;
  const imports = fileLines.filter(
    (line) => isTop(line) && /^(from|import):/.test(declares(line) ?? "") && !declared.has(declares(line)!),
  );
  // A multi-line import cannot be carried by its first line: not certain, so not this reading.
  if (imports.some((line) => /[(\\]\s*$/.test(line))) return null;
  if (imports.length === 0) return [...body];
  const future = body.findIndex((line) => !/^from __future__ import\b/.test(line));
  return [...body.slice(0, future), ...imports, ...(body[future]?.trim() === "" ? [] : [""]), ...body.slice(future)];
}

/**
 * A code block that only adds definitions: at its top level nothing but imports and def/class lines (with their
 * decorators and comments), none of them a function or class the file has. It goes after the file's last line.
 * The 0.5B answered "Add from_roman(text) to roman.py" with the new function alone (tasks/roman-example.json),
 * refused as a block whose first lines are new. Null when it is not that.
 */
export function addedDefinitions(fileLines: readonly string[], body: readonly string[]): string[] | null {
  const top = body.filter(isTop);
  const onlyDefinitions = top.every((line) => declares(line) !== null || AROUND_DEFINITIONS.test(line));
  const added = topDefinitions(body);
  if (added.length === 0 || !onlyDefinitions) return null;
  const existing = new Set(topDefinitions(fileLines));
  if (added.some((key) => existing.has(key))) return null;
  if (body.some((line) => PLACEHOLDER.test(line) && !STUB.test(line))) return null;
  const end = fileLines.findLastIndex((line) => line.trim() !== "");
  return [...fileLines.slice(0, end + 1), "", "", ...body];
}

/**
 * Which of several code blocks are the file: the one block that defines every function and class of a file of
 * definitions, else the blocks that each define some of them, none twice and together all, in the reply's order
 * (the 0.5B's Exercism affine-cipher: `encode` in one block, `decode` in the next). Blocks that define none of
 * them (a usage example, a test) are not the file. Null when the blocks say nothing certain.
 */
export function fileInBlocks<B extends { lines: string[] }>(
  fileLines: readonly string[],
  blocks: readonly B[],
): B[] | null {
  const wanted = definitionsFile(fileLines);
  if (!wanted) return null;
  const defines = (block: B) => topDefinitions(block.lines).filter((key) => wanted.includes(key));
  const whole = blocks.filter((block) => wanted.every((key) => defines(block).includes(key)));
  if (whole.length > 0) return whole.length === 1 ? whole : null;
  const pieces = blocks.filter((block) => defines(block).length > 0);
  const defined = pieces.flatMap(defines);
  return pieces.length > 1 && new Set(defined).size === defined.length && wanted.every((key) => defined.includes(key))
    ? pieces
    : null;
}

/** Whether every line of the file's head is a declaration the new head declares again (rewritten, not dropped). */
export function rewritesHead(head: readonly string[], newHead: readonly string[]): boolean {
  const declared = new Set(newHead.map(declares).filter((key) => key !== null));
  return head.every((line) => {
    const key = declares(line);
    return key !== null && declared.has(key);
  });
}

/**
 * Where the block's new lines end, when the file after the stretch is a stub body, then nothing but stubs of
 * definitions the block does not define (def/class lines, stub bodies, decorators, comments): that end, just after
 * the stub body; null for anything else.
 */
export function keptStubsAfter(fileLines: readonly string[], end: number, block: readonly string[]): number | null {
  let at = end;
  while (at < fileLines.length && (fileLines[at]!.trim() === "" || STUB.test(fileLines[at]!))) at++;
  const replaced = fileLines.slice(end, at).some((line) => STUB.test(line));
  const after = fileLines.slice(at).filter((line) => line.trim() !== "");
  if (!replaced || after.length === 0) return null;
  // At the block's top level: a method of the same name (dnd-character's `modifier`) is not the file's function.
  const defined = new Set(topDefinitions(block));
  const isKeptStub = (line: string) => {
    const key = declares(line);
    if (key !== null) return /^(def|class):/.test(key) && !defined.has(key);
    return STUB.test(line) || /^\s*(@|#)/.test(line);
  };
  if (!after.every(isKeptStub)) return null;
  let last = end;
  for (let i = end; i < at; i++) if (STUB.test(fileLines[i]!)) last = i + 1;
  return last;
}
