/**
 * The agent's HTTP client: fetch with bearer token, a short connect/answer timeout and an
 * inactivity timeout on bodies (a stalled link must not hang a sync), and backoff with
 * jitter for retries.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    message: string,
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

/** fetch with the token and a timeout; the returned body stream carries the same idle timeout. */
export async function request(
  opts: ClientOptions,
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<{ res: Response; body: AsyncIterable<Uint8Array> }> {
  const url = joinUrl(opts.baseUrl, path);
  // A request started after the caller gave up must not go out at all.
  if (opts.signal?.aborted)
    throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error("aborted");
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  let timer = setTimeout(() => ctrl.abort(new Error(`no answer from ${url} in ${timeoutMs} ms`)), timeoutMs);
  const headers: Record<string, string> = { ...init.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers, signal: ctrl.signal, duplex: "half" } as RequestInit);
  } catch (e) {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
    const reason = ctrl.signal.aborted ? ctrl.signal.reason : e;
    if (reason === e && e instanceof Error) {
      // undici says only "fetch failed"; the cause (ECONNREFUSED, ECONNRESET …) is what helps.
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`${url}: ${cause?.code ?? cause?.message ?? e.message}`, { cause: e });
    }
    throw reason instanceof Error ? reason : new Error(String(reason));
  }
  const reader = res.body?.getReader();
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      if (!reader) return;
      for (;;) {
        clearTimeout(timer);
        timer = setTimeout(() => ctrl.abort(new Error(`${url} stalled for ${timeoutMs} ms`)), timeoutMs);
        const r = await reader.read();
        if (r.done) return;
        yield r.value;
      }
    } catch (e) {
      throw ctrl.signal.aborted && ctrl.signal.reason instanceof Error ? ctrl.signal.reason : e;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      reader?.releaseLock();
    }
  }
  if (!reader) {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
  return { res, body: body() };
}

/** Request expecting a JSON answer; non-2xx statuses become HttpErrors with the server's message. */
export async function requestJson<T>(
  opts: ClientOptions,
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<T> {
  const { res, body } = await request(opts, path, init);
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  const text = Buffer.concat(parts).toString("utf8");
  if (!res.ok) {
    let msg = text;
    try {
      msg = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {}
    throw new HttpError(res.status, joinUrl(opts.baseUrl, path), `${res.status} from ${path}: ${msg}`);
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
