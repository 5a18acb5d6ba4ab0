// The one error type both servers throw for an answer other than 2xx/3xx: a status and a
// message meant for the client (never a stack or a server path).
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}
