import { extname } from 'node:path';
import { InstanceImageError, prepareInstanceImages } from '../../gpu-agent/training/instance-images.ts';
import type { S3BlobStore } from '../blob-store/s3-blob-store.ts';
import { FILE_NAME, s3Keys } from '../blob-store/s3-keys.ts';
import { CommandRejectedError } from '../raft/errors.ts';

/** A member's photo as received. */
export interface PhotoFile {
  name: string;
  data: Uint8Array;
}

/** Where a set of photos was stored. */
export interface StoredUpload {
  uploadId: string;
  names: string[];
}

/** Largest photo accepted, in bytes. */
export const MAX_PHOTO_BYTES = 20 * 1024 * 1024;

/** The stored name of photo `index`: its own name when safe for a key, else `photo-N` with its extension. */
function storedName(name: string, index: number, taken: Set<string>): string {
  const extension = extname(name).toLowerCase().replace(/[^.a-z0-9]/g, '').slice(0, 8);
  let candidate = FILE_NAME.test(name) ? name : `photo-${index + 1}${extension}`;
  for (let n = 2; taken.has(candidate); n++) candidate = `photo-${index + 1}-${n}${extension}`;
  taken.add(candidate);
  return candidate;
}

/**
 * Checks a member's photos exactly as training will read them (`prepareInstanceImages` at the
 * model's size: every photo decodes, is large enough, the count is within limits), then stores
 * them under a fresh `uploads/<upload-id>/`. A photo that cannot be used is refused here, with
 * its name, before any job exists; nothing is stored unless every photo is good.
 */
export async function storePhotos(blobs: S3BlobStore, photos: readonly PhotoFile[], options: { modelSize: number; uploadId: string; signal: AbortSignal }): Promise<StoredUpload> {
  for (const photo of photos) {
    if (photo.data.byteLength > MAX_PHOTO_BYTES) {
      throw new CommandRejectedError(`photo ${photo.name} is ${(photo.data.byteLength / 1048576).toFixed(1)} MiB; the limit is ${MAX_PHOTO_BYTES / 1048576} MiB: send a smaller copy`, 'invalid');
    }
  }
  try {
    await prepareInstanceImages(photos, { size: options.modelSize, signal: options.signal });
  } catch (error) {
    if (error instanceof InstanceImageError) throw new CommandRejectedError(error.message, 'invalid');
    throw error;
  }
  const taken = new Set<string>();
  const names = photos.map((photo, i) => storedName(photo.name, i, taken));
  for (const [i, photo] of photos.entries()) {
    await blobs.put(s3Keys.upload(options.uploadId, names[i]!), photo.data, { contentType: 'application/octet-stream', signal: options.signal });
  }
  return { uploadId: options.uploadId, names };
}

/** Throws `invalid` unless every named photo of an upload is stored (a train job may only name stored photos). */
export async function requireStoredPhotos(blobs: S3BlobStore, uploadId: string, names: readonly string[], signal: AbortSignal): Promise<void> {
  const stored = new Set((await blobs.list(s3Keys.uploadsOf(uploadId), { signal })).map((blob) => blob.key));
  const missing = names.filter((name) => !stored.has(s3Keys.upload(uploadId, name)));
  if (missing.length > 0) {
    throw new CommandRejectedError(`upload ${uploadId} has no photo named ${missing.slice(0, 3).join(', ')}: upload the photos first (UploadPhotos) and name them as it answered`, 'invalid');
  }
}
