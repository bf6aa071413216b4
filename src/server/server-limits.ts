/** The server's limits: what one request may cost, how long the deploy lock is waited for, retention. */
export interface ServerLimits {
  maxObjectBytes: number;
  maxObjects: number;
  maxFiles: number;
  maxDepth: number;
  maxNegotiateHashes: number;
  lockTimeoutMs: number;
  /** committed deployments kept for rollback; older ones are pruned and their objects collected */
  keepDeployments: number;
  /** unreferenced objects younger than this survive garbage collection */
  gcGraceMs: number;
  /** a deploy request body, after decompression (a zstd bomb fails one byte past this, 413) */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxObjectBytes: 4 * 1024 ** 3,
  maxObjects: 2_000_000,
  maxFiles: 1_000_000,
  maxDepth: 128,
  maxNegotiateHashes: 2_000_000,
  lockTimeoutMs: 60_000,
  keepDeployments: 50,
  gcGraceMs: 3_600_000,
  maxBodyBytes: 8 * 1024 ** 3,
};
