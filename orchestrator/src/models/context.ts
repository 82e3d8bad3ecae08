import type { ChatMessage } from "../types.ts";
// Pure: does a prompt fit the model's context, and did the backend see all of it?
// Ollama cuts a prompt longer than num_ctx without an error; the reply then answers a prompt nobody wrote.
// The usage it reports gives it away: too few prompt tokens for the text sent, or a context filled to the brim.

/** No tokenizer packs more characters than this into one token on average, for code or prose. */
export const MAX_CHARS_PER_TOKEN = 8;
/** A prompt that fills this share of the context has been cut (or leaves no room to answer). */
export const FULL_CONTEXT_SHARE = 0.98;

export function promptChars(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, message) => sum + message.content.length, 0);
}

/**
 * Why the reported usage shows a cut prompt, or null when it does not.
 * `tokensIn` 0 means the backend reported no usage: nothing can be concluded.
 */
export function truncation(usage: {
  promptChars: number;
  tokensIn: number;
  contextTokens: number | null;
}): string | null {
  const { promptChars: chars, tokensIn, contextTokens } = usage;
  if (tokensIn <= 0) return null;
  if (contextTokens !== null && tokensIn >= Math.floor(contextTokens * FULL_CONTEXT_SHARE)) {
    return `the prompt filled the context window (${tokensIn} of ${contextTokens} tokens)`;
  }
  if (tokensIn * MAX_CHARS_PER_TOKEN < chars) {
    return `the backend counted ${tokensIn} prompt tokens for ${chars} characters, so it dropped part of the prompt`;
  }
  return null;
}

/** The wording backends use when they refuse a prompt longer than their context (llama.cpp, OpenAI, Anthropic, vLLM). */
const OVERFLOW =
  /context ?(?:window|length)|context_length_exceeded|maximum context|prompt is too long|too many tokens|exceeds? (?:the )?(?:context|max)/i;

export function isContextOverflow(status: number, message: string): boolean {
  return status === 400 && OVERFLOW.test(message);
}
