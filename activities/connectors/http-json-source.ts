// Reads one page of records from a JSON-over-HTTP API. One call is one page: retries,
// back-off and cancellation belong to Temporal (the activity is retried on retryable errors and
// `signal` aborts the request), so nothing here loops or sleeps.
import { isUtf8 } from 'node:buffer';
import { SyncError } from '../errors';
import { findRecordSpans } from './record-spans';
import type {
  HttpJsonConfig,
  HttpJsonSecrets,
  HttpPagination,
  JsonObject,
  SourceEntity,
  SourcePage,
} from './types';

/** A failure of the source system, with a stable code and whether a retry can help. */
export class SourceError extends SyncError {
  override readonly name = 'SourceError';
}

export interface FetchSourcePageArgs {
  config: HttpJsonConfig;
  secrets: HttpJsonSecrets;
  entity: SourceEntity;
  /** From the previous page's nextCursor; null for the first page. */
  cursor: string | null;
  pageSize: number;
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
}

/** Where the list of records usually is when the task does not say (OpenConnector's guesses plus `data`). */
const DEFAULT_RESULTS_POSITIONS = ['items', 'results', 'result', 'data'];
const MAX_REDIRECTS = 5;
const BODY_EXCERPT_CHARS = 200;

export async function fetchSourcePage(args: FetchSourcePageArgs): Promise<SourcePage> {
  return (await fetchSourceBody(args)).interpret();
}

/** A page's answer, received but not yet parsed. */
export interface SourceBody {
  /** The body as the source sent it. */
  bytes: Uint8Array;
  /**
   * Everything besides the body's bytes that decides what `interpret` makes of them (the URL
   * that answered, the cursor, the pagination and envelope settings, the headers it reads): two
   * answers with the same bytes and the same `interpretedBy` read as the same page.
   */
  interpretedBy: string;
  requests: number;
  /** The page: the body parsed, its records found, the next cursor and the total worked out. */
  interpret(): SourcePage;
  /**
   * The page with its records left as bytes (see AnswerInParts); undefined where they cannot be
   * told apart without parsing the whole body, which `interpret` then does.
   */
  inParts(): AnswerInParts | undefined;
}

/**
 * A page whose records are told apart without being parsed: the rest of the body is parsed for the
 * next cursor and the total, and each record is parsed only when asked for.
 */
export interface AnswerInParts {
  count: number;
  nextCursor: string | null;
  totalCount: number | null;
  /** Record `i`'s bytes, as the source sent them (a view of the body). */
  bytesOf(i: number): Uint8Array;
  /** Whether the body is valid UTF-8 (and a record's bytes are then its text, as decoding gives it). */
  validUtf8: boolean;
  /** Record `i` parsed, as `interpret` would have it. */
  record(i: number): JsonObject;
}

/** Stands in the body for the records' list while the rest of it is parsed. */
const RECORDS_MARK = 'syncline:records';
const RECORDS_PLACEHOLDER = JSON.stringify([RECORDS_MARK]);

