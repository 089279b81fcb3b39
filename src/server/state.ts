/** Server lifecycle and in-flight accounting, so shutdown can drain before it stops. */
export type Phase = 'starting' | 'serving' | 'draining' | 'stopped';

export class ServerState {
  phase: Phase = 'starting';
  #inFlight = 0;
  #idle: (() => void)[] = [];

  accepting(): boolean {
    return this.phase === 'serving';
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Marks one request started; call the returned function exactly once when it is answered. */
  begin(): () => void {
    this.#inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
    };
  }

  /** Resolves when no request is in flight (at once if none is). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
