// Original file: proto/jobs.proto


export interface AgentHeartbeatReply {
  /**
   * JSON of the agent record (its id, status and, when paused, why).
   */
  'agent'?: (string);
}

export interface AgentHeartbeatReply__Output {
  /**
   * JSON of the agent record (its id, status and, when paused, why).
   */
  'agent': (string);
}
