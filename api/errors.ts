// One error shape for every response: application/problem+json (RFC 9457) with a code from a
// closed list. Handlers throw ApiError; everything else becomes INTERNAL and is logged.
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';

export const ERROR_CODES = ['BAD_REQUEST', 'VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT', 'UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED', 'INTERNAL'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const STATUS: Record<ErrorCode, 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500> = {
  BAD_REQUEST: 400,
  VALIDATION_ERROR: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

const TITLE: Record<ErrorCode, string> = {
  BAD_REQUEST: 'Bad request',
  VALIDATION_ERROR: 'Invalid request body',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  UNAUTHORIZED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Internal error',
};

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly extra: { errors?: FieldError[]; status?: number; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.extra.status ?? STATUS[this.code];
  }
}

export const notFound = (what: string, id: unknown) => new ApiError('NOT_FOUND', `${what} ${String(id)} does not exist`);

/** A request that cannot be read as meant (a cron, a time window, an id list): 400 naming the field. */
export const malformedField = (path: string, message: string) =>
  new ApiError('BAD_REQUEST', `${path}: ${message}`, { errors: [{ path, message }] });

/** A body that parsed but names something wrong: 422 naming the field. */
export const invalidField = (path: string, message: string) =>
  new ApiError('VALIDATION_ERROR', `${path}: ${message}`, { errors: [{ path, message }] });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(ERROR_CODES),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string(),
  })
  .openapi('Problem');

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };
/** The error responses every route may answer, for the OpenAPI document. */
export const errorResponses = {
  400: { description: 'Malformed request', content: problemContent },
  404: { description: 'Unknown id', content: problemContent },
  409: { description: 'Conflict with a running job', content: problemContent },
  422: { description: 'Invalid body: the errors name the fields', content: problemContent },
  500: { description: 'Internal error', content: problemContent },
} as const;

export function problemResponse(c: Context, error: ApiError): Response {
  const { errors, status: _status, ...extensions } = error.extra;
  const body = {
    type: `https://syncline.dev/problems/${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLE[error.code],
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(errors ? { errors } : {}),
    ...extensions,
    requestId: (c.get('requestId') as string | undefined) ?? '',
  };
  return new Response(JSON.stringify(body), { status: error.status, headers: { 'content-type': 'application/problem+json' } });
}

/** Maps anything thrown into a problem response; unknown errors are logged and hidden. */
export function toApiError(err: unknown, log: (msg: string, err: unknown) => void): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400) return new ApiError('BAD_REQUEST', err.message || 'Malformed request');
    if (err.status === 401) return new ApiError('UNAUTHORIZED', err.message || 'Unauthorized');
    if (err.status === 404) return new ApiError('NOT_FOUND', err.message || 'Not found');
  }
  log('unhandled error', err);
  return new ApiError('INTERNAL', 'Something went wrong on our side; the request id identifies it in the logs.');
}

/** Zod issues → field errors with dot paths ("config.baseUrl"). */
export function fieldErrorsOf(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldError[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}
