import { z } from 'zod';

/**
 * Segment-spec messages (HTTP Tracking API). Unknown extra fields are ignored, as Segment does;
 * the fields winback relies on are checked precisely. Every message needs a userId or an anonymousId.
 */
const Ids = {
  userId: z.union([z.string().min(1).max(200), z.number().transform(String)]).optional(),
  anonymousId: z.union([z.string().min(1).max(200), z.number().transform(String)]).optional(),
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

export const SegmentMessage = z
  .discriminatedUnion('type', [TrackMessage, IdentifyMessage, PageMessage], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `unsupported event type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}; expected "track", "identify" or "page"`
        : undefined,
  })
  .refine((m) => m.userId !== undefined || m.anonymousId !== undefined, {
    message: 'either userId or anonymousId is required',
    path: ['userId'],
  });
export type SegmentMessage = z.infer<typeof SegmentMessage>;

export const SegmentBatch = z.object({
  batch: z.array(SegmentMessage).min(1, 'batch must hold at least one message').max(2500),
  /** analytics-node also sends the write key in the body. */
  writeKey: z.string().optional(),
  sentAt: z.iso.datetime({ offset: true }).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
  integrations: z.record(z.string(), z.unknown()).optional(),
});
export type SegmentBatch = z.infer<typeof SegmentBatch>;
