/**
 * Fault injection and request counting shared by the local-stack services, so tests can make a stand-in
 * throttle, fail, drop the connection, answer slowly or not at all, and count what a run asked for.
 *
 * Every service answers these itself, on each of its ports:
 *   POST   /__faults        {"rules":[rule, ...]} appends rules; answers them with their ids
 *   GET    /__faults        the rules, each with how often it hit
 *   DELETE /__faults        removes all rules (DELETE /__faults/<id> removes one)
 *   GET    /__stats         { requests, byMethod, byKind, blobBytes }
 *   DELETE /__stats         starts counting from zero
 *
 * A rule is { match?: { method?, path?, operation? }, times?, action }. The first rule that matches a
 * request and has hits left applies; requests no rule matches are handled normally. Control and health
 * paths are never counted and never faulted, so a rule can never lock a test out of removing it.
 */
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import type { Socket } from 'node:net';

type JsonObject = Record<string, unknown>;

/** How a service words its errors: a distribution registry, an AWS JSON 1.1 API, or plain text. */
export type Flavor = 'registry' | 'aws' | 'plain';

export interface FaultMatch {
  /** Compared case-insensitively. */
  method?: string;
  /** A JavaScript regular expression (source), tested against the request's path and query. */
  path?: string;
  /** The operation named by X-Amz-Target (AWS JSON APIs only). */
  operation?: string;
}

export interface FaultAction {
  /** Answer with this status (and `headers`, `body`) instead of handling the request. */
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is, anything else as JSON. */
  body?: unknown;
  /** Answer with an AWS JSON error of this type (status 400 unless `status` says otherwise). */
  awsError?: string;
  message?: string;
  /** Close the connection abruptly, with no response at all. */
  reset?: true;
  /** Wait this long first; alone, the request is then handled normally (a slow answer). */
  delayMs?: number;
  /** Never answer; the connection stays open until the client gives up. */
  hang?: true;
}

export interface FaultRule {
  id: number;
  match: FaultMatch;
  /** How many requests the rule applies to; unlimited when absent. */
  times?: number;
  action: FaultAction;
  hits: number;
}

/** What a rule is matched against. */
export interface RequestInfo {
  method: string;
  /** Path and query, as in the request line. */
  path: string;
  operation?: string;
}

export class FaultRuleError extends Error {}

const MATCH_KEYS = new Set(['method', 'path', 'operation']);
const RULE_KEYS = new Set(['match', 'times', 'action']);
const ACTION_KEYS = new Set(['status', 'headers', 'body', 'awsError', 'message', 'reset', 'delayMs', 'hang']);
// Longer than any client timeout worth testing; a typo of an extra zero should not park a request for hours.
const MAX_DELAY_MS = 10 * 60 * 1000;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(value: JsonObject, allowed: Set<string>, where: string): void {
  const extra = Object.keys(value).filter((key) => !allowed.has(key));
  if (extra.length)
    throw new FaultRuleError(
      `${where}: unknown ${extra.length > 1 ? 'keys' : 'key'} ${extra.join(', ')} (allowed: ${[...allowed].join(', ')})`,
    );
}

