import { duplicateJourneyStarts } from './duplicate-journey-starts.js';
import { erasure } from './erasure.js';
import { ingestCrashDuplicates } from './ingest-crash-duplicates.js';
import { partialBatchContract } from './partial-batch-contract.js';
import type { Scenario } from './scenario.js';
import { sendRateCap, sendThrottlingCrashes } from './sends.js';
import { sesEventOrderings } from './ses-event-orderings.js';
import { signatureForgery } from './signature-forgery.js';
import { templateInjection } from './template-injection.js';
import { unsubscribeTokenMutation } from './unsubscribe-token-mutation.js';

/** The scenarios of `npm run bench:faults`, in the order they run (the list). */
export const SCENARIOS: readonly Scenario[] = [
  ingestCrashDuplicates,
  sendThrottlingCrashes,
  sendRateCap,
  partialBatchContract,
  duplicateJourneyStarts,
  sesEventOrderings,
  unsubscribeTokenMutation,
  signatureForgery,
  templateInjection,
  erasure,
];