/** Asks the source for a page and receives its answer, leaving the parsing to `interpret`. */
export async function fetchSourceBody(args: FetchSourcePageArgs): Promise<SourceBody> {
  const { config, secrets, entity, cursor, pageSize } = args;
  const pagination = config.pagination ?? { type: 'page' };
  const auth = prepareAuth(config, secrets);
  const entityUrl = resolveEntityUrl(config.baseUrl, entity.entity);
  const requestUrl = buildRequestUrl(entityUrl, pagination, cursor, pageSize);

  const fetched = await request(requestUrl, auth, args.fetchImpl ?? fetch, args.signal);
  const { response, url, bytes } = fetched;
  const interpretedBy = JSON.stringify([
    auth.redact(url),
    cursor,
    pageSize,
    pagination,
    config.totalPath ?? null,
    entity.resultsPosition ?? null,
    config.auth?.type === 'apiKey' ? (config.auth.queryParam ?? null) : null,
    response.headers.get('link'),
    response.headers.get('x-total-count'),
  ]);
  return {
    bytes,
    interpretedBy,
    requests: fetched.requests,
    interpret() {
      const body = parseJson(utf8.decode(bytes), auth.redact(url));
      const records = extractRecords(body, entity.resultsPosition, auth.redact(url));
      const totalCount = readTotalCount(body, config.totalPath, response.headers);
      const nextCursor = computeNextCursor({ pagination, cursor, pageSize, url, body, response, recordCount: records.length, totalCount, auth });
      return { records, nextCursor, totalCount, requests: fetched.requests };
    },
    inParts() {
      // A path into a list could lead into the records, which the rest of the body does not hold.
      const paths = [config.totalPath, 'cursorPath' in pagination ? pagination.cursorPath : undefined, 'nextPath' in pagination ? pagination.nextPath : undefined];
      if (paths.some((path) => path !== undefined && splitPath(path).some((segment) => /^\d+$/.test(segment)))) return undefined;
      const spans = findRecordSpans(bytes, entity.resultsPosition, DEFAULT_RESULTS_POSITIONS);
      if (!spans) return undefined;
      // The rest of the body, the list replaced: what it says besides the records, and proof that
      // the list found is the one `interpret` finds.
      let rest: unknown;
      try {
        rest = JSON.parse(utf8.decode(bytes.subarray(0, spans.listStart)) + RECORDS_PLACEHOLDER + utf8.decode(bytes.subarray(spans.listEnd)));
      } catch {
        return undefined;
      }
      const list = findRecordList(rest, entity.resultsPosition);
      if (list?.length !== 1 || list[0] !== RECORDS_MARK) return undefined;
      const count = spans.starts.length;
      const totalCount = readTotalCount(rest, config.totalPath, response.headers);
      const nextCursor = computeNextCursor({ pagination, cursor, pageSize, url, body: rest, response, recordCount: count, totalCount, auth });
      const bytesOf = (i: number) => bytes.subarray(spans.starts[i], spans.ends[i]);
      return {
        count,
        nextCursor,
        totalCount,
        bytesOf,
        validUtf8: isUtf8(bytes),
        record(i) {
          try {
            return JSON.parse(utf8.decode(bytesOf(i))) as JsonObject;
          } catch {
            // Then the body is not JSON either (parseJson says so as for a whole page), or, should the
            // scanner have split it wrong, the record is reported as it was found.
            parseJson(utf8.decode(bytes), auth.redact(url));
            throw new SourceError('SOURCE_BAD_RESPONSE', `Record ${i} of GET ${auth.redact(url)} could not be read apart from its page`, false);
          }
        },
      };
    },
  };
}

/** Decodes as fetch's text() does: UTF-8, a byte-order mark dropped, bad bytes replaced. */
const utf8 = new TextDecoder();

