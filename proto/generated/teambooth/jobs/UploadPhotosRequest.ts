// Original file: proto/jobs.proto

import type { Photo as _teambooth_jobs_Photo, Photo__Output as _teambooth_jobs_Photo__Output } from '../../teambooth/jobs/Photo.ts';

export interface UploadPhotosRequest {
  'photos'?: (_teambooth_jobs_Photo)[];
}

export interface UploadPhotosRequest__Output {
  'photos': (_teambooth_jobs_Photo__Output)[];
}
