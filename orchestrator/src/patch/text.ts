// Pure: a file as lines, with the details a patch must keep: line endings, BOM, final newline.

export type FileText = { lines: string[]; eol: "\n" | "\r\n"; bom: boolean; finalNewline: boolean };

export function splitText(content: string): FileText {
  const bom = content.startsWith("\uFEFF");
  const body = bom ? content.slice(1) : content;
  const crlf = (body.match(/\r\n/g) ?? []).length;
  const lf = (body.match(/\n/g) ?? []).length;
  const eol = crlf > 0 && crlf * 2 >= lf ? "\r\n" : "\n";
  const finalNewline = body.endsWith("\n");
  const trimmed = finalNewline ? body.slice(0, body.endsWith("\r\n") ? -2 : -1) : body;
  const lines = trimmed === "" && !finalNewline ? [] : trimmed.split(/\r?\n/);
  return { lines, eol, bom, finalNewline: body === "" ? true : finalNewline };
}

export function joinText(text: FileText): string {
  const body = text.lines.join(text.eol) + (text.finalNewline && text.lines.length > 0 ? text.eol : "");
  return (text.bom ? "\uFEFF" : "") + body;
}
