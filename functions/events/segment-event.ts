import { z } from 'zod';
import { satisfactionIssues } from '../../kernel/events/satisfaction-event.js';

/**
 * Segment-spec messages (HTTP Tracking API): track, identify, page, screen, group, alias. Unknown
 * extra fields are ignored, as Segment does; the fields winback relies on are checked precisely.
 * Every message needs a userId or an anonymousId (alias: a userId and a previousId).
 */

/** Segment ids are strings; numbers are accepted and kept as their decimal text. */
const Id = z.union([z.string().min(1).max(200), z.number().transform(String)]);
/** analytics.js sends `userId: null` until the visitor is identified: null means absent. */
const OptionalId = Id.nullish()
  .transform((v) => v ?? undefined)
  .optional();
const Ids = {
  userId: OptionalId,
  anonymousId: OptionalId,
};

const Common = {
  ...Ids,
  messageId: z.string().min(1).max(200).optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  originalTimestamp: z.iso.datetime({ offset: true }).optional(),
  sentAt: z.iso.datetime({ offset: true }).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
  integrations: z.record(z.string(), z.unknown()).optional(),
};

const Properties = z.record(z.string(), z.unknown());

export const TrackMessage = z.object({
  type: z.literal('track'),
  event: z.string().min(1).max(200),
  properties: Properties.optional(),
  ...Common,
});
export type TrackMessage = z.infer<typeof TrackMessage>;

export const IdentifyMessage = z.object({
  type: z.literal('identify'),
  traits: Properties.optional(),
  ...Common,
});
export type IdentifyMessage = z.infer<typeof IdentifyMessage>;

export const PageMessage = z.object({
  type: z.literal('page'),
  name: z.string().max(200).nullish(),
  category: z.string().max(200).nullish(),
  properties: Properties.optional(),
  ...Common,
});
export type PageMessage = z.infer<typeof PageMessage>;

/** A view in a mobile app: Segment's `page` for apps. */
export const ScreenMessage = z.object({
  type: z.literal('screen'),
  name: z.string().max(200).nullish(),
  category: z.string().max(200).nullish(),
  properties: Properties.optional(),
  ...Common,
});
export type ScreenMessage = z.infer<typeof ScreenMessage>;

/** Links the customer to an account (company, organisation, team) and sets the account's traits. */
export const GroupMessage = z.object({
  type: z.literal('group'),
  groupId: Id,
  traits: Properties.optional(),
  ...Common,
});
export type GroupMessage = z.infer<typeof GroupMessage>;

/** Merges the identity `previousId` (a former user id or an anonymous id) into `userId`. */
export const AliasMessage = z.object({
  type: z.literal('alias'),
  previousId: Id,
  ...Common,
  userId: Id,
});
export type AliasMessage = z.infer<typeof AliasMessage>;

export const SEGMENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

export const SegmentMessage = z
  .discriminatedUnion('type', [TrackMessage, IdentifyMessage, PageMessage, ScreenMessage, GroupMessage, AliasMessage], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `unsupported event type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}; expected one of ${SEGMENT_TYPES.map((t) => `"${t}"`).join(', ')}`
        : undefined,
  })
  .refine((m) => m.userId !== undefined || m.anonymousId !== undefined, {
    message: 'either userId or anonymousId is required',
    path: ['userId'],
  })
  .refine((m) => m.type !== 'alias' || m.previousId !== m.userId, {
    message: 'previousId must differ from userId',
    path: ['previousId'],
  })
  // Survey and ticket events carry documented properties (kernel/events/satisfaction-event.ts).
  .superRefine((m, ctx) => {
    if (m.type !== 'track') return;
    for (const issue of satisfactionIssues(m.event, m.properties)) ctx.addIssue({ code: 'custom', path: [...issue.path], message: `${m.event}: ${issue.message}` });
  });
export type SegmentMessage = z.infer<typeof SegmentMessage>;

/**
 * The envelope of POST /v1/batch (and /v1/b, /v1/import). Its messages are checked one by one
 * afterwards (see `SegmentMessage`), so that one invalid message drops only itself.
 */
export const SegmentBatch = z.object({
  batch: z.array(z.unknown()).min(1, 'batch must hold at least one message').max(2500),
  /** analytics-node and analytics.js (batching mode) also send the write key in the body. */
  writeKey: z.string().optional(),
  /** When the sender sent the batch, by its own clock (clock-skew correction of its messages). */
  sentAt: z.iso.datetime({ offset: true }).optional(),
  /** Context shared by every message of the batch; a message's own context wins field by field. */
  context: z.record(z.string(), z.unknown()).optional(),
  integrations: z.record(z.string(), z.unknown()).optional(),
});
export type SegmentBatch = z.infer<typeof SegmentBatch>;
