/**
 * Sizes of the Lambda bundles `cdk synth` wrote to cdk.out, against Lambda's deployment package
 * limits (50 MB zipped for a direct upload, 250 MB unzipped including layers).
 *
 * Usage: npm run synth && node scripts/bin/run.mjs infra/bundle-sizes.ts [cdk.out] [--json]
 *
 * "Zipped" is computed, not read from a zip file (cdk.out holds the unzipped asset directories;
 * the CLI zips them at deploy time): each file deflated at level 9 plus the zip format's local
 * header, central directory entry and end record, i.e. what `zip -r -9` produces to within a few
 * hundred bytes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';

/** Lambda's documented deployment package quotas, in bytes (MB = 2^20 in the console's figures). */
export const LAMBDA_ZIPPED_LIMIT_BYTES = 50 * 1024 * 1024;
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

export interface BundleSize {
  /** POWERTOOLS_SERVICE_NAME of the function. */
  readonly service: string;
  readonly assetDir: string;
  readonly files: number;
  readonly unzippedBytes: number;
  readonly zippedBytes: number;
  /** Bytes of the largest parts: the bundle, its source map, the wasm binaries. */
  readonly parts: Readonly<Record<string, number>>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Size of a zip archive of the directory (deflate level 9, no extra fields, no zip64). */
export function zippedSize(dir: string): number {
  const LOCAL_HEADER = 30;
  const CENTRAL_HEADER = 46;
  const END_RECORD = 22;
  let total = END_RECORD;
  for (const file of filesUnder(dir)) {
    const name = Buffer.byteLength(relative(dir, file).split('\\').join('/'));
    const data = readFileSync(file);
    const compressed = Math.min(deflateRawSync(data, { level: 9 }).length, data.length); // zip stores incompressible files
    total += LOCAL_HEADER + CENTRAL_HEADER + 2 * name + compressed;
  }
  return total;
}

interface TemplateFunction {
  Type: string;
  Properties?: { Code?: { S3Key?: unknown }; Environment?: { Variables?: Record<string, unknown> } };
}

/** Every Lambda function of every stack template in the cloud assembly, with its bundle's sizes. */
export function bundleSizes(assemblyDir: string): BundleSize[] {
  const templates = readdirSync(assemblyDir).filter((f) => f.endsWith('.template.json'));
  const out: BundleSize[] = [];
  for (const t of templates) {
    const template = JSON.parse(readFileSync(join(assemblyDir, t), 'utf8')) as { Resources: Record<string, TemplateFunction> };
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::Lambda::Function') continue;
      const hash = /([0-9a-f]{64})\.zip/.exec(JSON.stringify(r.Properties?.Code?.S3Key))?.[1];
      if (!hash) continue; // inline code (none in winback)
      const assetDir = join(assemblyDir, `asset.${hash}`);
      const files = filesUnder(assetDir);
      const parts: Record<string, number> = {};
      for (const f of files) {
        const part = f.endsWith('.map') ? 'sourceMap' : f.endsWith('.wasm') ? 'wasm' : f.endsWith('.mjs') ? 'bundle' : 'other';
        parts[part] = (parts[part] ?? 0) + statSync(f).size;
      }
      out.push({
        service: String(r.Properties?.Environment?.Variables?.['POWERTOOLS_SERVICE_NAME'] ?? id),
        assetDir,
        files: files.length,
        unzippedBytes: files.reduce((n, f) => n + statSync(f).size, 0),
        zippedBytes: zippedSize(assetDir),
        parts,
      });
    }
  }
  return out.sort((a, b) => a.service.localeCompare(b.service));
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2);

function main(args: readonly string[]): number {
  const json = args.includes('--json');
  const dir = resolve(args.find((a) => !a.startsWith('--')) ?? 'cdk.out');
  const sizes = bundleSizes(dir);
  if (sizes.length === 0) {
    console.error(`bundle-sizes: no Lambda asset in ${dir}; run \`npm run synth\` first`);
    return 2;
  }
  if (json) {
    console.log(JSON.stringify(sizes, null, 2));
  } else {
    console.log('| Function | Files | Unzipped MB (bundle / map / wasm) | Zipped MB | % of 50 MB zipped | % of 250 MB unzipped |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const s of sizes) {
      const p = s.parts;
      console.log(
        `| ${s.service} | ${s.files} | ${mb(s.unzippedBytes)} (${mb(p['bundle'] ?? 0)} / ${mb(p['sourceMap'] ?? 0)} / ${mb(p['wasm'] ?? 0)}) | ${mb(s.zippedBytes)} | ${((100 * s.zippedBytes) / LAMBDA_ZIPPED_LIMIT_BYTES).toFixed(1)} | ${((100 * s.unzippedBytes) / LAMBDA_UNZIPPED_LIMIT_BYTES).toFixed(1)} |`,
      );
    }
  }
  const over = sizes.filter((s) => s.zippedBytes > LAMBDA_ZIPPED_LIMIT_BYTES || s.unzippedBytes > LAMBDA_UNZIPPED_LIMIT_BYTES);
  for (const s of over) console.error(`bundle-sizes: ${s.service} exceeds a Lambda package limit`);
  return over.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