/** Reads a dot path ("data.items", "tags.0"); "_root" (or "") is the object itself. */
export function readPath(obj: unknown, path: string): unknown {
  if (path === '_root' || path === '') return obj;
  let current = obj;
  for (const segment of splitPath(path)) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** The record's id as a string (numbers stringified); throws when it has none. */
export function recordId(record: JsonObject, idField: string): string {
  const value = readPath(record, idField);
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  const found = value === undefined ? 'is missing' : `is ${JSON.stringify(value)}`;
  throw new SourceError(
    'SOURCE_RECORD_WITHOUT_ID',
    `A record has no usable id: field "${idField}" ${found} (expected a non-empty string or a number)`,
    false,
  );
}

// Splitting is cached because recordId runs once per record with the same few paths.
const splitPaths = new Map<string, string[]>();
function splitPath(path: string): string[] {
  let segments = splitPaths.get(path);
  if (!segments) {
    segments = path.split('.');
    if (splitPaths.size < 1000) splitPaths.set(path, segments);
  }
  return segments;
}

// ---- URLs -----------------------------------------------------------------------------------

function resolveEntityUrl(baseUrl: string, entity: string): URL {
  try {
    if (/^https?:\/\//i.test(entity)) return new URL(entity);
    const base = baseUrl.replace(/\/+$/, '');
    const path = entity.replace(/^\/+/, '');
    return new URL(path === '' ? base : `${base}/${path}`);
  } catch {
    throw new SourceError('SOURCE_CONFIG_INVALID', `Invalid source URL: base "${baseUrl}", entity "${entity}"`, false);
  }
}

function buildRequestUrl(entityUrl: URL, pagination: HttpPagination, cursor: string | null, pageSize: number): URL {
  const url = new URL(entityUrl);
  switch (pagination.type) {
    case 'page': {
      const { pageParam, sizeParam, startPage } = pageSettings(pagination);
      url.searchParams.set(pageParam, String(cursor === null ? startPage : parseIntegerCursor(cursor)));
      url.searchParams.set(sizeParam, String(pageSize));
      return url;
    }
    case 'offset':
      url.searchParams.set(pagination.offsetParam ?? 'offset', String(cursor === null ? 0 : parseIntegerCursor(cursor)));
      url.searchParams.set(pagination.limitParam ?? 'limit', String(pageSize));
      return url;
    case 'cursor':
      if (cursor !== null) url.searchParams.set(pagination.cursorParam, cursor);
      return url;
    case 'nextLink':
    case 'linkHeader':
      // The cursor is the next page's full URL, already checked to stay on the source's origin.
      return cursor === null ? url : parseUrlCursor(cursor);
    case 'none':
      return url;
    default:
      throw new SourceError('SOURCE_CONFIG_INVALID', `Unknown pagination type "${(pagination as { type: unknown }).type}"`, false);
  }
}

function pageSettings(pagination: Extract<HttpPagination, { type: 'page' }>) {
  return {
    pageParam: pagination.pageParam ?? 'page',
    sizeParam: pagination.sizeParam ?? 'pageSize',
    startPage: pagination.startPage ?? 1,
  };
}

function parseIntegerCursor(cursor: string): number {
  const value = Number(cursor);
  if (!Number.isSafeInteger(value) || value < 0) throw new SourceError('SOURCE_BAD_CURSOR', `Invalid page cursor "${cursor}"`, false);
  return value;
}

function parseUrlCursor(cursor: string): URL {
  try {
    return new URL(cursor);
  } catch {
    throw new SourceError('SOURCE_BAD_CURSOR', `Invalid next-page URL cursor "${cursor}"`, false);
  }
}

// ---- auth -----------------------------------------------------------------------------------

interface PreparedAuth {
  headers: Record<string, string>;
  /** Adds query-string credentials to a request URL. */
  apply(url: URL): URL;
  /** The URL as it may appear in messages and cursors: query-string credentials removed. */
  redact(url: URL): string;
  /** Removes query-string credentials (cursors end up in workflow history). */
  strip(url: URL): URL;
  /** Headers that must not follow a redirect to another origin. */
  credentialHeaders: string[];
}

function prepareAuth(config: HttpJsonConfig, secrets: HttpJsonSecrets): PreparedAuth {
  // Accept first so that an API wanting e.g. application/vnd.api+json can override it.
  const headers: Record<string, string> = { Accept: 'application/json', ...config.headers };
  const credentialHeaders: string[] = ['authorization'];
  let queryParam: { name: string; value: string } | null = null;
  const auth = config.auth ?? { type: 'none' };

  switch (auth.type) {
    case 'none':
      break;
    case 'bearer':
      headers.Authorization = `Bearer ${requireSecret(secrets.token, 'token', 'bearer')}`;
      break;
    case 'basic':
      headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${secrets.password ?? ''}`).toString('base64')}`;
      break;
    case 'apiKey': {
      const key = requireSecret(secrets.apiKey, 'apiKey', 'apiKey');
      if (auth.queryParam) {
        queryParam = { name: auth.queryParam, value: key };
      } else {
        const header = auth.header ?? 'X-API-Key';
        headers[header] = key;
        credentialHeaders.push(header.toLowerCase());
      }
      break;
    }
    default:
      throw new SourceError('SOURCE_CONFIG_INVALID', `Unsupported auth type "${(auth as { type: unknown }).type}"`, false);
  }

  const secretValues = [secrets.token, secrets.password, secrets.apiKey, secrets.clientSecret].filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  const strip = (url: URL): URL => {
    const copy = new URL(url);
    if (queryParam) copy.searchParams.delete(queryParam.name);
    return copy;
  };
  return {
    headers,
    credentialHeaders,
    apply(url) {
      if (!queryParam) return url;
      const copy = new URL(url);
      copy.searchParams.set(queryParam.name, queryParam.value);
      return copy;
    },
    strip,
    redact(url) {
      const copy = strip(url);
      copy.username = '';
      copy.password = '';
      // Also hide secrets a server echoed into a link under another name.
      for (const [name, value] of [...copy.searchParams]) {
        if (secretValues.includes(value)) copy.searchParams.set(name, '***');
      }
      return copy.toString();
    },
  };
}

function requireSecret(value: string | undefined, name: string, authType: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new SourceError('SOURCE_CONFIG_INVALID', `Auth type ${authType} needs secrets.${name}`, false);
  }
  return value;
}

// ---- HTTP -----------------------------------------------------------------------------------

interface Fetched {
  response: Response;
  /** The URL that answered (after redirects), without query-string credentials. */
  url: URL;
  bytes: Uint8Array;
  requests: number;
}

/**
 * One GET, following redirects by hand so that each hop counts as a request and credentials are
 * not forwarded to another origin (fetch would keep custom API-key headers).
 */
async function request(startUrl: URL, auth: PreparedAuth, fetchImpl: typeof fetch, signal: AbortSignal | undefined): Promise<Fetched> {
  let url = startUrl;
  let headers = auth.headers;
  let withQueryCredentials = true;
  const origin = startUrl.origin;

  for (let requests = 1; ; requests++) {
    const target = withQueryCredentials ? auth.apply(url) : url;
    let response: Response;
    let bytes: Uint8Array;
    try {
      response = await fetchImpl(target, { method: 'GET', headers, redirect: 'manual', signal });
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (err) {
      // Cancellation is not a source failure: let the abort reach Temporal as it is.
      if (signal?.aborted) throw err;
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new SourceError('SOURCE_UNREACHABLE', `Cannot reach ${auth.redact(url)}: ${cause}`, true);
    }

    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      if (requests > MAX_REDIRECTS) {
        throw new SourceError('SOURCE_TOO_MANY_REDIRECTS', `More than ${MAX_REDIRECTS} redirects from ${auth.redact(startUrl)}`, false);
      }
      url = auth.strip(new URL(location, url));
      if (url.origin !== origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !auth.credentialHeaders.includes(name.toLowerCase())));
        withQueryCredentials = false;
      }
      continue;
    }

    if (!response.ok) throw httpError(response, utf8.decode(bytes), auth.redact(url));
    return { response, url, bytes, requests };
  }
}

