/** transfer/ — blobs split into MD5-checked pieces; resumable download and upload over HTTP. */
export { type FetchBlobOptions, fetchBlob, storeBlob, TransferError } from "./fetch.js";
export {
  BadAnswerError,
  backoffMs,
  type ClientOptions,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_JSON_BYTES,
  HttpError,
  JSON_TAIL_TYPE,
  joinUrl,
  request,
  requestJson,
  requestJsonAndTail,
  retryWhenNotReady,
  sleep,
} from "./http.js";
export {
  type BlobManifest,
  checkBlobManifest,
  DEFAULT_PIECE_SIZE,
  describeBlob,
  pieceCount,
  pieceRange,
} from "./pieces.js";
export { type UploadOptions, uploadPieces } from "./upload.js";
