// Original file: proto/jobs.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentHeartbeatReply as _teambooth_jobs_AgentHeartbeatReply, AgentHeartbeatReply__Output as _teambooth_jobs_AgentHeartbeatReply__Output } from '../../teambooth/jobs/AgentHeartbeatReply.ts';
import type { AgentHeartbeatRequest as _teambooth_jobs_AgentHeartbeatRequest, AgentHeartbeatRequest__Output as _teambooth_jobs_AgentHeartbeatRequest__Output } from '../../teambooth/jobs/AgentHeartbeatRequest.ts';
import type { CancelRequest as _teambooth_jobs_CancelRequest, CancelRequest__Output as _teambooth_jobs_CancelRequest__Output } from '../../teambooth/jobs/CancelRequest.ts';
import type { ClaimReply as _teambooth_jobs_ClaimReply, ClaimReply__Output as _teambooth_jobs_ClaimReply__Output } from '../../teambooth/jobs/ClaimReply.ts';
import type { ClaimRequest as _teambooth_jobs_ClaimRequest, ClaimRequest__Output as _teambooth_jobs_ClaimRequest__Output } from '../../teambooth/jobs/ClaimRequest.ts';
import type { CompleteRequest as _teambooth_jobs_CompleteRequest, CompleteRequest__Output as _teambooth_jobs_CompleteRequest__Output } from '../../teambooth/jobs/CompleteRequest.ts';
import type { FailRequest as _teambooth_jobs_FailRequest, FailRequest__Output as _teambooth_jobs_FailRequest__Output } from '../../teambooth/jobs/FailRequest.ts';
import type { JobRef as _teambooth_jobs_JobRef, JobRef__Output as _teambooth_jobs_JobRef__Output } from '../../teambooth/jobs/JobRef.ts';
import type { JobReply as _teambooth_jobs_JobReply, JobReply__Output as _teambooth_jobs_JobReply__Output } from '../../teambooth/jobs/JobReply.ts';
import type { ModelFilesReply as _teambooth_jobs_ModelFilesReply, ModelFilesReply__Output as _teambooth_jobs_ModelFilesReply__Output } from '../../teambooth/jobs/ModelFilesReply.ts';
import type { ModelFilesRequest as _teambooth_jobs_ModelFilesRequest, ModelFilesRequest__Output as _teambooth_jobs_ModelFilesRequest__Output } from '../../teambooth/jobs/ModelFilesRequest.ts';
import type { ProgressReply as _teambooth_jobs_ProgressReply, ProgressReply__Output as _teambooth_jobs_ProgressReply__Output } from '../../teambooth/jobs/ProgressReply.ts';
import type { ProgressRequest as _teambooth_jobs_ProgressRequest, ProgressRequest__Output as _teambooth_jobs_ProgressRequest__Output } from '../../teambooth/jobs/ProgressRequest.ts';
import type { ResultUrlsReply as _teambooth_jobs_ResultUrlsReply, ResultUrlsReply__Output as _teambooth_jobs_ResultUrlsReply__Output } from '../../teambooth/jobs/ResultUrlsReply.ts';
import type { SubmitRequest as _teambooth_jobs_SubmitRequest, SubmitRequest__Output as _teambooth_jobs_SubmitRequest__Output } from '../../teambooth/jobs/SubmitRequest.ts';
import type { UploadPhotosReply as _teambooth_jobs_UploadPhotosReply, UploadPhotosReply__Output as _teambooth_jobs_UploadPhotosReply__Output } from '../../teambooth/jobs/UploadPhotosReply.ts';
import type { UploadPhotosRequest as _teambooth_jobs_UploadPhotosRequest, UploadPhotosRequest__Output as _teambooth_jobs_UploadPhotosRequest__Output } from '../../teambooth/jobs/UploadPhotosRequest.ts';

