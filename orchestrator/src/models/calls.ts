// Every model call, whoever makes it: the role's permit, start/complete events, its price, and its record.
import type { Price } from "../config/config.ts";
import { PromptTooLong } from "../errors.ts";
import type { Logger } from "../log/log.ts";
import type { Completion, ModelClient } from "./client.ts";
import { callCost } from "./pricing.ts";
import type { Router } from "./permits.ts";
import type { CallRecord, ChatMessage, Role } from "../types.ts";
import { emit } from "../log/events.ts";

export type { CallRecord };

export type CallDeps = {
  router: Router;
  model: ModelClient;
  log: Logger;
  prices: Record<string, Price>;
  signal?: AbortSignal;
  /** Called once per finished call, e.g. to write the run record. */
  onCall?: (record: CallRecord) => void;
};

export async function callModel(
  deps: CallDeps,
  request: { role: Role; attempt: number | null; messages: ChatMessage[] },
): Promise<{ text: string; record: CallRecord }> {
  const { log, router } = deps;
  const { role, attempt } = request;
  const alias = router.modelFor(role);
  // Start and complete are both logged while the permit is held: between them the time is the model's, not the
  // queue's, and a replay of the events never shows more calls in flight than the tier allows.
  const { completion, record } = await router.withTier(
    role,
    async () => {
      emit(log, "model_call_started", { tier: role, model: alias, attempt });
      const completion = await deps.model.complete({
        model: alias,
        messages: request.messages,
        contextTokens: router.contextFor(role),
        maxTokens: router.maxReplyFor(role) ?? undefined,
        signal: deps.signal,
        onRetry: (notice) => emit(log, "model_call_retried", { tier: role, ...notice }),
      });
      return { completion, record: completed(deps, { role, alias, attempt }, completion) };
    },
    {
      signal: deps.signal,
      onQueued: (place) => emit(log, "model_call_queued", { tier: role, model: alias, attempt, ...place }),
    },
  );
  deps.onCall?.(record);
  // Recorded first: the tokens were spent. The reply answers a prompt nobody wrote, so it goes no further.
  if (completion.truncated !== null)
    throw new PromptTooLong(alias, completion.truncated, completion.tokensIn, router.contextFor(role));
  return { text: completion.text, record };
}

/** The call's record, priced, and its model_call_completed event. */
function completed(
  deps: CallDeps,
  call: { role: Role; alias: string; attempt: number | null },
  completion: Completion,
): CallRecord {
  const { role, alias, attempt } = call;
  const cost = callCost(
    { alias, tokensIn: completion.tokensIn, tokensOut: completion.tokensOut, headerCostUsd: completion.costUsd },
    deps.prices,
  );
  const record: CallRecord = {
    role,
    alias,
    attempt,
    tokensIn: completion.tokensIn,
    tokensOut: completion.tokensOut,
    tokensCached: completion.tokensCached,
    latencyMs: completion.durationMs,
    computeMs: completion.computeMs,
    costUsd: cost.costUsd,
    costSource: cost.source,
    retries: completion.retries,
  };
  emit(deps.log, "model_call_completed", {
    tier: role,
    model: alias,
    attempt,
    tokens: record.tokensIn + record.tokensOut,
    tokensIn: record.tokensIn,
    tokensOut: record.tokensOut,
    tokensCached: record.tokensCached,
    costUsd: record.costUsd,
    costSource: record.costSource,
    durationMs: record.latencyMs,
    computeMs: record.computeMs,
    retries: record.retries,
  });
  return record;
}
