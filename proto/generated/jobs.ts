import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentHeartbeatReply as _teambooth_jobs_AgentHeartbeatReply, AgentHeartbeatReply__Output as _teambooth_jobs_AgentHeartbeatReply__Output } from './teambooth/jobs/AgentHeartbeatReply.ts';
import type { AgentHeartbeatRequest as _teambooth_jobs_AgentHeartbeatRequest, AgentHeartbeatRequest__Output as _teambooth_jobs_AgentHeartbeatRequest__Output } from './teambooth/jobs/AgentHeartbeatRequest.ts';
import type { CancelRequest as _teambooth_jobs_CancelRequest, CancelRequest__Output as _teambooth_jobs_CancelRequest__Output } from './teambooth/jobs/CancelRequest.ts';
import type { ClaimReply as _teambooth_jobs_ClaimReply, ClaimReply__Output as _teambooth_jobs_ClaimReply__Output } from './teambooth/jobs/ClaimReply.ts';
import type { ClaimRequest as _teambooth_jobs_ClaimRequest, ClaimRequest__Output as _teambooth_jobs_ClaimRequest__Output } from './teambooth/jobs/ClaimRequest.ts';
import type { CompleteRequest as _teambooth_jobs_CompleteRequest, CompleteRequest__Output as _teambooth_jobs_CompleteRequest__Output } from './teambooth/jobs/CompleteRequest.ts';
import type { FailRequest as _teambooth_jobs_FailRequest, FailRequest__Output as _teambooth_jobs_FailRequest__Output } from './teambooth/jobs/FailRequest.ts';
import type { JobRef as _teambooth_jobs_JobRef, JobRef__Output as _teambooth_jobs_JobRef__Output } from './teambooth/jobs/JobRef.ts';
import type { JobReply as _teambooth_jobs_JobReply, JobReply__Output as _teambooth_jobs_JobReply__Output } from './teambooth/jobs/JobReply.ts';
import type { JobsClient as _teambooth_jobs_JobsClient, JobsDefinition as _teambooth_jobs_JobsDefinition } from './teambooth/jobs/Jobs.ts';
import type { ModelFilesReply as _teambooth_jobs_ModelFilesReply, ModelFilesReply__Output as _teambooth_jobs_ModelFilesReply__Output } from './teambooth/jobs/ModelFilesReply.ts';
import type { ModelFilesRequest as _teambooth_jobs_ModelFilesRequest, ModelFilesRequest__Output as _teambooth_jobs_ModelFilesRequest__Output } from './teambooth/jobs/ModelFilesRequest.ts';
import type { Photo as _teambooth_jobs_Photo, Photo__Output as _teambooth_jobs_Photo__Output } from './teambooth/jobs/Photo.ts';
import type { ProgressReply as _teambooth_jobs_ProgressReply, ProgressReply__Output as _teambooth_jobs_ProgressReply__Output } from './teambooth/jobs/ProgressReply.ts';
import type { ProgressRequest as _teambooth_jobs_ProgressRequest, ProgressRequest__Output as _teambooth_jobs_ProgressRequest__Output } from './teambooth/jobs/ProgressRequest.ts';
import type { ResultUrlsReply as _teambooth_jobs_ResultUrlsReply, ResultUrlsReply__Output as _teambooth_jobs_ResultUrlsReply__Output } from './teambooth/jobs/ResultUrlsReply.ts';
import type { SubmitRequest as _teambooth_jobs_SubmitRequest, SubmitRequest__Output as _teambooth_jobs_SubmitRequest__Output } from './teambooth/jobs/SubmitRequest.ts';
import type { UploadPhotosReply as _teambooth_jobs_UploadPhotosReply, UploadPhotosReply__Output as _teambooth_jobs_UploadPhotosReply__Output } from './teambooth/jobs/UploadPhotosReply.ts';
import type { UploadPhotosRequest as _teambooth_jobs_UploadPhotosRequest, UploadPhotosRequest__Output as _teambooth_jobs_UploadPhotosRequest__Output } from './teambooth/jobs/UploadPhotosRequest.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  teambooth: {
    jobs: {
      AgentHeartbeatReply: MessageTypeDefinition<_teambooth_jobs_AgentHeartbeatReply, _teambooth_jobs_AgentHeartbeatReply__Output>
      AgentHeartbeatRequest: MessageTypeDefinition<_teambooth_jobs_AgentHeartbeatRequest, _teambooth_jobs_AgentHeartbeatRequest__Output>
      CancelRequest: MessageTypeDefinition<_teambooth_jobs_CancelRequest, _teambooth_jobs_CancelRequest__Output>
      ClaimReply: MessageTypeDefinition<_teambooth_jobs_ClaimReply, _teambooth_jobs_ClaimReply__Output>
      ClaimRequest: MessageTypeDefinition<_teambooth_jobs_ClaimRequest, _teambooth_jobs_ClaimRequest__Output>
      CompleteRequest: MessageTypeDefinition<_teambooth_jobs_CompleteRequest, _teambooth_jobs_CompleteRequest__Output>
      FailRequest: MessageTypeDefinition<_teambooth_jobs_FailRequest, _teambooth_jobs_FailRequest__Output>
      JobRef: MessageTypeDefinition<_teambooth_jobs_JobRef, _teambooth_jobs_JobRef__Output>
      JobReply: MessageTypeDefinition<_teambooth_jobs_JobReply, _teambooth_jobs_JobReply__Output>
      Jobs: SubtypeConstructor<typeof grpc.Client, _teambooth_jobs_JobsClient> & { service: _teambooth_jobs_JobsDefinition }
      ModelFilesReply: MessageTypeDefinition<_teambooth_jobs_ModelFilesReply, _teambooth_jobs_ModelFilesReply__Output>
      ModelFilesRequest: MessageTypeDefinition<_teambooth_jobs_ModelFilesRequest, _teambooth_jobs_ModelFilesRequest__Output>
      Photo: MessageTypeDefinition<_teambooth_jobs_Photo, _teambooth_jobs_Photo__Output>
      ProgressReply: MessageTypeDefinition<_teambooth_jobs_ProgressReply, _teambooth_jobs_ProgressReply__Output>
      ProgressRequest: MessageTypeDefinition<_teambooth_jobs_ProgressRequest, _teambooth_jobs_ProgressRequest__Output>
      ResultUrlsReply: MessageTypeDefinition<_teambooth_jobs_ResultUrlsReply, _teambooth_jobs_ResultUrlsReply__Output>
      SubmitRequest: MessageTypeDefinition<_teambooth_jobs_SubmitRequest, _teambooth_jobs_SubmitRequest__Output>
      UploadPhotosReply: MessageTypeDefinition<_teambooth_jobs_UploadPhotosReply, _teambooth_jobs_UploadPhotosReply__Output>
      UploadPhotosRequest: MessageTypeDefinition<_teambooth_jobs_UploadPhotosRequest, _teambooth_jobs_UploadPhotosRequest__Output>
    }
  }
}