export interface JobsClient extends grpc.Client {
  AgentHeartbeat(argument: _teambooth_jobs_AgentHeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_AgentHeartbeatReply__Output>): grpc.ClientUnaryCall;
  AgentHeartbeat(argument: _teambooth_jobs_AgentHeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_AgentHeartbeatReply__Output>): grpc.ClientUnaryCall;
  AgentHeartbeat(argument: _teambooth_jobs_AgentHeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_AgentHeartbeatReply__Output>): grpc.ClientUnaryCall;
  AgentHeartbeat(argument: _teambooth_jobs_AgentHeartbeatRequest, callback: grpc.requestCallback<_teambooth_jobs_AgentHeartbeatReply__Output>): grpc.ClientUnaryCall;
  agentHeartbeat(argument: _teambooth_jobs_AgentHeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_AgentHeartbeatReply__Output>): grpc.ClientUnaryCall;
  agentHeartbeat(argument: _teambooth_jobs_AgentHeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_AgentHeartbeatReply__Output>): grpc.ClientUnaryCall;
  agentHeartbeat(argument: _teambooth_jobs_AgentHeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_AgentHeartbeatReply__Output>): grpc.ClientUnaryCall;
  agentHeartbeat(argument: _teambooth_jobs_AgentHeartbeatRequest, callback: grpc.requestCallback<_teambooth_jobs_AgentHeartbeatReply__Output>): grpc.ClientUnaryCall;
  
