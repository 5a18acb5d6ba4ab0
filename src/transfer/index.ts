/** transfer/ — blobs split into MD5-checked pieces; resumable download and upload over HTTP. */
export { type FetchBlobOptions, fetchBlob, TransferError } from "./fetch.js";
export {
  backoffMs,
  type ClientOptions,
  HttpError,
  joinUrl,
  request,
  requestJson,
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
