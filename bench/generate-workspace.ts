/**
 * Deterministic, seeded workspaces for the benchmark: the same seed and size always give the same bytes, so
 * two runs (or two machines) measure the same input.
 *
 * The PRNG is mulberry32, written out here rather than taken from a package: it is eight lines, has no
 * dependency, and its output can never change under us with a package update (Math.random cannot be seeded).
 *
 * Every agent is valid per docs/workspace-format.md (the server rejects a deployment with any
 * error): unique names, MAJOR.MINOR.PATCH versions, capabilities and tool names of `[A-Za-z0-9_]+`, and
 * `mcp__<server>__<tool>` only for the servers that tools/mcp_servers.toml defines.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export type SizeName = "S" | "M" | "L" | "LA" | "XL";

export interface SizeSpec {
  name: SizeName;
  /** what the issue calls this size */
  summary: string;
  agents: number;
  /** markdown prompt files, besides the agents */
  prompts: number;
  /** prompt file size range in bytes */
  promptBytes: [number, number];
  /** binary-ish files of 100 KiB–1 MiB; the first is exactly 1 MiB (the one edited and renamed) */
  largeFiles: number;
  /** agents per team folder (when there are more agents than that) */
  agentsPerFolder: number;
  /** every third agent in a folder of its own (`<name>/agent.toml`) instead of a flat `<name>.toml` */
  folderPerAgent: boolean;
}

export const SIZES: Record<SizeName, SizeSpec> = {
  S: {
    name: "S",
    summary: "20 agents + tools/mcp_servers.toml",
    agents: 20,
    prompts: 0,
    promptBytes: [0, 0],
    largeFiles: 0,
    agentsPerFolder: 50,
    folderPerAgent: true,
  },
  M: {
    name: "M",
    summary: "1,000 files: 200 agents, 793 prompts, 6 files of 100 KiB–1 MiB",
    agents: 200,
    prompts: 793,
    promptBytes: [1_000, 6_500],
    largeFiles: 6,
    agentsPerFolder: 50,
    folderPerAgent: true,
  },
  L: {
    name: "L",
    summary: "10,000 files (~54 MB): 2,000 agents, 7,959 prompts, 40 files of 100 KiB–1 MiB",
    agents: 2_000,
    prompts: 7_959,
    promptBytes: [1_000, 6_500],
    largeFiles: 40,
    agentsPerFolder: 50,
    folderPerAgent: true,
  },
  LA: {
    name: "LA",
    summary:
      "10,000 files, agent-heavy: 6,667 agents (250 per folder), 3,331 prompts, 2 files of 100 KiB–1 MiB",
    agents: 6_667,
    prompts: 3_331,
    promptBytes: [1_000, 6_500],
    largeFiles: 2,
    agentsPerFolder: 250,
    folderPerAgent: false,
  },
  XL: {
    name: "XL",
    summary: "100,000 small files: 10,000 agents, 89,997 prompts of 200 B–1.2 KB, two 1 MiB files",
    agents: 10_000,
    prompts: 89_997,
    promptBytes: [200, 1_200],
    largeFiles: 2,
    agentsPerFolder: 50,
    folderPerAgent: true,
  },
};

export const DEFAULT_SEED = 0x0cae5107;

/** mulberry32: a 32-bit state, period 2^32, good enough to make varied test data (not for cryptography). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedWorkspace {
  dir: string;
  size: SizeSpec;
  seed: number;
  files: number;
  bytes: number;
  /** workspace paths of the agent files, in generation order */
  agents: string[];
  /** the 1 MiB file edited and renamed by the scenarios, or null when the size has none */
  largeFile: string | null;
  /** where the rename scenario moves largeFile (and back) */
  largeFileRenamed: string | null;
}

/** Bytes per line of the binary-ish files: 127 bytes + "\n", so a one-line edit keeps the size. */
export const LARGE_LINE_BYTES = 128;
export const ONE_MIB = 1024 * 1024;

