/**
 * What a statement's cancellation looks like to the code that runs it: the part of
 * AbortSignal it uses, so an AbortSignal serves (the client) and so does StatementCancel,
 * a plain object the region makes for every statement on its stream (an AbortController
 * each, an EventTarget, would cost more than the point select it sits beside).
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
}

export class StatementCancel implements CancelSignal {
  aborted = false;
  private listeners: Array<() => void> | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    (this.listeners ??= []).push(listener);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const listener of this.listeners ?? []) listener();
    this.listeners = undefined;
  }
}
