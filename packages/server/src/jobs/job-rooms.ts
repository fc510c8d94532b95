/** The Socket.IO room of a job's subscribers; prefixed so a job id can never collide with a socket id. */
export function jobRoom(jobId: string): string {
  return `job:${jobId}`;
}