const WORDS = (
  "agent route plan task review summary context memory search index tool server request answer policy " +
  "budget ticket incident deploy release schedule report metric signal trace audit draft verify explain " +
  "compare extract classify translate estimate monitor escalate handoff research document archive cluster " +
  "customer product invoice contract support billing onboarding feedback quality latency throughput error " +
  "retry backoff cache shard replica quorum ledger account profile session channel queue worker batch"
).split(" ");
export const CAPABILITIES = [
  "task_routing",
  "planning",
  "code_analysis",
  "documentation_review",
  "web_search",
  "summarization",
  "translation",
  "data_extraction",
  "incident_triage",
  "report_writing",
  "scheduling",
  "billing_support",
];
const BUILTIN_TOOLS = ["read_file", "write_file", "delegate_task", "send_message", "http_get", "calculator"];
/** servers defined in tools/mcp_servers.toml, and tools the agents call on them */
const MCP_TOOLS = [
  "mcp__git__git_diff",
  "mcp__git__git_log",
  "mcp__search__web_search",
  "mcp__files__read_text",
  "mcp__tickets__create_ticket",
  "mcp__tickets__close_ticket",
];
const MCP_SERVERS_TOML = `# MCP servers the agents may call (generated by bench/generate-workspace.ts)
[servers.git]
command = "mcp-server-git"
args = ["--repo", "/srv/repo"]
env = { GIT_AUTHOR_NAME = "caxton" }

[servers.search]
url = "https://search.example.com/mcp"

[servers.files]
command = "mcp-server-files"
args = ["--root", "/srv/shared"]

[servers.tickets]
url = "https://tickets.example.com/mcp"
`;

/**
 * Seeded text. `new Text(rnd)` draws words uniformly from a small vocabulary of real words (the generated
 * workspaces); `Text.madeUp(rnd)` from 3,000 made-up words with a Zipf-like (log-uniform rank) distribution,
 * which compresses like real prompts and config files (the wire-bytes bench).
 */
export class Text {
  constructor(
    readonly rnd: () => number,
    private readonly vocabulary: readonly string[] = WORDS,
    private readonly zipf = false,
  ) {}

  static madeUp(rnd: () => number, size = 3000): Text {
    const t = new Text(rnd);
    const onsets = [
      "b",
      "c",
      "d",
      "f",
      "g",
      "k",
      "l",
      "m",
      "n",
      "p",
      "r",
      "s",
      "t",
      "v",
      "st",
      "tr",
      "pl",
      "ch",
    ];
    const vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ea"];
    const codas = ["", "", "n", "r", "s", "t", "l", "nd", "ck"];
    const seen = new Set<string>();
    while (seen.size < size) {
      let w = "";
      const syllables = 1 + t.int(0, 2);
      for (let i = 0; i < syllables; i++) w += t.pick(onsets) + t.pick(vowels) + t.pick(codas);
      seen.add(w);
    }
    return new Text(rnd, [...seen], true);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.rnd() * list.length)] as T;
  }
  word(): string {
    if (!this.zipf) return this.pick(this.vocabulary);
    const n = this.vocabulary.length;
    const rank = Math.floor(Math.exp(this.rnd() * Math.log(n + 1))) - 1;
    return this.vocabulary[Math.min(rank, n - 1)] as string;
  }
  words(n: number): string {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.word());
    return out.join(" ");
  }
  /** lines of 8–12 words */
  paragraph(lines: number): string {
    const out: string[] = [];
    for (let i = 0; i < lines; i++) out.push(this.words(this.int(8, 12)));
    return out.join("\n");
  }
  /** a markdown document of about `bytes` bytes */
  markdown(bytes: number): string {
    let s = `# ${this.words(3)}\n\n`;
    while (s.length < bytes) {
      s += this.rnd() < 0.2 ? `## ${this.words(4)}\n\n` : `${this.paragraph(this.int(2, 6))}\n\n`;
    }
    return s.slice(0, bytes - 1) + "\n";
  }
  sentence(): string {
    const s = this.words(this.int(6, 18));
    return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
  }
  /** a prose sentence, a bullet or a `key = "value"` line */
  line(): string {
    const r = this.rnd();
    if (r < 0.7) return this.sentence();
    if (r < 0.85) return `- ${this.words(this.int(3, 9))}`;
    return `${this.word()}_${this.word()} = "${this.words(this.int(1, 5))}"`;
  }
  /** lines until their joined size (with a newline each) reaches `bytes` */
  lines(bytes: number): string[] {
    const out: string[] = [];
    let size = 0;
    while (size < bytes) {
      const l = this.line();
      out.push(l);
      size += Buffer.byteLength(l) + 1;
    }
    return out;
  }
}

