/**
 * The example workspace `caxton init` writes: valid per ../shared/spec/workspace-format.md, with both agent
 * layouts (flat file, folder with assets), MCP servers, and workspace settings.
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
    "agents/coordinator.toml": `name = "coordinator"
version = "1.0.0"
description = "Routes incoming work to the right specialist agent"
capabilities = ["task_routing", "planning"]
system_prompt = '''
You are the coordinator of a small team of agents. Break requests into tasks
and hand each to the agent whose capabilities fit best.
'''
user_prompt_template = "Request: {request}"

[tools]
available = ["mcp__search__web_search", "delegate_task"]

[llm]
provider = "anthropic"
model = "claude-sonnet-4"
temperature = 0.3

[conversation]
max_turns = 30
`,
    "agents/researcher/agent.toml": `name = "researcher"
version = "1.2.0"
description = "Finds and summarises sources"
capabilities = ["web_research", "summarisation"]
system_prompt = '''
You are a careful researcher. Cite every source you use.
'''
user_prompt_template = "Research this question: {question}"
documentation = "See prompt-notes.md next to this file."

[tools]
available = ["mcp__search__web_search", "mcp__git__git_log", "read_file"]

[memory]
enabled = true
context_window = 8000
scope = "conversation"
`,
    "agents/researcher/prompt-notes.md": `# Researcher notes

Assets such as this file ride along with the agent and are deployed as-is.
`,
    "agents/code-reviewer.toml": `name = "code-reviewer"
version = "0.3.1"
capabilities = ["code_analysis", "documentation_review"]
system_prompt = '''
You are a code reviewer agent. Be specific and kind.
'''
user_prompt_template = "Please review: {code_diff}"

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
