import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { z } from "zod";
import { describeIssues } from "../util/issues.js";

/**
 * The agent's HTTP client: requests with a bearer token, a short connect/answer timeout, an
 * inactivity timeout on bodies and a total deadline per request (neither a stalled nor a
 * trickling link may hang a sync), JSON answers capped in size and checked against a schema,
 * and backoff with jitter for retries.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    message: string,
    /** Seconds the server asked to wait before the same request (Retry-After), if it did. */
    readonly retryAfter?: number,
    /** The error answer's JSON, unchecked, for callers that know its shape (e.g. which items were refused). */
    readonly answer?: unknown,
  ) {
    super(message);
    this.name = "HttpError";
  }
  /** 4xx other than 408/429 will not get better by retrying. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export interface ClientOptions {
  baseUrl: string;
  token?: string;
  /** Abort a request whose response (or next body chunk) takes longer than this. */
  timeoutMs?: number;
  /** Abort a request not finished (answer and whole body) this long after it started. */
  deadlineMs?: number;
  /** Largest JSON answer read; a bigger one is refused without reading the rest. */
  maxJsonBytes?: number;
  signal?: AbortSignal;
}

export const DEFAULT_DEADLINE_MS = 5 * 60_000;
export const DEFAULT_MAX_JSON_BYTES = 8 << 20;

/**
 * An answer that arrived but cannot be used (malformed, too big, not the expected shape):
 * asking the same server again at once will not help.
 */
export class BadAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadAnswerError";
  }
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  /** A buffer, a string, or a stream (then give content-length in headers, or it is chunked). */
  body?: Buffer | Uint8Array | string | Readable;
}

export interface Answer {
  status: number;
  ok: boolean;
  headers: IncomingHttpHeaders;
}

// Keep-alive: a sync makes many small requests to one master.
const agents = { "http:": new HttpAgent({ keepAlive: true }), "https:": new HttpsAgent({ keepAlive: true }) };

/**
 * One HTTP request on node:http(s) — not fetch, which adds accept-language, sec-fetch-mode
 * and accept-encoding to every request (~70 bytes each, on links where every byte counts).
 * The token goes in Authorization; the answer must start within timeoutMs and the body may
 * not stall longer than that between chunks; the caller's signal aborts at any point.
 */
export async function request(
  opts: ClientOptions,
  path: string,
  init: RequestInit = {},
): Promise<{ res: Answer; body: AsyncIterable<Uint8Array> }> {
  const url = joinUrl(opts.baseUrl, path);
  // A request started after the caller gave up must not go out at all.
  if (opts.signal?.aborted)
    throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error("aborted");
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const target = new URL(url);
  const headers: Record<string, string> = { ...init.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = init.body;
  if (body !== undefined && !(body instanceof Readable))
    headers["content-length"] = String(Buffer.byteLength(body));
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  const agent = agents[target.protocol as keyof typeof agents];
  if (!agent) throw new Error(`${url}: only http and https are supported`);
  const req = send(target, { method: init.method ?? "GET", headers, agent });
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  // Why the request was cut short, if it was: the socket error that follows says less.
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    req.destroy(err);
  };
  let timer: NodeJS.Timeout | undefined;
  const arm = (what: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => fail(new Error(`${url} ${what} for ${timeoutMs} ms`)), timeoutMs);
  };
  const deadline = setTimeout(
    () => fail(new Error(`${url} did not finish within ${deadlineMs} ms (a link this slow is given up)`)),
    deadlineMs,
  );
  // The socket keeps the process alive while the request runs; this timer alone must not.
  deadline.unref();
  const onAbort = () =>
    fail(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error("aborted"));
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const done = () => {
    clearTimeout(timer);
    clearTimeout(deadline);
    opts.signal?.removeEventListener("abort", onAbort);
  };
  const explain = (e: unknown): Error => {
    if (failure) return failure;
    const err = e as NodeJS.ErrnoException;
    return err.code && !err.message.startsWith(url) ? new Error(`${url}: ${err.code}`, { cause: e }) : err;
  };
  arm("gave no answer");
  let res: IncomingMessage;
  try {
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.once("response", resolve);
      req.once("error", reject);
      if (body instanceof Readable) body.pipe(req);
      else req.end(body);
    });
  } catch (e) {
    done();
    throw explain(e);
  }
  const status = res.statusCode ?? 0;
  async function* stream(): AsyncGenerator<Uint8Array> {
    try {
      arm("stalled");
      for await (const chunk of res as AsyncIterable<Buffer>) {
        arm("stalled");
        yield chunk;
      }
      if (failure) throw failure;
      if (!res.complete) throw new Error(`${url}: the answer was cut off`);
    } catch (e) {
      throw explain(e);
    } finally {
      done();
      // An answer not read to its end cannot share the connection with the next request.
      if (!res.complete) res.destroy();
    }
  }
  return { res: { status, ok: status >= 200 && status < 300, headers: res.headers }, body: stream() };
}

