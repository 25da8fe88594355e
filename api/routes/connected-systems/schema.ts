import { z } from '@hono/zod-openapi';
import type { connectedSystems } from '../../../db/schema';
import { maskSecrets, type SecretBox } from '../../../db/secrets';

const HttpAuth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('bearer') }).strict(),
  z.object({ type: z.literal('basic'), username: z.string().min(1) }).strict(),
  z.object({ type: z.literal('apiKey'), header: z.string().min(1).optional(), queryParam: z.string().min(1).optional() }).strict(),
]);

const HttpPagination = z.discriminatedUnion('type', [
  z.object({ type: z.literal('page'), pageParam: z.string().min(1).optional(), sizeParam: z.string().min(1).optional(), startPage: z.number().int().min(0).optional() }).strict(),
  z.object({ type: z.literal('offset'), offsetParam: z.string().min(1).optional(), limitParam: z.string().min(1).optional() }).strict(),
  z.object({ type: z.literal('cursor'), cursorParam: z.string().min(1), cursorPath: z.string().min(1) }).strict(),
  z.object({ type: z.literal('nextLink'), nextPath: z.string().min(1) }).strict(),
  z.object({ type: z.literal('linkHeader') }).strict(),
  z.object({ type: z.literal('none') }).strict(),
]);

export const HttpJsonConfig = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).optional(),
    auth: HttpAuth.optional(),
    pagination: HttpPagination.optional(),
    totalPath: z.string().min(1).optional(),
  })
  .strict();

export const PostgresConfig = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    database: z.string().min(1),
    user: z.string().min(1),
    schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier').optional(),
    ssl: z.boolean().optional(),
  })
  .strict();

export const FileConfig = z.object({ directory: z.string().min(1), format: z.enum(['csv', 'jsonl']).optional() }).strict();

const HttpSecrets = z.object({ token: z.string(), password: z.string(), apiKey: z.string(), clientSecret: z.string() }).partial().strict();
const PostgresSecrets = z.object({ password: z.string() }).partial().strict();

const common = { workspaceId: z.number().int().positive(), name: z.string().trim().min(1).max(200) };

export const ConnectedSystemBody = z.discriminatedUnion('connectorType', [
  z.object({ ...common, connectorType: z.literal('http-json'), config: HttpJsonConfig, secrets: HttpSecrets.optional() }).strict(),
  z.object({ ...common, connectorType: z.literal('postgres'), config: PostgresConfig, secrets: PostgresSecrets.optional() }).strict(),
  z.object({ ...common, connectorType: z.literal('file'), config: FileConfig, secrets: z.object({}).strict().optional() }).strict(),
]);

export const ConnectedSystemSchema = z
  .object({
    id: z.number().int(),
    workspaceId: z.number().int(),
    name: z.string(),
    connectorType: z.enum(['http-json', 'postgres', 'file']),
    config: z.record(z.string(), z.unknown()),
    secrets: z.record(z.string(), z.literal('********')).openapi({ description: 'Write-only: every value is masked' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ConnectedSystem');

export function connectedSystemView(row: typeof connectedSystems.$inferSelect, secretBox: SecretBox): z.infer<typeof ConnectedSystemSchema> {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    connectorType: row.connectorType as 'http-json' | 'postgres' | 'file',
    config: row.config,
    secrets: maskSecrets(Object.keys(secretBox.decrypt(row.secretsCiphertext))) as Record<string, '********'>,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const DiscoveredSchemaSchema = z
  .object({
    entities: z.array(
      z.object({
        name: z.string(),
        fields: z.array(z.object({ name: z.string(), type: z.enum(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null', 'datetime', 'unknown']) })),
      }),
    ),
  })
  .openapi('DiscoveredSchema');
