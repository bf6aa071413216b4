/**
 * The example workspace `caxton init` writes: valid with no warning, with both agent layouts (flat file,
 * folder with assets), both ways of listing tools (the agent-format guide's `tools = [...]` and the domain
 * schema's `[tools] available`), the guide's optional tables, MCP servers, and workspace settings.
 */
export function exampleWorkspace(server: string): Record<string, string> {
  return {
    "caxton.toml": `# Caxton workspace settings
[deploy]
server = "${server}"
`,
    ".caxtonignore": `# gitignore syntax: what \`caxton deploy\` leaves out
*.swp
*~
.DS_Store
drafts/
`,
    "agents/coordinator.toml": `# The form of Caxton's agent-format guide: \`tools\` as a list, prompts with {{placeholders}}.
# Top-level keys (prompts included) go above the first [table] header: TOML puts every key written
# below a header into that table.
name = "coordinator"
version = "1.0.0"
description = "Routes incoming work to the right specialist agent"
capabilities = ["task_routing", "planning"]
tools = ["mcp__search__web_search", "delegate_task"]

system_prompt = '''
You are the coordinator of a small team of agents. Break requests into tasks
and hand each to the agent whose capabilities fit best.
'''

user_prompt_template = '''
Request: {{request}}

Context: {{context}}
'''

[llm]
provider = "anthropic"
model = "claude-sonnet-4"
temperature = 0.3

[conversation]
max_turns = 30

[permissions]
file_access = "none"
network_access = "restricted"
memory_limit = "100MB"
cpu_limit = "5m"

[monitoring]
health_check_interval = "5m"
`,
    "agents/researcher/agent.toml": `name = "researcher"
version = "1.2.0"
description = "Finds and summarises sources"
capabilities = ["web_research", "summarisation"]
tools = ["mcp__search__web_search", "mcp__git__git_log", "read_file"]
documentation = "See prompt-notes.md next to this file."

system_prompt = '''
You are a careful researcher. Cite every source you use.
'''

user_prompt_template = "Research this question: {{question}} (earlier findings: {{memory_context}})"

[memory]
enabled = true
context_window = 8000
scope = "conversation"
retention_period = "30d"
max_entries = 1000

[memory.context_preparation]
enabled = true
max_context_length = 8000
relevance_threshold = 0.8

[schedule]
cron = "0 8 * * MON"  # every Monday at 08:00
timezone = "Europe/London"
enabled = false

[audit]
log_operations = true
log_sensitive_data = false
retention_period = "1y"
`,
    "agents/researcher/prompt-notes.md": `# Researcher notes

Assets such as this file ride along with the agent and are deployed as-is.
`,
    "agents/code-reviewer.toml": `# The form of Caxton's domain schema: a [tools] table with \`available\`.
name = "code-reviewer"
version = "0.3.1"
capabilities = ["code_analysis", "documentation_review"]
system_prompt = '''
You are a code reviewer agent. Be specific and kind.
'''
user_prompt_template = "Please review: {{code_diff}}"

[tools]
available = ["mcp__git__git_diff", "read_file"]

[memory]
enabled = true
context_window = 4000
`,
    "tools/mcp_servers.toml": `# MCP servers the agents may call
[servers.git]
command = "mcp-server-git"
args = ["--repo", "/srv/repo"]
env = { GIT_AUTHOR_NAME = "caxton" }

[servers.search]
url = "https://search.example.com/mcp"
`,
  };
}