function httpError(response: Response, text: string, safeUrl: string): SourceError {
  const { status } = response;
  const excerpt = text.slice(0, BODY_EXCERPT_CHARS).trim();
  const message = `GET ${safeUrl} answered ${status} ${response.statusText}${excerpt ? `: ${excerpt}` : ''}`;
  const code = `SOURCE_HTTP_${status}`;
  if (status === 429) return new SourceError(code, message, true, parseRetryAfter(response.headers.get('retry-after')));
  if (status >= 500 || status === 408) return new SourceError(code, message, true);
  return new SourceError(code, message, false);
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// ---- body -----------------------------------------------------------------------------------

function parseJson(text: string, safeUrl: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const excerpt = text.slice(0, BODY_EXCERPT_CHARS).trim();
    throw new SourceError('SOURCE_BAD_RESPONSE', `GET ${safeUrl} did not answer JSON${excerpt ? `: ${excerpt}` : ' (empty body)'}`, false);
  }
}

/** The records' list: at `resultsPosition`, or where it usually is; undefined when it is not there. */
function findRecordList(body: unknown, resultsPosition: string | undefined): unknown[] | undefined {
  if (resultsPosition !== undefined) {
    const list = readPath(body, resultsPosition);
    return Array.isArray(list) ? list : undefined;
  }
  return DEFAULT_RESULTS_POSITIONS.map((key) => readPath(body, key)).find(Array.isArray) ?? (Array.isArray(body) ? body : undefined);
}

function extractRecords(body: unknown, resultsPosition: string | undefined, safeUrl: string): JsonObject[] {
  const records = findRecordList(body, resultsPosition);
  // A missing list is an error, not an empty page: an empty page ends the import, and a
  // misconfigured path would otherwise look like a source with no records.
  if (records === undefined) {
    const message =
      resultsPosition !== undefined
        ? `Cannot find the list of records at "${resultsPosition}" in the response of GET ${safeUrl}`
        : `Cannot find the list of records in the response of GET ${safeUrl}: no ${DEFAULT_RESULTS_POSITIONS.join('/')} list and the body is not a list; set resultsPosition`;
    throw new SourceError('SOURCE_BAD_RESPONSE', message, false);
  }
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new SourceError('SOURCE_BAD_RESPONSE', `Record ${i} of GET ${safeUrl} is not an object: ${JSON.stringify(record)?.slice(0, 100)}`, false);
    }
  }
  return records as JsonObject[];
}

