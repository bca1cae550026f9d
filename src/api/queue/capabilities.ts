/** Pip.Services' MessagingCapabilities: what a queue supports, as nine flags. */
export class MessagingCapabilities {
  constructor(
    readonly canMessageCount: boolean,
    readonly canSend: boolean,
    readonly canReceive: boolean,
    readonly canPeek: boolean,
    readonly canPeekBatch: boolean,
    readonly canRenewLock: boolean,
    readonly canAbandon: boolean,
    readonly canDeadLetter: boolean,
    readonly canClear: boolean,
  ) {}
}
