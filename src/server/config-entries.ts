/**
 * A manifest's config files as the parse cache takes them. Content is read (in one batch from the store)
 * only for the files validation will look at: changed since `previous`, of checksums the cache has not seen;
 * a received pack's objects are read from the pack.
 */
import { readFileSync } from "node:fs";
import type { CacheEntry, ConfigCache } from "../config/config-cache.js";
import { isConfigPath } from "../config/validate-workspace.js";
import { CaxtonError } from "../errors/caxton-error.js";
import type { BlobStore } from "../store/deployment-store.js";
import type { ValidatedConfig } from "./incremental-validation.js";
import type { ReceivedPack } from "./receive-pack.js";

export async function configEntries(
  objects: BlobStore,
  cache: ConfigCache,
  manifest: ReadonlyMap<string, string>,
  pack: ReceivedPack | null,
  previous: ValidatedConfig | undefined,
): Promise<CacheEntry[]> {
  const configs = [...manifest].filter(([path]) => isConfigPath(path));
  const needed = configs
    .filter(([path, checksum]) => previous?.checksums.get(path) !== checksum)
    .filter(([path, checksum]) => !cache.has(path, checksum) && !pack?.files.has(checksum))
    .map(([, checksum]) => checksum);
  const stored = await objects.readMany([...new Set(needed)]);
  return configs.map(([path, checksum]) => ({
    path,
    checksum,
    load: () => {
      const file = pack?.files.get(checksum);
      const bytes = pack?.small.get(checksum) ?? (file ? readFileSync(file) : stored.get(checksum));
      if (!bytes) throw new CaxtonError("E_INTERNAL", `config file ${path} (${checksum}) was not loaded`);
      return bytes;
    },
  }));
}
