// The one error type both servers throw for an answer other than 2xx/3xx (a status and a
// message meant for the client, never a stack or a server path), and the middleware that
// turns it, or any other error, into an answer.
import type { Context, Middleware } from "koa";

/** What a server that speaks several languages needs to say an error again in the reader's. */
export interface ErrorMessage {
  /** The message's key in that server's catalogs. */
  key: string;
  params?: Readonly<Record<string, string | number>>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** The message in English: for logs, scripts and any server without catalogs. */
    message: string,
    /** Set when the message can be translated: the renderer then says it in the reader's language. */
    readonly translatable?: ErrorMessage,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export interface ErrorAnswer {
  /**
   * Write the answer for `status`; `message` is null for server errors (never shown). `error`
   * is what was thrown, for a renderer that translates an HttpError's message.
   */
  render(ctx: Context, status: number, message: string | null, error: Error): void;
  /** Unexpected server errors (5xx), for the log. */
  onError?: (err: Error) => void;
}

/** Catch what the routes throw: HttpError and Koa's own 4xx keep their status, anything else is 500. */
export function catchErrors(o: ErrorAnswer): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as Error & { status?: number };
      const status = e instanceof HttpError ? e.status : (e.status ?? 500);
      if (status >= 500) o.onError?.(e);
      if (ctx.respond === false) return;
      ctx.status = status;
      o.render(ctx, status, status >= 500 ? null : e.message, e);
    }
  };
}
