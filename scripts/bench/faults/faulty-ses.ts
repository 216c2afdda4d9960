import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { sesClient, setClients } from '../../../functions/commons/clients.js';

/**
 * A fault-injecting wrapper around the real SES client (aws-ses-v2-local cannot throttle, run out
 * of quota or lose a connection on its own). `plan` decides per call: go through, fail before the
 * call with an error, or call SES and then fail (the answer lost: a crash after SendEmail).
 */
export type SesFault = { readonly kind: 'pass' } | { readonly kind: 'before'; readonly error: Error } | { readonly kind: 'after'; readonly error: Error };

export interface SesCall {
  readonly at: number;
  readonly input: Record<string, any>;
  readonly reachedSes: boolean;
}

export function installFaultySes(plan: (input: Record<string, any>) => SesFault): { calls: SesCall[]; restore: () => void } {
  const real = sesClient();
  const calls: SesCall[] = [];
  const wrapper = Object.create(real) as SESv2Client;
  (wrapper as unknown as { send: (c: { input: Record<string, any> }) => Promise<unknown> }).send = async (command) => {
    const at = performance.now();
    const fault = plan(command.input);
    if (fault.kind === 'before') {
      calls.push({ at, input: command.input, reachedSes: false });
      throw fault.error;
    }
    calls.push({ at, input: command.input, reachedSes: true });
    const out = await real.send(command as never);
    if (fault.kind === 'after') throw fault.error;
    return out;
  };
  setClients({ ses: wrapper });
  return { calls, restore: () => setClients({ ses: real }) };
}

/** An SDK-shaped service error (name and HTTP status, as the SDK's exceptions carry them). */
export function serviceError(name: string, status: number): Error {
  const error = new Error(`injected ${name}`);
  error.name = name;
  (error as unknown as { $metadata: { httpStatusCode: number } }).$metadata = { httpStatusCode: status };
  return error;
}
