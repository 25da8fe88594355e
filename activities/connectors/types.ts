// Shapes shared by the source and destination connectors. Records only ever live inside
// activities; what crosses into workflow code is counts and cursors.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type HttpAuth =
  | { type: 'none' }
  | { type: 'bearer' } // token from secrets.token
  | { type: 'basic'; username: string } // password from secrets.password
  | { type: 'apiKey'; header?: string; queryParam?: string }; // value from secrets.apiKey

export type HttpPagination =
  | { type: 'page'; pageParam?: string; sizeParam?: string; startPage?: number }
  | { type: 'offset'; offsetParam?: string; limitParam?: string }
  | { type: 'cursor'; cursorParam: string; cursorPath: string }
  | { type: 'nextLink'; nextPath: string }
  | { type: 'linkHeader' }
  | { type: 'none' };

export interface HttpJsonConfig {
  baseUrl: string;
  headers?: Record<string, string>;
  auth?: HttpAuth;
  pagination?: HttpPagination;
  /** Dot path to the total record count in the response envelope, when the source tells it. */
  totalPath?: string;
}

export interface HttpJsonSecrets {
  token?: string;
  password?: string;
  apiKey?: string;
  clientSecret?: string;
}

export interface SourceEntity {
  /** Path appended to baseUrl, e.g. "/accounts" (or a full URL). */
  entity: string;
  /** Dot path to the list of records in the response; "_root" when the body is the list. */
  resultsPosition?: string;
  /** Dot path to each record's id. */
  idField: string;
}

export interface SourcePage {
  records: JsonObject[];
  /** Opaque cursor for the next page; null when this page was the last. */
  nextCursor: string | null;
  /** Total records at the source when it tells (envelope totalPath or X-Total-Count). */
  totalCount: number | null;
  /** HTTP requests made for this page, retries included. */
  requests: number;
}
