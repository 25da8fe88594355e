// The CData Sync task query, the alternative spelling of a task's structured fields:
//   REPLICATE [Target] SELECT * | col, col2 FROM [Source] [WHERE col op 'literal' | number] [;]
// Keywords are case-insensitive; identifiers may be bracketed ([My Source], with ]] for a ])
// or bare (letters, digits, underscores). Pure: no I/O, so the API and tests share it.
import { FILTER_OPS, type FilterOp, type TaskFilter } from '../db/schema';

export interface ReplicateQuery {
  targetEntity: string;
  sourceEntity: string;
  /** The SELECT list; null for `*`. */
  columns: string[] | null;
  filter: TaskFilter | null;
}

/** A query that does not parse; `position` is the 0-based offset of the offending character. */
export class ReplicateQueryError extends Error {
  constructor(
    message: string,
    public readonly position: number,
  ) {
    super(message);
    this.name = 'ReplicateQueryError';
  }
}

const KEYWORDS = new Set(['REPLICATE', 'SELECT', 'FROM', 'WHERE']);
const BARE_IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
// Longest operators first so `>=` is not read as `>` followed by `=`.
const OPERATORS = [...FILTER_OPS].sort((a, b) => b.length - a.length);

export function parseReplicateQuery(text: string): ReplicateQuery {
  const reader = new QueryReader(text);
  reader.keyword('REPLICATE');
  const targetEntity = reader.identifier('target entity');
  reader.keyword('SELECT');
  const columns = reader.selectList();
  reader.keyword('FROM');
  const sourceEntity = reader.identifier('source entity');
  let filter: TaskFilter | null = null;
  if (reader.peekKeyword('WHERE')) {
    reader.keyword('WHERE');
    const field = reader.identifier('column');
    const op = reader.operator();
    filter = { field, op, value: reader.literal() };
  }
  reader.optional(';');
  reader.end();
  return { targetEntity, sourceEntity, columns, filter };
}

/** The query text for structured fields; parseReplicateQuery(formatReplicateQuery(q)) gives q back. */
export function formatReplicateQuery(query: ReplicateQuery): string {
  const select = query.columns === null ? '*' : query.columns.map(bracket).join(', ');
  const where = query.filter
    ? ` WHERE ${bracket(query.filter.field)} ${query.filter.op} ${typeof query.filter.value === 'number' ? String(query.filter.value) : `'${query.filter.value.replaceAll("'", "''")}'`}`
    : '';
  return `REPLICATE ${bracket(query.targetEntity)} SELECT ${select} FROM ${bracket(query.sourceEntity)}${where}`;
}

const bracket = (name: string) => `[${name.replaceAll(']', ']]')}]`;

class QueryReader {
  private at = 0;

  constructor(private readonly text: string) {}

  keyword(word: string): void {
    this.skipSpace();
    if (!this.peekKeyword(word)) this.fail(word);
    this.at += word.length;
  }

  peekKeyword(word: string): boolean {
    this.skipSpace();
    const bare = this.matchBare();
    return bare !== undefined && bare.toUpperCase() === word;
  }

  /** `*` (null) or one or more comma-separated column names. */
  selectList(): string[] | null {
    this.skipSpace();
    if (this.text[this.at] === '*') {
      this.at++;
      return null;
    }
    const columns = [this.identifier('column or *')];
    while (this.optional(',')) columns.push(this.identifier('column'));
    return columns;
  }

  identifier(what: string): string {
    this.skipSpace();
    const start = this.at;
    if (this.text[start] === '[') {
      let name = '';
      let i = start + 1;
      for (;;) {
        const close = this.text.indexOf(']', i);
        if (close === -1) throw new ReplicateQueryError(`expected ] at position ${this.text.length} to close the [ at position ${start}`, this.text.length);
        name += this.text.slice(i, close);
        if (this.text[close + 1] === ']') {
          name += ']';
          i = close + 2;
          continue;
        }
        this.at = close + 1;
        break;
      }
      if (name.trim() === '') throw new ReplicateQueryError(`expected ${what} at position ${start}, found an empty []`, start);
      return name;
    }
    const bare = this.matchBare();
    if (bare === undefined || KEYWORDS.has(bare.toUpperCase())) this.fail(what);
    this.at += bare.length;
    return bare;
  }

  operator(): FilterOp {
    this.skipSpace();
    const op = OPERATORS.find((candidate) => this.text.startsWith(candidate, this.at));
    if (op === undefined) this.fail('a comparison', `one of ${FILTER_OPS.join(' ')}`);
    this.at += op.length;
    return op;
  }

  /** A 'quoted string' ('' for a quote) or a number. */
  literal(): string | number {
    this.skipSpace();
    const start = this.at;
    if (this.text[start] === "'") {
      let value = '';
      let i = start + 1;
      for (;;) {
        const quote = this.text.indexOf("'", i);
        if (quote === -1) throw new ReplicateQueryError(`expected ' at position ${this.text.length} to close the string at position ${start}`, this.text.length);
        value += this.text.slice(i, quote);
        if (this.text[quote + 1] === "'") {
          value += "'";
          i = quote + 2;
          continue;
        }
        this.at = quote + 1;
        return value;
      }
    }
    NUMBER.lastIndex = start;
    const number = NUMBER.exec(this.text)?.[0];
    if (number === undefined) this.fail("a 'string' or a number");
    this.at += number.length;
    return Number(number);
  }

  optional(token: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(token, this.at)) return false;
    this.at += token.length;
    return true;
  }

  end(): void {
    this.skipSpace();
    if (this.at < this.text.length) this.fail('end of query');
  }

  private matchBare(): string | undefined {
    BARE_IDENTIFIER.lastIndex = this.at;
    return BARE_IDENTIFIER.exec(this.text)?.[0];
  }

  private skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }

  private fail(expected: string, hint?: string): never {
    const found = `found ${this.describeHere()}`;
    throw new ReplicateQueryError(`expected ${expected} at position ${this.at}, ${found}${hint ? ` (${hint})` : ''}`, this.at);
  }

  private describeHere(): string {
    if (this.at >= this.text.length) return 'end of query';
    const bare = this.matchBare();
    return JSON.stringify(bare ?? this.text[this.at]);
  }
}
