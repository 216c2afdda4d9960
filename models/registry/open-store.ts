import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RegistryUriError } from './errors.js';

/**
 * MODEL_REGISTRY_URI -> a ModelStore:
 *   file:///abs/dir, file://relative/dir  a local directory (the local default is <dataDir>/models)
 *   s3://bucket[/prefix]                  an S3 prefix (AWS)
 */
export type RegistryLocation = { readonly kind: 'file'; readonly dir: string } | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string };

export function parseRegistryUri(uri: string): RegistryLocation {
  if (uri.startsWith('file://')) {
    const rest = uri.slice('file://'.length);
    if (rest === '') throw new RegistryUriError(`MODEL_REGISTRY_URI '${uri}' names no directory`);
    const dir = rest.startsWith('/') ? fileURLToPath(`file://${rest}`) : rest;
    return { kind: 'file', dir: isAbsolute(dir) ? dir : resolve(dir) };
  }
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (s3) return { kind: 's3', bucket: s3[1] as string, prefix: (s3[2] ?? '').replace(/\/+$/, '') };
  throw new RegistryUriError(`MODEL_REGISTRY_URI must be file://<dir> or s3://<bucket>[/prefix], got '${uri}'`);
}

/** Local directory for a data dir: `<dataDir>/models`. */
export const localRegistryUri = (dataDir: string): string => `file://${resolve(dataDir, 'models')}`;
