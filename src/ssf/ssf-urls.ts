/** Route paths of the transmitter (relative to the base URL). */
export const SSF_PATHS = {
  configuration: '/ssf/streams',
  status: '/ssf/streams/status',
  verification: '/ssf/streams/verify',
  addSubject: '/ssf/subjects/add',
  removeSubject: '/ssf/subjects/remove',
  poll: (streamId: string): string => `/ssf/poll/${streamId}`,
} as const;
