/** delta/ — the rsync algorithm, pure and streaming, in librsync's (rdiff's) wire format. No HTTP here. */
export { checkBlockLen, minimumStrongLen, recommendedBlockLen } from "./blocksize.js";
export { ByteReader, type ByteSource, OutputBuffer } from "./bytes.js";
export { type DeltaStats, generateDelta, RdiffEncoder } from "./encode.js";
export { DeltaError, type DeltaErrorCode } from "./errors.js";
export { deltaFile, patchFile, signatureFile } from "./files.js";
export { type DeltaSink, Matcher, SignatureIndex } from "./match.js";
export { applyDelta, type Basis, BufferBasis, FileBasis } from "./patch.js";
export { generateSignature, readSignature, type Signature, type SignatureOptions } from "./signature.js";