/** Read a whole body, refusing it (and closing the connection) once it passes `limit` bytes. */
async function readCapped(
  body: AsyncIterable<Uint8Array>,
  declared: string | undefined,
  limit: number,
  what: string,
): Promise<Buffer> {
  const tooBig = () =>
    new BadAnswerError(`${what} is larger than ${limit} bytes, the limit for a JSON answer; refused`);
  const parts: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early ends the body's generator, which drops the connection.
  if (declared !== undefined && Number(declared) > limit) {
    for await (const _ of body) break;
    throw tooBig();
  }
  for await (const c of body) {
    size += c.length;
    if (size > limit) throw tooBig();
    parts.push(c);
  }
  return Buffer.concat(parts);
}

/**
 * Request expecting a JSON answer, at most `maxJsonBytes` of it; non-2xx statuses become
 * HttpErrors with the server's message. With `schema`, the answer must match it: nothing a
 * server sends reaches the caller unchecked.
 */
export async function requestJson<T>(
  opts: ClientOptions,
  path: string,
  init: RequestInit = {},
  schema?: z.ZodType<T>,
): Promise<T> {
  return (await requestJsonAndTail(opts, path, init, schema)).value;
}

/**
 * Content type of a JSON answer followed by bytes it describes (a small blob sent with its
 * plan): u32 big-endian length of the JSON, the JSON, then the bytes.
 */
export const JSON_TAIL_TYPE = "application/vnd.hc.json-tail";

/** Split a JSON-and-tail answer; undefined when it is not one. */
export function splitJsonTail(data: Buffer): { json: Buffer; tail: Buffer } | undefined {
  if (data.length < 4) return undefined;
  const n = data.readUInt32BE(0);
  if (n > data.length - 4) return undefined;
  return { json: data.subarray(4, 4 + n), tail: data.subarray(4 + n) };
}

/**
 * requestJson for an answer that may carry bytes after its JSON (JSON_TAIL_TYPE): `tail`
 * holds them, still to be checked by the caller against what the JSON says they are.
 */
export async function requestJsonAndTail<T>(
  opts: ClientOptions,
  path: string,
  init: RequestInit = {},
  schema?: z.ZodType<T>,
): Promise<{ value: T; tail?: Buffer }> {
  const { res, body } = await request(opts, path, init);
  const limit = opts.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES;
  const data = await readCapped(body, res.headers["content-length"], limit, `the answer to ${path}`);
  if (!res.ok) {
    const text = data.toString("utf8");
    let msg = text;
    let answer: unknown;
    try {
      answer = JSON.parse(text);
      msg = (answer as { error?: string }).error ?? text;
    } catch {}
    const wait = Number(res.headers["retry-after"]);
    throw new HttpError(
      res.status,
      joinUrl(opts.baseUrl, path),
      `${res.status} from ${path}: ${String(msg).slice(0, 500)}`,
      Number.isFinite(wait) && wait >= 0 ? wait : undefined,
      answer,
    );
  }
  let json = data;
  let tail: Buffer | undefined;
  if (res.headers["content-type"]?.split(";")[0]?.trim() === JSON_TAIL_TYPE) {
    const parts = splitJsonTail(data);
    if (!parts) throw new BadAnswerError(`${path} answered with a malformed JSON-and-bytes body`);
    ({ json, tail } = parts);
  }
  let value: unknown;
  try {
    value = JSON.parse(json.toString("utf8"));
  } catch {
    throw new BadAnswerError(`${path} answered with malformed JSON`);
  }
  if (!schema) return { value: value as T, ...(tail && { tail }) };
  const checked = schema.safeParse(value);
  if (!checked.success)
    throw new BadAnswerError(
      `${path} answered with an invalid ${schema.description ?? "answer"}: ${describeIssues(checked.error)}`,
    );
  return { value: checked.data, ...(tail && { tail }) };
}

/** Exponential backoff with full jitter: attempt 0 waits ~base, capped at max. */
export function backoffMs(attempt: number, baseMs = 500, maxMs = 30_000, rand = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (rand() * ceiling) / 2);
}

/**
 * Wait `ms`, or until `signal` aborts. The abort listener goes when the wait ends either way:
 * a retry loop sleeps many times on one long-lived signal, and each listener left behind
 * stayed until that signal's end (MaxListenersExceededWarning after ten).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Run `fn` again while the server answers 503 with Retry-After ("not ready yet"), waiting as
 * asked (at most 60 s at a time), until `budgetMs` of waiting is spent.
 */
export async function retryWhenNotReady<T>(
  fn: () => Promise<T>,
  signal?: AbortSignal,
  budgetMs = 15 * 60_000,
): Promise<T> {
  for (let waited = 0; ; ) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof HttpError) || e.status !== 503 || e.retryAfter === undefined) throw e;
      const ms = Math.min(60_000, Math.max(100, e.retryAfter * 1000));
      if (waited + ms > budgetMs) throw e;
      waited += ms;
      await sleep(ms, signal);
    }
  }
}
