/** Serialises deployments: one transaction applies at a time, the others wait in arrival order. */
import { CaxtonError } from "../errors/caxton-error.js";

export class DeployLock {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(timeoutMs: number, work: () => Promise<T> | T): Promise<T> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      previous.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!waited) {
      // keep the chain intact: our slot is released as soon as the one before us finishes
      void previous.then(release);
      throw new CaxtonError("E_BUSY", `another deployment held the lock for more than ${timeoutMs} ms`);
    }
    try {
      return await work();
    } finally {
      release();
    }
  }
}
