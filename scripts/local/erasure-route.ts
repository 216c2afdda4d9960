import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { erasureHttp, ERASURE_PATH } from '../../functions/erasure-http.js';
import { httpErrors } from '../../functions/commons/http.js';
import { logger } from '../../functions/commons/logger.js';
import { onErasure } from '../../functions/privacy/erasure-service.js';
import { useArtifactStores } from '../../functions/privacy/erasure-artifacts.js';
import { FileModelStore } from '../../models/registry/model-store.js';
import { DirectoryJobObjects } from '../../functions/store/job-objects.js';
import { scrubLocalCopies, trackLevelDatabases } from './erasure-scrub.js';
import type { LocalRuntime } from './runtime.js';

export const ERASURE_FUNCTION_NAME = 'winback-erasure-http';

/** Before the emulators start: lets erasure compact the LevelDB files dynalite opens. */
export function prepareLocalErasure(): void {
  trackLevelDatabases();
}

let removeListener: (() => void) | undefined;
let restoreArtifactStores: (() => void) | undefined;

/**
 * The jobs' files on the local stack: the registry directory (its score snapshots) and every
 * directory standing in for a job bucket (<dataDir>/buckets/<bucket>: feature shards, manifests).
 */
async function localArtifactStores(dataDir: string) {
  const uri = process.env['MODEL_REGISTRY_URI'];
  const registryDir = uri?.startsWith('file://') ? uri.slice('file://'.length) : join(dataDir, 'models');
  const bucketsDir = join(dataDir, 'buckets');
  const buckets = await readdir(bucketsDir, { withFileTypes: true }).catch(() => []);
  return {
    registry: new FileModelStore(registryDir),
    jobs: buckets.filter((b) => b.isDirectory()).map((b) => new DirectoryJobObjects(b.name, join(bucketsDir, b.name))),
  };
}

/**
 * The privacy API on the local stack (POST /v1/erasure, /v1/erasure/export, admin key), and the
 * removal of local copies after every erasure in this process, the Shopify redact webhooks' too
 * (one listener per process, replaced when a stack starts again).
 */
export function installLocalErasure(runtime: LocalRuntime, dataDir: string): void {
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger))
    .use(httpErrors())
    .handler(erasureHttp());
  runtime.addRoute('*', ERASURE_PATH, handler, { functionName: ERASURE_FUNCTION_NAME });
  removeListener?.();
  removeListener = onErasure((outcome) => scrubLocalCopies(outcome.identities));
  restoreArtifactStores?.();
  restoreArtifactStores = useArtifactStores(() => localArtifactStores(dataDir));
}
