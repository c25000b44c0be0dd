// Original file: proto/jobs.proto


export interface AgentHeartbeatRequest {
  /**
   * JSON of the agent's capabilities: {provider, memoryMb, maxImageSize, canTrain}.
   */
  'capabilities'?: (string);
}

export interface AgentHeartbeatRequest__Output {
  /**
   * JSON of the agent's capabilities: {provider, memoryMb, maxImageSize, canTrain}.
   */
  'capabilities': (string);
}
