/** The OTLP, google.rpc and grpc.health schemas, loaded once from proto/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const FILES = [
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
  'grpc/health/v1/health.proto',
];

let cached: protobuf.Root | undefined;

/** The package's proto/ directory, whether running from src/ (vitest) or dist/src/. */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto', 'opentelemetry');
    if (existsSync(candidate)) return join(dir, 'proto');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`proto/ not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function loadOtlpRoot(): protobuf.Root {
  if (cached) return cached;
  const base = protoDir();
  const root = new protobuf.Root();
  // Imports are written relative to proto/; google/protobuf/* come bundled with protobufjs.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(base, target));
  root.loadSync(FILES);
  root.resolveAll();
  cached = root;
  return root;
}
