/**
 * Which objects of an upload travel as binary deltas, and against which base (docs/protocol.md, "Deltas").
 *
 * The client chooses the base: for a file it sends, the content its last deployment here had at the same path
 * (deployed_files), provided that content is in the local blob cache (blob-cache.ts) and the pair passes
 * isDeltaEligible (target ≥ 10 KiB, both ≤ 32 MiB). Why the client and not the server: on the fast path (one
 * round trip, If-Match) the server is known to run exactly that deployment, so it holds every such base, and
 * asking it first would cost the round trip the fast path saves; the negotiate body carries only hashes, not
 * paths, so the server could not name per-path bases without a protocol change. If the server lacks a base
 * anyway (the client deployed long ago, its history was pruned), the delta is skipped, the server's 409 names
 * the object, and it is sent whole in the one extra round trip that answer costs already.
 *
 * The pack stream makes the final call per object: it computes the delta and sends it only if shouldSendDelta
 * says it is clearly smaller (at most half the content); otherwise the content goes whole. This records what
 * happened, for `deploy --json` (`sent: "whole" | "delta" | "none"`).
 */
import type { CaxtonError } from "../errors/caxton-error.js";
import { isDeltaEligible } from "../delta/delta-policy.js";
import type { DeployResult } from "../protocol/messages.js";
import type { ScanResult } from "../workspace/scan-workspace.js";
import { BlobCache } from "./blob-cache.js";
import type { PackObject, PackStreamOptions } from "./pack-stream.js";

export type SentAs = "whole" | "delta" | "none";

export class DeltaPlanner {
  /** hash → delta bytes, for the contents whose last attempt went as a delta (only those: 100,000 files) */
  private readonly deltas = new Map<string, number>();
  private readonly refused = new Set<string>();
  private allRefused = false;
  /** the bases the server is known to hold (negotiation): a delta against any other goes whole */
  private heldBases: ReadonlySet<string> | null = null;
  private baseManifest: ReadonlyMap<string, string> | undefined;
  /** content bytes that did not travel because a delta went instead */
  savedBytes = 0;

  /**
   * @param cache the local base cache, or null to send everything whole
   * @param loadBaseManifest the last deployment's manifest here (path → hash); read only when needed
   */
  constructor(
    private readonly cache: BlobCache | null,
    private readonly loadBaseManifest: () => ReadonlyMap<string, string>,
    private readonly scan: ScanResult,
  ) {}

  /** The objects, with `deltaBase` set on each blob that may travel as a delta. */
  plan(objects: PackObject[]): PackObject[] {
    const cache = this.cache;
    // a tree whose delta the server could not use goes whole like any refused object
    const stripped = (o: PackObject): boolean =>
      o.kind === "tree" && o.deltaBase !== undefined && (this.allRefused || this.refused.has(o.hash));
    if (objects.some(stripped))
      objects = objects.map((o) => (stripped(o) ? { ...o, deltaBase: undefined } : o));
    if (cache === null || this.allRefused) return objects;
    const candidate = (o: PackObject): o is Extract<PackObject, { kind: "blob" }> =>
      o.kind === "blob" && BlobCache.cacheable(o.size) && !this.refused.has(o.hash);
    const held = this.heldBases;
    if (!objects.some(candidate)) return objects;
    const bases = this.basesByHash();
    return objects.map((o) => {
      if (!candidate(o)) return o;
      for (const base of bases.get(o.hash) ?? []) {
        if (held && !held.has(base)) continue;
        const size = cache.sizeOf(base);
        if (size !== undefined && isDeltaEligible(size, o.size))
          return { ...o, deltaBase: { hash: base, size } };
      }
      return o;
    });
  }

  /** For packStream: where bases come from, and what became of each blob. */
  readonly packOptions: PackStreamOptions = {
    readBase: (hash) => this.cache?.read(hash),
    onSent: (hash, as, payloadBytes, size) => {
      if (as === "delta") this.deltas.set(hash, payloadBytes);
      else this.deltas.delete(hash); // sent whole after all (a retry)
      if (as === "delta") this.savedBytes += size - payloadBytes;
    },
  };

  /**
   * The bases a delta of this deploy could use (the last deployment's content at each changed path, when
   * the local cache has it): negotiation asks the server about them too.
   */
  candidateBases(): string[] {
    const cache = this.cache;
    if (cache === null) return [];
    const out = new Set<string>();
    for (const list of this.basesByHash().values()) {
      for (const base of list) if (cache.sizeOf(base) !== undefined) out.add(base);
    }
    return [...out];
  }

  /** From now on, deltas only against these bases (the ones negotiation found on the server). */
  keepBasesIn(held: ReadonlySet<string>): void {
    this.heldBases = held;
  }

  /** Sends these objects whole from now on (the server named them missing: maybe their delta base was). */
  refuse(hashes: Iterable<string>): void {
    for (const h of hashes) this.refused.add(h);
  }

  /**
   * After an error: true, once, when the server could not rebuild a delta (detail.delta) — the caller then
   * sends the same objects again, all whole (one more round trip).
   */
  retryWholeAfter(err: CaxtonError): boolean {
    const rebuild =
      err.code === "E_BAD_REQUEST" || err.code === "E_CHECKSUM_MISMATCH" || err.code === "E_TOO_LARGE"
        ? err.detail
        : undefined;
    if (this.allRefused || rebuild?.delta !== true) return false;
    this.allRefused = true;
    return true;
  }

  /** How a content this deploy sent went (in its last attempt), and its bytes in the pack. */
  sentAs(hash: string): Exclude<SentAs, "none"> {
    return this.deltas.has(hash) ? "delta" : "whole";
  }

  bytesSent(hash: string, size: number): number {
    return this.deltas.get(hash) ?? size;
  }

  /** After a deployment went live: keeps the content of the files it added or modified as future bases. */
  remember(result: DeployResult): void {
    if (this.cache === null) return;
    const files = [...result.modified, ...result.added].flatMap((path) => {
      const f = this.scan.files.get(path);
      return f ? [f] : [];
    });
    this.cache.store(files);
  }

  /** hash → the hashes the last deployment had at the paths where this content is now. */
  private basesByHash(): Map<string, string[]> {
    this.baseManifest ??= this.loadBaseManifest();
    const out = new Map<string, string[]>();
    for (const f of this.scan.files.values()) {
      const base = this.baseManifest.get(f.path);
      if (base === undefined || base === f.hash) continue;
      const list = out.get(f.hash);
      if (list) list.push(base);
      else out.set(f.hash, [base]);
    }
    return out;
  }
}
