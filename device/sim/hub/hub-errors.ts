// The typed failures of opening a hub's state directory (the CLI prints their codes).

/** Another live process holds the state directory's lock (lock.ts). */
export class HubStateLocked extends Error {
  override readonly name = 'HubStateLocked';
  readonly code = 'state_locked';
}

/** A read-only command pointed at a directory that holds no hub: it never creates one. */
export class HubStateMissing extends Error {
  override readonly name = 'HubStateMissing';
  readonly code = 'state_missing';
}