function optionalText(value: JsonObject, key: string, where: string): string | undefined {
  const v = value[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new FaultRuleError(`${where}.${key} must be a non-empty string`);
  return v;
}

function parseMatch(raw: unknown, where: string): FaultMatch {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw new FaultRuleError(`${where} must be an object`);
  unknownKeys(raw, MATCH_KEYS, where);
  const match: FaultMatch = {};
  const method = optionalText(raw, 'method', where);
  if (method !== undefined) match.method = method.toUpperCase();
  const path = optionalText(raw, 'path', where);
  if (path !== undefined) {
    try {
      new RegExp(path);
    } catch (err) {
      throw new FaultRuleError(`${where}.path is not a valid regular expression: ${(err as Error).message}`);
    }
    match.path = path;
  }
  const operation = optionalText(raw, 'operation', where);
  if (operation !== undefined) match.operation = operation;
  return match;
}

function parseAction(raw: unknown, where: string): FaultAction {
  if (!isObject(raw)) throw new FaultRuleError(`${where} must be an object`);
  unknownKeys(raw, ACTION_KEYS, where);
  const action: FaultAction = {};
  if (raw.status !== undefined) {
    if (typeof raw.status !== 'number' || !Number.isInteger(raw.status) || raw.status < 200 || raw.status > 599) {
      throw new FaultRuleError(`${where}.status must be an HTTP status from 200 to 599`);
    }
    action.status = raw.status;
  }
  if (raw.headers !== undefined) {
    if (!isObject(raw.headers)) throw new FaultRuleError(`${where}.headers must be an object of header values`);
    action.headers = {};
    for (const [name, value] of Object.entries(raw.headers)) {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new FaultRuleError(`${where}.headers.${name} must be a string or number`);
      action.headers[name] = String(value);
    }
  }
  if (raw.body !== undefined) action.body = raw.body;
  const awsError = optionalText(raw, 'awsError', where);
  if (awsError !== undefined) action.awsError = awsError;
  const message = optionalText(raw, 'message', where);
  if (message !== undefined) action.message = message;
  for (const flag of ['reset', 'hang'] as const) {
    if (raw[flag] === undefined) continue;
    if (raw[flag] !== true) throw new FaultRuleError(`${where}.${flag} must be true`);
    action[flag] = true;
  }
  if (raw.delayMs !== undefined) {
    if (typeof raw.delayMs !== 'number' || !Number.isFinite(raw.delayMs) || raw.delayMs < 0 || raw.delayMs > MAX_DELAY_MS) {
      throw new FaultRuleError(`${where}.delayMs must be a number of milliseconds from 0 to ${MAX_DELAY_MS}`);
    }
    action.delayMs = raw.delayMs;
  }

  // One outcome per rule; only a delay can come before another one.
  const outcomes = [
    action.awsError !== undefined ? 'awsError' : action.status !== undefined ? 'status' : undefined,
    action.reset && 'reset',
    action.hang && 'hang',
  ].filter((o): o is string => typeof o === 'string');
  if (outcomes.length > 1) throw new FaultRuleError(`${where}: choose one of status, awsError, reset, hang (got ${outcomes.join(', ')})`);
  if (!outcomes.length && action.delayMs === undefined)
    throw new FaultRuleError(`${where} needs one of status, awsError, reset, delayMs, hang`);
  if (action.hang && action.delayMs !== undefined)
    throw new FaultRuleError(`${where}: delayMs before hang changes nothing; use hang alone`);
  if ((action.headers || action.body !== undefined) && outcomes[0] !== 'status' && outcomes[0] !== 'awsError') {
    throw new FaultRuleError(`${where}: headers and body only go with status or awsError`);
  }
  if (action.body !== undefined && action.awsError !== undefined)
    throw new FaultRuleError(`${where}: an awsError has its body made from awsError and message`);
  if (action.message !== undefined && action.awsError === undefined) throw new FaultRuleError(`${where}.message only goes with awsError`);
  return action;
}

/** A rule as POSTed, checked; throws FaultRuleError saying what is wrong. */
export function parseRule(raw: unknown, where = 'rule'): Omit<FaultRule, 'id' | 'hits'> {
  if (!isObject(raw)) throw new FaultRuleError(`${where} must be an object`);
  unknownKeys(raw, RULE_KEYS, where);
  const rule: Omit<FaultRule, 'id' | 'hits'> = {
    match: parseMatch(raw.match, `${where}.match`),
    action: parseAction(raw.action, `${where}.action`),
  };
  if (raw.times !== undefined) {
    if (typeof raw.times !== 'number' || !Number.isInteger(raw.times) || raw.times < 1)
      throw new FaultRuleError(`${where}.times must be a whole number of at least 1`);
    rule.times = raw.times;
  }
  return rule;
}

export function ruleMatches(match: FaultMatch, request: RequestInfo): boolean {
  if (match.method !== undefined && match.method !== request.method.toUpperCase()) return false;
  if (match.operation !== undefined && match.operation !== request.operation) return false;
  if (match.path !== undefined && !new RegExp(match.path).test(request.path)) return false;
  return true;
}

/** The rule that applies to a request: the first that matches and has hits left. */
export function selectRule<R extends Pick<FaultRule, 'match' | 'times' | 'hits'>>(
  rules: readonly R[],
  request: RequestInfo,
): R | undefined {
  return rules.find((rule) => (rule.times === undefined || rule.hits < rule.times) && ruleMatches(rule.match, request));
}

export class FaultTable {
  private rules: FaultRule[] = [];
  private nextId = 1;

  /** Checks every rule before adding any, so a bad batch leaves the table as it was. */
  add(body: unknown): FaultRule[] {
    if (!isObject(body) || !Array.isArray(body.rules)) throw new FaultRuleError('the body must be {"rules": [rule, ...]}');
    unknownKeys(body, new Set(['rules']), 'body');
    const parsed = body.rules.map((raw, i) => parseRule(raw, `rules[${i}]`));
    const added = parsed.map((rule) => ({ id: this.nextId++, ...rule, hits: 0 }));
    this.rules.push(...added);
    return added;
  }

  clear(): void {
    this.rules = [];
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** The rule that applies to this request, counting the hit. */
  take(request: RequestInfo): FaultRule | undefined {
    const rule = selectRule(this.rules, request);
    if (rule) rule.hits++;
    return rule;
  }
}

// ---------------------------------------------------------------------------------------------------
// What a fault answers

const REGISTRY_ERROR_CODES: Record<number, string> = {
  401: 'UNAUTHORIZED',
  403: 'DENIED',
  404: 'NOT_FOUND',
  405: 'UNSUPPORTED',
  429: 'TOOMANYREQUESTS',
  503: 'UNAVAILABLE',
};

/** The AWS error type a bare status stands for, as the SDKs classify them (throttling, server fault). */
function awsTypeFor(status: number): string {
  if (status === 429) return 'ThrottlingException';
  if (status >= 500) return 'ServerException';
  return 'InjectedFaultException';
}

export interface FaultResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The response a status or awsError action gives, in the service's own error format. */
export function faultResponse(action: FaultAction, flavor: Flavor, method: string): FaultResponse {
  let status: number;
  let headers: Record<string, string>;
  let body: string;
  if (action.awsError !== undefined) {
    status = action.status ?? 400;
    // Real AWS JSON services name the error both in the body and in this header; clients read either.
    headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': action.awsError, 'x-amzn-requestid': randomUUID() };
    body = JSON.stringify({ __type: action.awsError, message: action.message ?? `injected fault: ${action.awsError}` });
  } else {
    status = action.status ?? 500;
    const note = `injected fault: HTTP ${status}`;
    if (action.body !== undefined) {
      const text = typeof action.body === 'string';
      headers = {
        'content-type': text ? 'text/plain; charset=utf-8' : flavor === 'aws' ? 'application/x-amz-json-1.1' : 'application/json',
      };
      body = text ? (action.body as string) : JSON.stringify(action.body);
    } else if (flavor === 'registry') {
      headers = { 'content-type': 'application/json; charset=utf-8', 'docker-distribution-api-version': 'registry/2.0' };
      body = JSON.stringify({ errors: [{ code: REGISTRY_ERROR_CODES[status] ?? 'UNKNOWN', message: note, detail: null }] });
    } else if (flavor === 'aws') {
      const type = awsTypeFor(status);
      headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() };
      body = JSON.stringify({ __type: type, message: note });
    } else {
      headers = { 'content-type': 'text/plain; charset=utf-8' };
      body = note;
    }
  }
  for (const [name, value] of Object.entries(action.headers ?? {})) headers[name.toLowerCase()] = value;
  // A HEAD answer has no body, but keeps the length a GET would have, as servers do.
  headers['content-length'] = String(Buffer.byteLength(body));
  return { status, headers, body: method.toUpperCase() === 'HEAD' ? '' : body };
}

// ---------------------------------------------------------------------------------------------------
// Request statistics

export const REGISTRY_KINDS = ['manifests', 'blobs', 'tags', 'other'] as const;
export type RegistryKind = (typeof REGISTRY_KINDS)[number];

/** Which part of the registry API a path belongs to (uploads count as blobs). */
export function registryKind(pathname: string): RegistryKind {
  const match = /^\/v2\/.+?\/(manifests|blobs|tags)\//.exec(pathname);
  return match ? (match[1] as RegistryKind) : 'other';
}

export interface StatsSnapshot {
  service: string;
  since: string;
  requests: number;
  byMethod: Record<string, number>;
  byKind: Record<string, number>;
  blobBytes: number;
}

export class RequestStats {
  private since = new Date();
  private requests = 0;
  private byMethod: Record<string, number> = {};
  private byKind: Record<string, number> = {};
  private blobBytes = 0;

  constructor(
    private readonly service: string,
    private readonly kinds: readonly string[] = [],
  ) {
    this.reset();
  }

  count(method: string, kind: string): void {
    this.requests++;
    this.byMethod[method] = (this.byMethod[method] ?? 0) + 1;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
  }

  addBlobBytes(bytes: number): void {
    this.blobBytes += bytes;
  }

  snapshot(): StatsSnapshot {
    return {
      service: this.service,
      since: this.since.toISOString(),
      requests: this.requests,
      byMethod: { ...this.byMethod },
      byKind: { ...this.byKind },
      blobBytes: this.blobBytes,
    };
  }

  reset(): void {
    this.since = new Date();
    this.requests = 0;
    this.byMethod = {};
    // The kinds a service always has are listed even at zero, so readers need no "?? 0".
    this.byKind = Object.fromEntries(this.kinds.map((kind) => [kind, 0]));
    this.blobBytes = 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// Wiring into a service

/** Never counted and never faulted: the control API itself, health checks and the test read-back APIs. */
export const CONTROL_PATHS = new Set(['/__faults', '/__stats', '/__history', '/health', '/cards']);

export function isControlPath(pathname: string): boolean {
  return CONTROL_PATHS.has(pathname) || pathname.startsWith('/__faults/');
}

export interface InstrumentOptions {
  /** Named in stats and log lines. */
  service: string;
  flavor: Flavor;
  /** The byKind bucket of a request. */
  kindOf: (req: http.IncomingMessage, pathname: string) => string;
  /** Buckets shown even when nothing was counted in them. */
  kinds?: readonly string[];
  operationOf?: (req: http.IncomingMessage) => string | undefined;
  log?: (message: string) => void;
}

/** Something parked by a fault (a delay or a hang), and how to end it when the service stops. */
interface Parked {
  end(): void;
}

const MAX_CONTROL_BODY = 1024 * 1024;

/** A control API's answer: JSON, or nothing (a 204). */
export function sendJson(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': 0 });
    res.end();
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_CONTROL_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_CONTROL_BODY) return reject(new FaultRuleError(`body larger than ${MAX_CONTROL_BODY} bytes`));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(new FaultRuleError(`body is not valid JSON: ${(err as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

/** The fault table and request counters of one listening port. */
export class Instrumentation {
  readonly faults = new FaultTable();
  readonly stats: RequestStats;
  private readonly parked = new Set<Parked>();

  constructor(private readonly options: InstrumentOptions) {
    this.stats = new RequestStats(options.service, options.kinds);
  }

  /** Answers the control API, counts the request, applies a fault if one matches, and otherwise calls next. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, next: () => Promise<void>): Promise<void> {
    const url = req.url ?? '/';
    const pathname = url.split('?')[0];
    if (pathname === '/__faults' || pathname.startsWith('/__faults/')) return this.faultsApi(req, res, pathname);
    if (pathname === '/__stats') return this.statsApi(req, res);
    if (isControlPath(pathname)) return next();

    const method = req.method ?? 'GET';
    this.stats.count(method, this.options.kindOf(req, pathname));
    const rule = this.faults.take({ method, path: url, operation: this.options.operationOf?.(req) });
    if (!rule) return next();
    this.options.log?.(
      `fault #${rule.id} (hit ${rule.hits}${rule.times ? ` of ${rule.times}` : ''}) on ${method} ${url}: ${JSON.stringify(rule.action)}`,
    );
    const { action } = rule;

    if (action.delayMs !== undefined && !(await this.delay(req, action.delayMs))) return;
    if (action.hang) return this.hang(req);
    if (action.reset) {
      // An RST rather than a FIN, so the client sees "connection reset", as from a dropped load balancer.
      const socket = req.socket as Socket & { resetAndDestroy?: () => void };
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
      return;
    }
    if (action.status !== undefined || action.awsError !== undefined) {
      const answer = faultResponse(action, this.options.flavor, method);
      req.resume();
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    return next();
  }

  /** Ends every delayed and hanging request, so the server can close when the service is stopped. */
  close(): void {
    for (const parked of this.parked) parked.end();
    this.parked.clear();
  }

  /** Resolves true once the delay is over, false if the client left meanwhile or the service is stopping. */
  private delay(req: http.IncomingMessage, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = req.socket;
      const done = (carryOn: boolean): void => {
        clearTimeout(timer);
        socket.off('close', onClose);
        this.parked.delete(parked);
        resolve(carryOn);
      };
      // A client that gave up gets nothing done on its behalf: a write it no longer waits for would only
      // surprise the test that made it time out.
      const onClose = (): void => done(false);
      const parked: Parked = {
        end: () => {
          done(false);
          socket.destroy();
        },
      };
      const timer = setTimeout(() => done(!socket.destroyed), ms);
      socket.once('close', onClose);
      this.parked.add(parked);
    });
  }

  private hang(req: http.IncomingMessage): void {
    const socket = req.socket;
    const parked: Parked = { end: () => socket.destroy() };
    this.parked.add(parked);
    socket.once('close', () => this.parked.delete(parked));
  }

  private async faultsApi(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> {
    const id = pathname.startsWith('/__faults/') ? pathname.slice('/__faults/'.length) : undefined;
    if (id !== undefined) {
      if (req.method !== 'DELETE') return sendJson(res, 405, { error: 'only DELETE /__faults/<id>' });
      return this.faults.remove(Number(id)) ? sendJson(res, 204) : sendJson(res, 404, { error: `no rule ${id}` });
    }
    switch (req.method) {
      case 'GET':
        return sendJson(res, 200, { rules: this.faults.list() });
      case 'DELETE':
        this.faults.clear();
        return sendJson(res, 204);
      case 'POST':
        try {
          const added = this.faults.add(await readJson(req));
          this.options.log?.(
            `fault rules added: ` +
              `${added.map((rule) => `#${rule.id} ${JSON.stringify({ match: rule.match, times: rule.times, action: rule.action })}`).join('; ')}`,
          );
          return sendJson(res, 201, { rules: added });
        } catch (err) {
          if (err instanceof FaultRuleError) return sendJson(res, 400, { error: err.message });
          throw err;
        }
      default:
        req.resume();
        return sendJson(res, 405, { error: 'GET, POST or DELETE /__faults' });
    }
  }

  private statsApi(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'GET') return sendJson(res, 200, this.stats.snapshot());
    if (req.method === 'DELETE') {
      this.stats.reset();
      return sendJson(res, 204);
    }
    req.resume();
    sendJson(res, 405, { error: 'GET or DELETE /__stats' });
  }
}

/** Instrumentation for a service speaking the registry API: faults by path, requests counted by kind. */
export function registryInstrumentation(service: string, log: (message: string) => void): Instrumentation {
  return new Instrumentation({
    service,
    flavor: 'registry',
    kindOf: (_req, pathname) => registryKind(pathname),
    kinds: REGISTRY_KINDS,
    log,
  });
}