function agentToml(t: Text, name: string, index: number): string {
  const caps = new Set<string>();
  for (let n = t.int(1, 3); caps.size < n;) caps.add(t.pick(CAPABILITIES));
  const tools = new Set<string>();
  for (let n = t.int(1, 4); tools.size < n;)
    tools.add(t.rnd() < 0.5 ? t.pick(BUILTIN_TOOLS) : t.pick(MCP_TOOLS));
  const q = (list: Iterable<string>): string => [...list].map((s) => `"${s}"`).join(", ");
  let s = `name = "${name}"
version = "${t.int(0, 3)}.${t.int(0, 20)}.${t.int(0, 50)}"
description = "${t.words(6)} (agent ${index})"
capabilities = [${q(caps)}]
system_prompt = '''
${t.paragraph(t.int(3, 12))}
'''
user_prompt_template = "Request: {request}"

[tools]
available = [${q(tools)}]
`;
  if (t.rnd() < 0.7) {
    s += `
[llm]
provider = "${t.pick(["openai", "anthropic", "local"])}"
model = "model-${t.int(1, 9)}"
temperature = ${(t.int(0, 20) / 10).toFixed(1)}
max_tokens = ${t.int(256, 8192)}
`;
  }
  if (t.rnd() < 0.5) {
    s += `
[memory]
enabled = ${t.rnd() < 0.8}
context_window = ${t.int(1000, 32000)}
scope = "${t.pick(["agent", "conversation", "global"])}"
`;
  }
  if (t.rnd() < 0.3)
    s += `\n[conversation]\nmax_turns = ${t.int(5, 100)}\ntimeout_seconds = ${t.int(30, 900)}\n`;
  return s;
}

/** Binary-ish content: random bytes (no newline) in lines of LARGE_LINE_BYTES, so a line can be edited. */
function binaryish(rnd: () => number, bytes: number): Buffer {
  const buf = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i += 4) {
    const v = (rnd() * 4294967296) >>> 0;
    buf[i] = v & 0xff;
    if (i + 1 < bytes) buf[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < bytes) buf[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < bytes) buf[i + 3] = v >>> 24;
  }
  for (let i = 0; i < bytes; i++) if (buf[i] === 0x0a) buf[i] = 0x0b;
  for (let i = LARGE_LINE_BYTES - 1; i < bytes; i += LARGE_LINE_BYTES) buf[i] = 0x0a;
  return buf;
}

/** Writes the workspace for `size` into `dir` (which must be empty or absent). */
export function generateWorkspace(dir: string, size: SizeSpec, seed = DEFAULT_SEED): GeneratedWorkspace {
  const rnd = mulberry32(seed ^ size.name.charCodeAt(0) ^ (size.name.length << 8));
  const t = new Text(rnd);
  const made = new Set<string>();
  let files = 0;
  let bytes = 0;
  const write = (rel: string, content: string | Buffer): void => {
    const abs = join(dir, rel);
    const parent = dirname(abs);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    writeFileSync(abs, content);
    files++;
    bytes += typeof content === "string" ? Buffer.byteLength(content) : content.length;
  };

  write("tools/mcp_servers.toml", MCP_SERVERS_TOML);
  const agents: string[] = [];
  for (let i = 0; i < size.agents; i++) {
    const name = `${t.pick(WORDS)}-${t.pick(WORDS)}-${i}`;
    // up to agentsPerFolder agents per team folder; maybe every third one in the folder-per-agent layout
    const per = size.agentsPerFolder;
    const team = size.agents > per ? `team-${String(Math.floor(i / per)).padStart(3, "0")}/` : "";
    const rel =
      size.folderPerAgent && i % 3 === 2 ? `agents/${team}${name}/agent.toml` : `agents/${team}${name}.toml`;
    write(rel, agentToml(t, name, i));
    agents.push(rel);
  }
  for (let i = 0; i < size.prompts; i++) {
    const area = String(Math.floor(i / 1000)).padStart(2, "0");
    const set = String(Math.floor((i % 1000) / 100)).padStart(2, "0");
    write(`prompts/area-${area}/set-${set}/${t.pick(WORDS)}-${i}.md`, t.markdown(t.int(...size.promptBytes)));
  }
  let largeFile: string | null = null;
  for (let i = 0; i < size.largeFiles; i++) {
    const n = i === 0 ? ONE_MIB : t.int(100 * 1024, ONE_MIB);
    const rel =
      i === 0 ? "assets/large/embeddings.bin" : `assets/blobs/blob-${String(i).padStart(2, "0")}.bin`;
    write(rel, binaryish(rnd, n));
    if (i === 0) largeFile = rel;
  }
  return {
    dir,
    size,
    seed,
    files,
    bytes,
    agents,
    largeFile,
    largeFileRenamed: largeFile ? "assets/large/embeddings-renamed.bin" : null,
  };
}
