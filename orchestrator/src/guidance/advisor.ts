// The advisors' calls: the spec writer before the first attempt, the mentor at checkpoints.
import { callModel, type CallDeps } from "../models/calls.ts";
import {
  cleanSpec,
  mentorMessages,
  parseCheckpoint,
  SPEC_PROMPT_VERSION,
  specKey,
  specMessages,
  stageFor,
  type AdviceInput,
  type Guidance,
} from "./guidance.ts";
import type { AttemptFeedback } from "./prompt.ts";
import type { Checkpoint, Tier } from "../types.ts";
import { emit } from "../log/events.ts";

export type StoredSpec = { key: string; model: string; promptVersion: string; text: string };
/** Where the advisors' work is kept: the task's journal (run/journal.ts) is one. */
export type AdviceRecord = {
  checkpoint(checkpoint: Checkpoint, text: string): void;
  findSpec(key: string): string | null;
  saveSpec(spec: StoredSpec): void;
};
export type AdvisorDeps = CallDeps & { journal: AdviceRecord; reuseSpec: boolean };

/** Writes (or, with reuseSpec, looks up) the task's spec. */
export async function writeSpec(input: AdviceInput, deps: AdvisorDeps): Promise<string> {
  const model = deps.router.modelFor("spec-writer");
  const key = specKey(input, model);
  const stored = deps.reuseSpec ? deps.journal.findSpec(key) : null;
  if (stored !== null) {
    emit(deps.log, "spec_reused", { model, chars: stored.length, promptVersion: SPEC_PROMPT_VERSION });
    return stored;
  }
  const { text } = await callModel(deps, { role: "spec-writer", attempt: null, messages: specMessages(input) });
  const spec = cleanSpec(text);
  deps.journal.saveSpec({ key, model, promptVersion: SPEC_PROMPT_VERSION, text: spec });
  emit(deps.log, "spec_written", { model, chars: spec.length, spec });
  return spec;
}

/** Asks the mentor to review every attempt so far; the checkpoint's stage follows its number. */
export async function writeCheckpoint(
  input: AdviceInput & { guidance: Guidance; feedback: AttemptFeedback[]; fromTier: Tier; toTier: Tier },
  deps: AdvisorDeps,
): Promise<Checkpoint> {
  const n = input.guidance.checkpoints.length + 1;
  const stage = stageFor(n);
  const afterAttempt = input.feedback.at(-1)?.attempt ?? 0;
  const { text } = await callModel(deps, {
    role: "mentor",
    attempt: afterAttempt,
    messages: mentorMessages({ ...input, stage }),
  });
  const checkpoint: Checkpoint = {
    n,
    afterAttempt,
    fromTier: input.fromTier,
    toTier: input.toTier,
    stage,
    sections: parseCheckpoint(text, stage),
  };
  deps.journal.checkpoint(checkpoint, text);
  emit(
    deps.log,
    "checkpoint_written",
    {
      n,
      stage,
      afterAttempt,
      fromTier: input.fromTier,
      toTier: input.toTier,
      sections: Object.keys(checkpoint.sections).filter(
        (k) => checkpoint.sections[k as keyof typeof checkpoint.sections],
      ),
    },
    { message: "mentor checkpoint" },
  );
  return checkpoint;
}
