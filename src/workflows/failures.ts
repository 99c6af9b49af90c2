import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** The ApplicationFailure type in a failure chain: the code an activity gave for what went wrong. */
export function failureType(err: unknown): string | undefined {
  let e: unknown = err;
  while (e instanceof Error) {
    if (e instanceof ApplicationFailure) return e.type ?? undefined;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The most specific message in the failure chain: the Cloud Ops or rule text, not "Activity task failed". */
export function reasonOf(err: unknown): string {
  let e: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (e instanceof Error) {
    if (!(e instanceof ActivityFailure)) message = e.message || message;
    if (e instanceof ApplicationFailure) break;
    e = (e as { cause?: unknown }).cause;
  }
  return message;
}

/** What the activity attached to its failure (the first detail): e.g. the namespace as the apply read it. */
export function failureDetail(err: unknown): unknown {
  let e: unknown = err;
  while (e instanceof Error) {
    if (e instanceof ApplicationFailure) return e.details?.[0];
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
