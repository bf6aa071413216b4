/**
 * A manifest's config files as the parse cache takes them. Content is read (in one batch from the store)
 * only for the files validation will look at: changed since `previous`, of checksums the cache has not seen;
 * a received pack's objects are read from the pack. Given the paths that may differ from `previous`
 * (a deploy onto the live deployment knows them from its tree walk), only those are looked at: the change's
 * config files and the config paths it removed, in proportion to the change, unless it changes
 * tools/mcp_servers.toml, which has every agent checked again.
 */
import { readFileSync } from "node:fs";
import type { CacheEntry, ConfigCache } from "../config/config-cache.js";
import { MCP_SERVERS_PATH } from "../config/analyze-file.js";
import { isConfigPath } from "../config/validate-workspace.js";
import { CaxtonError } from "../errors/caxton-error.js";
import type { BlobStore } from "../store/deployment-store.js";
import type { ConfigFiles, ValidatedConfig } from "./incremental-validation.js";
import type { ReceivedPack } from "./receive-pack.js";

export async function configEntries(
  objects: BlobStore,
  cache: ConfigCache,
  manifest: ReadonlyMap<string, string>,
  pack: ReceivedPack | null,
  previous: ValidatedConfig | undefined,
  changedPaths?: ReadonlySet<string>,
): Promise<ConfigFiles> {
  if (previous && changedPaths && !changedPaths.has(MCP_SERVERS_PATH)) {
    const configs: [string, string][] = [];
    const removed: string[] = [];
    for (const path of changedPaths) {
      if (!isConfigPath(path)) continue;
      const checksum = manifest.get(path);
      if (checksum !== undefined) configs.push([path, checksum]);
      else if (previous.checksums.has(path)) removed.push(path);
    }
    return { complete: false, entries: await loaded(objects, cache, configs, pack, previous), removed };
  }
  const configs = [...manifest].filter(([path]) => isConfigPath(path));
  return { complete: true, entries: await loaded(objects, cache, configs, pack, previous) };
}

async function loaded(
  objects: BlobStore,
  cache: ConfigCache,
  configs: readonly [string, string][],
  pack: ReceivedPack | null,
  previous: ValidatedConfig | undefined,
): Promise<CacheEntry[]> {
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
