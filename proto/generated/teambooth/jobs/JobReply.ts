// Original file: proto/jobs.proto


export interface JobReply {
  /**
   * JSON of the job record.
   */
  'job'?: (string);
  /**
   * JSON of its queue position: {position, ahead, capableAgents, estimatedWaitMs}; empty when not queued.
   */
  'queue'?: (string);
}

export interface JobReply__Output {
  /**
   * JSON of the job record.
   */
  'job': (string);
  /**
   * JSON of its queue position: {position, ahead, capableAgents, estimatedWaitMs}; empty when not queued.
   */
  'queue': (string);
}