  Cancel(argument: _teambooth_jobs_CancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _teambooth_jobs_CancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _teambooth_jobs_CancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _teambooth_jobs_CancelRequest, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  cancel(argument: _teambooth_jobs_CancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  cancel(argument: _teambooth_jobs_CancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  cancel(argument: _teambooth_jobs_CancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  cancel(argument: _teambooth_jobs_CancelRequest, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Waits up to `wait_ms` for a job this agent can run and leases it.
   */
  Claim(argument: _teambooth_jobs_ClaimRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ClaimReply__Output>): grpc.ClientUnaryCall;
  Claim(argument: _teambooth_jobs_ClaimRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_ClaimReply__Output>): grpc.ClientUnaryCall;
  Claim(argument: _teambooth_jobs_ClaimRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ClaimReply__Output>): grpc.ClientUnaryCall;
  Claim(argument: _teambooth_jobs_ClaimRequest, callback: grpc.requestCallback<_teambooth_jobs_ClaimReply__Output>): grpc.ClientUnaryCall;
  /**
   * Waits up to `wait_ms` for a job this agent can run and leases it.
   */
  claim(argument: _teambooth_jobs_ClaimRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ClaimReply__Output>): grpc.ClientUnaryCall;
  claim(argument: _teambooth_jobs_ClaimRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_ClaimReply__Output>): grpc.ClientUnaryCall;
  claim(argument: _teambooth_jobs_ClaimRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ClaimReply__Output>): grpc.ClientUnaryCall;
  claim(argument: _teambooth_jobs_ClaimRequest, callback: grpc.requestCallback<_teambooth_jobs_ClaimReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * The agent has uploaded the outputs; the node validates them before the job succeeds.
   */
  Complete(argument: _teambooth_jobs_CompleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Complete(argument: _teambooth_jobs_CompleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Complete(argument: _teambooth_jobs_CompleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Complete(argument: _teambooth_jobs_CompleteRequest, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  /**
   * The agent has uploaded the outputs; the node validates them before the job succeeds.
   */
  complete(argument: _teambooth_jobs_CompleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  complete(argument: _teambooth_jobs_CompleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  complete(argument: _teambooth_jobs_CompleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  complete(argument: _teambooth_jobs_CompleteRequest, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  
  Fail(argument: _teambooth_jobs_FailRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Fail(argument: _teambooth_jobs_FailRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Fail(argument: _teambooth_jobs_FailRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Fail(argument: _teambooth_jobs_FailRequest, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  fail(argument: _teambooth_jobs_FailRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  fail(argument: _teambooth_jobs_FailRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  fail(argument: _teambooth_jobs_FailRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  fail(argument: _teambooth_jobs_FailRequest, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  
  Get(argument: _teambooth_jobs_JobRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Get(argument: _teambooth_jobs_JobRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Get(argument: _teambooth_jobs_JobRef, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Get(argument: _teambooth_jobs_JobRef, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  get(argument: _teambooth_jobs_JobRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  get(argument: _teambooth_jobs_JobRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  get(argument: _teambooth_jobs_JobRef, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  get(argument: _teambooth_jobs_JobRef, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Where to download a model version: its manifest, and the tensors the agent asks for (those it
   * lacks). Only hashes the version's manifest lists are signed.
   */
  ModelFiles(argument: _teambooth_jobs_ModelFilesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ModelFilesReply__Output>): grpc.ClientUnaryCall;
  ModelFiles(argument: _teambooth_jobs_ModelFilesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_ModelFilesReply__Output>): grpc.ClientUnaryCall;
  ModelFiles(argument: _teambooth_jobs_ModelFilesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ModelFilesReply__Output>): grpc.ClientUnaryCall;
  ModelFiles(argument: _teambooth_jobs_ModelFilesRequest, callback: grpc.requestCallback<_teambooth_jobs_ModelFilesReply__Output>): grpc.ClientUnaryCall;
  /**
   * Where to download a model version: its manifest, and the tensors the agent asks for (those it
   * lacks). Only hashes the version's manifest lists are signed.
   */
  modelFiles(argument: _teambooth_jobs_ModelFilesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ModelFilesReply__Output>): grpc.ClientUnaryCall;
  modelFiles(argument: _teambooth_jobs_ModelFilesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_ModelFilesReply__Output>): grpc.ClientUnaryCall;
  modelFiles(argument: _teambooth_jobs_ModelFilesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ModelFilesReply__Output>): grpc.ClientUnaryCall;
  modelFiles(argument: _teambooth_jobs_ModelFilesRequest, callback: grpc.requestCallback<_teambooth_jobs_ModelFilesReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Progress of a held job; renews its lease. Also refreshes the job's URLs when asked.
   */
  Progress(argument: _teambooth_jobs_ProgressRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ProgressReply__Output>): grpc.ClientUnaryCall;
  Progress(argument: _teambooth_jobs_ProgressRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_ProgressReply__Output>): grpc.ClientUnaryCall;
  Progress(argument: _teambooth_jobs_ProgressRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ProgressReply__Output>): grpc.ClientUnaryCall;
  Progress(argument: _teambooth_jobs_ProgressRequest, callback: grpc.requestCallback<_teambooth_jobs_ProgressReply__Output>): grpc.ClientUnaryCall;
  /**
   * Progress of a held job; renews its lease. Also refreshes the job's URLs when asked.
   */
  progress(argument: _teambooth_jobs_ProgressRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ProgressReply__Output>): grpc.ClientUnaryCall;
  progress(argument: _teambooth_jobs_ProgressRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_ProgressReply__Output>): grpc.ClientUnaryCall;
  progress(argument: _teambooth_jobs_ProgressRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ProgressReply__Output>): grpc.ClientUnaryCall;
  progress(argument: _teambooth_jobs_ProgressRequest, callback: grpc.requestCallback<_teambooth_jobs_ProgressReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Presigned GET URLs of a finished job's outputs.
   */
  ResultUrls(argument: _teambooth_jobs_JobRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ResultUrlsReply__Output>): grpc.ClientUnaryCall;
  ResultUrls(argument: _teambooth_jobs_JobRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_ResultUrlsReply__Output>): grpc.ClientUnaryCall;
  ResultUrls(argument: _teambooth_jobs_JobRef, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ResultUrlsReply__Output>): grpc.ClientUnaryCall;
  ResultUrls(argument: _teambooth_jobs_JobRef, callback: grpc.requestCallback<_teambooth_jobs_ResultUrlsReply__Output>): grpc.ClientUnaryCall;
  /**
   * Presigned GET URLs of a finished job's outputs.
   */
  resultUrls(argument: _teambooth_jobs_JobRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ResultUrlsReply__Output>): grpc.ClientUnaryCall;
  resultUrls(argument: _teambooth_jobs_JobRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_ResultUrlsReply__Output>): grpc.ClientUnaryCall;
  resultUrls(argument: _teambooth_jobs_JobRef, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_ResultUrlsReply__Output>): grpc.ClientUnaryCall;
  resultUrls(argument: _teambooth_jobs_JobRef, callback: grpc.requestCallback<_teambooth_jobs_ResultUrlsReply__Output>): grpc.ClientUnaryCall;
  
  Submit(argument: _teambooth_jobs_SubmitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Submit(argument: _teambooth_jobs_SubmitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Submit(argument: _teambooth_jobs_SubmitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  Submit(argument: _teambooth_jobs_SubmitRequest, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  submit(argument: _teambooth_jobs_SubmitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  submit(argument: _teambooth_jobs_SubmitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  submit(argument: _teambooth_jobs_SubmitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  submit(argument: _teambooth_jobs_SubmitRequest, callback: grpc.requestCallback<_teambooth_jobs_JobReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Stores a member's photos for a train job before it is submitted; they are checked here.
   */
  UploadPhotos(argument: _teambooth_jobs_UploadPhotosRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_UploadPhotosReply__Output>): grpc.ClientUnaryCall;
  UploadPhotos(argument: _teambooth_jobs_UploadPhotosRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_UploadPhotosReply__Output>): grpc.ClientUnaryCall;
  UploadPhotos(argument: _teambooth_jobs_UploadPhotosRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_UploadPhotosReply__Output>): grpc.ClientUnaryCall;
  UploadPhotos(argument: _teambooth_jobs_UploadPhotosRequest, callback: grpc.requestCallback<_teambooth_jobs_UploadPhotosReply__Output>): grpc.ClientUnaryCall;
  /**
   * Stores a member's photos for a train job before it is submitted; they are checked here.
   */
  uploadPhotos(argument: _teambooth_jobs_UploadPhotosRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_UploadPhotosReply__Output>): grpc.ClientUnaryCall;
  uploadPhotos(argument: _teambooth_jobs_UploadPhotosRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_jobs_UploadPhotosReply__Output>): grpc.ClientUnaryCall;
  uploadPhotos(argument: _teambooth_jobs_UploadPhotosRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_jobs_UploadPhotosReply__Output>): grpc.ClientUnaryCall;
  uploadPhotos(argument: _teambooth_jobs_UploadPhotosRequest, callback: grpc.requestCallback<_teambooth_jobs_UploadPhotosReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * The job's state, progress and queue position now, then every time they change, until the job
   * ends. Served by any node from its applied state.
   */
  Watch(argument: _teambooth_jobs_JobRef, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_teambooth_jobs_JobReply__Output>;
  Watch(argument: _teambooth_jobs_JobRef, options?: grpc.CallOptions): grpc.ClientReadableStream<_teambooth_jobs_JobReply__Output>;
  /**
   * The job's state, progress and queue position now, then every time they change, until the job
   * ends. Served by any node from its applied state.
   */
  watch(argument: _teambooth_jobs_JobRef, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_teambooth_jobs_JobReply__Output>;
  watch(argument: _teambooth_jobs_JobRef, options?: grpc.CallOptions): grpc.ClientReadableStream<_teambooth_jobs_JobReply__Output>;
  
}

export interface JobsHandlers extends grpc.UntypedServiceImplementation {
  AgentHeartbeat: grpc.handleUnaryCall<_teambooth_jobs_AgentHeartbeatRequest__Output, _teambooth_jobs_AgentHeartbeatReply>;
  
  Cancel: grpc.handleUnaryCall<_teambooth_jobs_CancelRequest__Output, _teambooth_jobs_JobReply>;
  
  /**
   * Waits up to `wait_ms` for a job this agent can run and leases it.
   */
  Claim: grpc.handleUnaryCall<_teambooth_jobs_ClaimRequest__Output, _teambooth_jobs_ClaimReply>;
  
  /**
   * The agent has uploaded the outputs; the node validates them before the job succeeds.
   */
  Complete: grpc.handleUnaryCall<_teambooth_jobs_CompleteRequest__Output, _teambooth_jobs_JobReply>;
  
  Fail: grpc.handleUnaryCall<_teambooth_jobs_FailRequest__Output, _teambooth_jobs_JobReply>;
  
  Get: grpc.handleUnaryCall<_teambooth_jobs_JobRef__Output, _teambooth_jobs_JobReply>;
  
  /**
   * Where to download a model version: its manifest, and the tensors the agent asks for (those it
   * lacks). Only hashes the version's manifest lists are signed.
   */
  ModelFiles: grpc.handleUnaryCall<_teambooth_jobs_ModelFilesRequest__Output, _teambooth_jobs_ModelFilesReply>;
  
  /**
   * Progress of a held job; renews its lease. Also refreshes the job's URLs when asked.
   */
  Progress: grpc.handleUnaryCall<_teambooth_jobs_ProgressRequest__Output, _teambooth_jobs_ProgressReply>;
  
  /**
   * Presigned GET URLs of a finished job's outputs.
   */
  ResultUrls: grpc.handleUnaryCall<_teambooth_jobs_JobRef__Output, _teambooth_jobs_ResultUrlsReply>;
  
  Submit: grpc.handleUnaryCall<_teambooth_jobs_SubmitRequest__Output, _teambooth_jobs_JobReply>;
  
  /**
   * Stores a member's photos for a train job before it is submitted; they are checked here.
   */
  UploadPhotos: grpc.handleUnaryCall<_teambooth_jobs_UploadPhotosRequest__Output, _teambooth_jobs_UploadPhotosReply>;
  
  /**
   * The job's state, progress and queue position now, then every time they change, until the job
   * ends. Served by any node from its applied state.
   */
  Watch: grpc.handleServerStreamingCall<_teambooth_jobs_JobRef__Output, _teambooth_jobs_JobReply>;
  
}

export interface JobsDefinition extends grpc.ServiceDefinition {
  AgentHeartbeat: MethodDefinition<_teambooth_jobs_AgentHeartbeatRequest, _teambooth_jobs_AgentHeartbeatReply, _teambooth_jobs_AgentHeartbeatRequest__Output, _teambooth_jobs_AgentHeartbeatReply__Output>
  Cancel: MethodDefinition<_teambooth_jobs_CancelRequest, _teambooth_jobs_JobReply, _teambooth_jobs_CancelRequest__Output, _teambooth_jobs_JobReply__Output>
  Claim: MethodDefinition<_teambooth_jobs_ClaimRequest, _teambooth_jobs_ClaimReply, _teambooth_jobs_ClaimRequest__Output, _teambooth_jobs_ClaimReply__Output>
  Complete: MethodDefinition<_teambooth_jobs_CompleteRequest, _teambooth_jobs_JobReply, _teambooth_jobs_CompleteRequest__Output, _teambooth_jobs_JobReply__Output>
  Fail: MethodDefinition<_teambooth_jobs_FailRequest, _teambooth_jobs_JobReply, _teambooth_jobs_FailRequest__Output, _teambooth_jobs_JobReply__Output>
  Get: MethodDefinition<_teambooth_jobs_JobRef, _teambooth_jobs_JobReply, _teambooth_jobs_JobRef__Output, _teambooth_jobs_JobReply__Output>
  ModelFiles: MethodDefinition<_teambooth_jobs_ModelFilesRequest, _teambooth_jobs_ModelFilesReply, _teambooth_jobs_ModelFilesRequest__Output, _teambooth_jobs_ModelFilesReply__Output>
  Progress: MethodDefinition<_teambooth_jobs_ProgressRequest, _teambooth_jobs_ProgressReply, _teambooth_jobs_ProgressRequest__Output, _teambooth_jobs_ProgressReply__Output>
  ResultUrls: MethodDefinition<_teambooth_jobs_JobRef, _teambooth_jobs_ResultUrlsReply, _teambooth_jobs_JobRef__Output, _teambooth_jobs_ResultUrlsReply__Output>
  Submit: MethodDefinition<_teambooth_jobs_SubmitRequest, _teambooth_jobs_JobReply, _teambooth_jobs_SubmitRequest__Output, _teambooth_jobs_JobReply__Output>
  UploadPhotos: MethodDefinition<_teambooth_jobs_UploadPhotosRequest, _teambooth_jobs_UploadPhotosReply, _teambooth_jobs_UploadPhotosRequest__Output, _teambooth_jobs_UploadPhotosReply__Output>
  Watch: MethodDefinition<_teambooth_jobs_JobRef, _teambooth_jobs_JobReply, _teambooth_jobs_JobRef__Output, _teambooth_jobs_JobReply__Output>
}
