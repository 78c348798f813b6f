// Iterative engines await this between sweeps so that progress bars, timers and signals get
// their turn on the event loop during a long fit.

/** Yield to the event loop once (resolves on the next `setImmediate`). */
export const tick = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
