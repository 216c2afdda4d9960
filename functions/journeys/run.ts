import { advance, branch, finish, load, poll, recordFailure, type JourneyContext } from './interpreter.js';
import { RETRYABLE_ERRORS } from './state-machine.js';
import { JourneyStateError } from './errors.js';
import type { JourneyState } from './journey-state.js';

/**
 * The journey state machine's one working task: it walks the campaign's steps from where the
 * journey stands until the journey must wait (a wait step, a wait-until poll, quiet hours or the
 * frequency cap: `journey.wakeAt` in the future) or ends (`outcome`, recorded on the entry). Each
 * step in between (entry, send-time checks, render, send, advance, branch) runs here, in one Lambda
 * invocation, instead of one Task state each: a one-send journey is Run -> Next? -> Done, three
 * state transitions (state-machine.ts).
 *
 * Exactly-once is what it was: a retried or re-run Run re-enters idempotently (the entry's
 * conditional put, the active-journey lock) and every send claims its ledger item, keyed by the
 * execution name, before SES is called; a send already claimed answers `duplicate`.
 */
export interface RunContext extends JourneyContext {
  /** A send step: checks and, when they pass, the send (send-now.ts checkAndSend, bound to its settings). */
  readonly sendStep: (state: JourneyState) => Promise<JourneyState>;
}

export async function run(ctx: RunContext, input: JourneyState): Promise<JourneyState> {
  let state = input;
  try {
    return await walk(ctx, input, (s) => (state = s));
  } catch (error) {
    // A failure the state machine will not retry is recorded here, where the step it failed at is
    // known (the Catch hands RecordFailure this task's input, which may predate the entry); a
    // retryable one is left to the retries (and, when they run out, to RecordFailure).
    const name = (error as Error)?.name ?? 'Error';
    if (state.journey && !(RETRYABLE_ERRORS as readonly string[]).includes(name)) {
      const cause = JSON.stringify({ errorMessage: (error as Error)?.message ?? String(error) });
      await recordFailure(ctx.table, { ...state, error: { Error: name, Cause: cause } }, ctx.realNow);
    }
    throw error;
  }
}

async function walk(ctx: RunContext, input: JourneyState, at: (state: JourneyState) => void): Promise<JourneyState> {
  let state = input.journey ? input : await load(ctx, input);
  for (;;) {
    at(state);
    if (state.outcome) return state;
    const progress = state.journey!;
    if (progress.wakeAt !== undefined && Date.parse(progress.wakeAt) > ctx.realNow.getTime()) return state;
    switch (progress.step.type) {
      case 'send': {
        const { wakeAt: _woken, ...awake } = progress;
        const checked = await ctx.sendStep({ ...state, journey: awake });
        const decision = checked.eligibility?.decision;
        // Quiet hours or the cap: wait until the check may pass, then check again (delay, never drop).
        if (decision === 'delay') return { ...checked, journey: { ...checked.journey!, wakeAt: checked.eligibility!.wakeAt! } };
        if (decision !== 'eligible') return finish(ctx, checked, 'exited');
        // The checks read the events since entry just now: no conversion before this send.
        state = await advance(ctx, checked, { converted: false });
        break;
      }
      case 'wait':
        state = await advance(ctx, state);
        break;
      case 'waitUntil':
        state = await poll(ctx, state);
        break;
      case 'branch':
        state = await branch(ctx, state);
        break;
      case 'exit':
        return finish(ctx, state, 'exited');
      case 'converted':
        return finish(ctx, state, 'converted');
      case 'end':
        return finish(ctx, state, 'completed');
      default:
        throw new JourneyStateError(`unknown step type ${String(progress.step.type)}`);
    }
  }
}
