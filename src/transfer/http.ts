import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

/**
 * The agent's HTTP client: requests with a bearer token, a short connect/answer timeout and an
 * inactivity timeout on bodies (a stalled link must not hang a sync), and backoff with
 * jitter for retries.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    message: string,
    /** Seconds the server asked to wait before the same request (Retry-After), if it did. */
    readonly retryAfter?: number,
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
  signal?: AbortSignal;
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
  let timer: NodeJS.Timeout | undefined;
  const arm = (what: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => req.destroy(new Error(`${url} ${what} for ${timeoutMs} ms`)), timeoutMs);
  };
  const onAbort = () =>
    req.destroy(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error("aborted"));
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const done = () => {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
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
    const err = e as NodeJS.ErrnoException;
    throw err.code ? new Error(`${url}: ${err.code}`, { cause: e }) : err;
  }
  const status = res.statusCode ?? 0;
  async function* stream(): AsyncGenerator<Uint8Array> {
    try {
      arm("stalled");
      for await (const chunk of res as AsyncIterable<Buffer>) {
        arm("stalled");
        yield chunk;
      }
      if (!res.complete) throw new Error(`${url}: the answer was cut off`);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw err.code && !err.message.startsWith(url) ? new Error(`${url}: ${err.code}`, { cause: e }) : err;
    } finally {
      done();
      // An answer not read to its end cannot share the connection with the next request.
      if (!res.complete) res.destroy();
    }
  }
  return { res: { status, ok: status >= 200 && status < 300, headers: res.headers }, body: stream() };
}

/** Request expecting a JSON answer; non-2xx statuses become HttpErrors with the server's message. */
export async function requestJson<T>(opts: ClientOptions, path: string, init: RequestInit = {}): Promise<T> {
  const { res, body } = await request(opts, path, init);
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  const text = Buffer.concat(parts).toString("utf8");
  if (!res.ok) {
    let msg = text;
    try {
      msg = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {}
    const wait = Number(res.headers["retry-after"]);
    throw new HttpError(
      res.status,
      joinUrl(opts.baseUrl, path),
      `${res.status} from ${path}: ${msg}`,
      Number.isFinite(wait) && wait >= 0 ? wait : undefined,
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${path} answered with malformed JSON`);
  }
}

/** Exponential backoff with full jitter: attempt 0 waits ~base, capped at max. */
export function backoffMs(attempt: number, baseMs = 500, maxMs = 30_000, rand = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (rand() * ceiling) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
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