function readTotalCount(body: unknown, totalPath: string | undefined, headers: Headers): number | null {
  const fromBody = totalPath === undefined ? undefined : toCount(readPath(body, totalPath));
  return fromBody ?? toCount(headers.get('x-total-count')) ?? null;
}

function toCount(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

// ---- next page ------------------------------------------------------------------------------

interface NextCursorInput {
  pagination: HttpPagination;
  cursor: string | null;
  pageSize: number;
  url: URL;
  body: unknown;
  response: Response;
  /** Records on the page. */
  recordCount: number;
  totalCount: number | null;
  auth: PreparedAuth;
}

function computeNextCursor(input: NextCursorInput): string | null {
  const { pagination, cursor, pageSize, recordCount, totalCount } = input;
  switch (pagination.type) {
    case 'page': {
      if (recordCount === 0) return null;
      const { startPage } = pageSettings(pagination);
      const page = cursor === null ? startPage : parseIntegerCursor(cursor);
      const throughThisPage = (page - startPage) * pageSize + recordCount;
      // The page arithmetic holds only if the source honours pageSize. A full page proves it;
      // a short page must land exactly on the total. A source that caps the page size below ours
      // fails both, and is then read until an empty page rather than stopped early.
      const complete =
        totalCount !== null && (recordCount === pageSize ? throughThisPage >= totalCount : throughThisPage === totalCount);
      return complete ? null : String(page + 1);
    }
    case 'offset': {
      if (recordCount === 0) return null;
      const next = (cursor === null ? 0 : parseIntegerCursor(cursor)) + recordCount;
      return totalCount !== null && next >= totalCount ? null : String(next);
    }
    case 'cursor': {
      const next = readPath(input.body, pagination.cursorPath);
      if (next === null || next === undefined || next === '') return null;
      if (typeof next !== 'string' && typeof next !== 'number') {
        throw new SourceError('SOURCE_BAD_RESPONSE', `The cursor at "${pagination.cursorPath}" is not a string or number`, false);
      }
      return String(next);
    }
    case 'nextLink': {
      const link = readPath(input.body, pagination.nextPath);
      if (link === null || link === undefined || link === '') return null;
      if (typeof link !== 'string') {
        throw new SourceError('SOURCE_BAD_RESPONSE', `The next link at "${pagination.nextPath}" is not a string`, false);
      }
      return nextUrlCursor(link, input);
    }
    case 'linkHeader': {
      const link = nextFromLinkHeader(input.response.headers.get('link'));
      return link === null ? null : nextUrlCursor(link, input);
    }
    case 'none':
      return null;
    default:
      throw new SourceError('SOURCE_CONFIG_INVALID', `Unknown pagination type "${(pagination as { type: unknown }).type}"`, false);
  }
}

/** Resolves a next-page link against the URL that answered; null when it points back at it. */
function nextUrlCursor(link: string, { url, auth }: NextCursorInput): string | null {
  let next: URL;
  try {
    next = auth.strip(new URL(link, url));
  } catch {
    throw new SourceError('SOURCE_BAD_RESPONSE', `Invalid next-page link "${link.slice(0, 200)}"`, false);
  }
  // Credentials go with every request, so a link to another origin would hand them over.
  if (next.origin !== url.origin) {
    throw new SourceError(
      'SOURCE_BAD_RESPONSE',
      `The next-page link leaves the source (${url.origin} → ${next.origin}); refusing to send credentials there`,
      false,
    );
  }
  return next.toString() === url.toString() ? null : next.toString();
}

/** The rel="next" target of an RFC 8288 Link header. */
function nextFromLinkHeader(header: string | null): string | null {
  if (!header) return null;
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2] ?? '');
    if (rel && rel[1]!.toLowerCase().split(/\s+/).includes('next')) return match[1]!;
  }
  return null;
}
