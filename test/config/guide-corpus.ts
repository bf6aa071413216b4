// Agent files of our own in every form Caxton's agent-format guide shows: its reference ("complete
// schema") and each of its examples, rewritten here with the same structure and tables. One change from
// the guide: the prompts sit above the first table header, since TOML puts any key written below `[llm]`
// into `[llm]` (the guide's own examples do that; agent-guide-format.test.ts checks the error it gives).

export const GUIDE_CORPUS: Record<string, string> = {
  // The reference: every table and key the guide documents, plus the domain schema's [conversation].
  "agents/complete.toml": `# every key of the guide's reference
name = "inventory-auditor"
version = "3.4.1"
description = "Checks stock levels and flags anomalies"

capabilities = [
  "data_analysis",
  "data_validation"
]

tools = [
  "csv_reader",
  "data_validator"
]

system_prompt = '''
You audit inventory records. Compare counts against expectations and
explain every discrepancy you find.
'''

user_prompt_template = '''
Audit request: {{request}}

Known context: {{context}}
Earlier audits: {{memory_context}}
'''

documentation = '''
# Inventory auditor

Reads stock exports and reports what does not add up.
'''

[llm]
provider = "local"
model = "llama-3-8b"
temperature = 0.7
max_tokens = 2000
top_p = 1.0
frequency_penalty = 0.0
presence_penalty = 0.0

[permissions]
file_access = "readonly"
network_access = "none"
memory_limit = "512MiB"
cpu_limit = "100ms"

[schedule]
cron = "30 6 1-7 * MON-FRI"
timezone = "Europe/Berlin"
enabled = false

[memory]
enabled = true
context_window = 4000
scope = "agent"
retention_period = "30d"
max_entries = 1000

[memory.context_preparation]
enabled = true
max_context_length = 8000
relevance_threshold = 0.8

[conversation]
max_turns = 20
timeout_seconds = 120

[parameters]
max_file_size = "10MB"
supported_formats = ["csv", "json"]

[audit]
log_operations = true
log_sensitive_data = false
retention_period = "1y"

[monitoring]
health_check_interval = "5m"
performance_tracking = true
error_reporting = true

[development]
hot_reload = true
debug_mode = false
test_mode = false
`,

  // The guide's first example: capabilities, tools, [llm], three prompts.
  "agents/sales-summary.toml": `name = "sales-summary"
version = "1.0.0"
description = "Summarises a sales export in plain words"

capabilities = ["data_analysis"]
tools = ["csv_reader", "statistical_analyzer"]

system_prompt = '''
You explain sales exports to people who do not read spreadsheets.
Load the file, compute the basic statistics, then write a short summary.
'''

user_prompt_template = '''
Summarise this export: {{request}}

File: {{data_source}}
Focus on: {{requirements}}
'''

documentation = '''
# Sales summary

Turns a CSV export into three paragraphs.
'''

[llm]
provider = "openai"
model = "gpt-4"
temperature = 0.1
`,

  // The guide's second example: permissions, schedule, memory and audit without context preparation.
  "agents/feed-relay.toml": `name = "feed-relay"
version = "2.1.0"
description = "Polls a partner feed and forwards what changed"

capabilities = [
  "api_integration",
  "data_transformation",
  "notification_delivery"
]

tools = ["http_client", "json_processor", "email_sender"]

system_prompt = '''
You poll one partner feed, keep what is new, reshape it for our format and
mail a digest when something important changed. Never log credentials.
'''

user_prompt_template = '''
Relay request: {{request}}

Feed: {{api_endpoint}}
Format: {{response_format}}
Recipients: {{notifications}}
Last run: {{memory_context}}
'''

[llm]
provider = "openai"
model = "gpt-4-turbo"
temperature = 0.2
max_tokens = 2000

[permissions]
network_access = "restricted"
file_access = "readonly"
memory_limit = "50MB"

[schedule]
cron = "0 */6 * * *"  # four times a day
timezone = "UTC"
enabled = true

[memory]
enabled = true
scope = "agent"
retention_period = "7d"
max_entries = 1000

[audit]
log_operations = true
log_sensitive_data = false
`,

  // The guide's third example: every optional table, a named weekday in the cron expression.
  "agents/weekly-digest.toml": `name = "weekly-digest"
version = "1.5.0"
description = "Builds the Monday management digest"

capabilities = [
  "data_analysis",
  "report_generation",
  "content_generation"
]

tools = [
  "csv_reader",
  "excel_reader",
  "chart_generator",
  "pdf_generator",
  "email_sender"
]

system_prompt = '''
You assemble the weekly digest: gather the figures, chart the trends,
render a PDF and send it to the list. Validate data before you chart it.
'''

user_prompt_template = '''
Digest for: {{report_period}}

Sources: {{data_sources}}
Send to: {{email_recipients}}
Kind: {{report_type}}
Notes: {{requirements}}
Last digest: {{memory_context}}
Trends: {{trend_data}}
'''

documentation = '''
# Weekly digest

Runs every Monday at 08:00 New York time.
'''

[llm]
provider = "anthropic"
model = "claude-3-sonnet"
temperature = 0.3
max_tokens = 4000

[permissions]
file_access = "readwrite"
network_access = "restricted"
memory_limit = "200MB"
cpu_limit = "5m"

[schedule]
cron = "0 8 * * MON"  # Mondays at 08:00
timezone = "America/New_York"
enabled = true

[memory]
enabled = true
scope = "agent"
retention_period = "90d"
max_entries = 5000

[memory.context_preparation]
enabled = true
max_context_length = 8000
relevance_threshold = 0.8

[parameters]
max_file_size = "50MB"
supported_formats = ["csv", "xlsx", "json"]
report_template = "executive-summary"

[monitoring]
health_check_interval = "15m"
performance_tracking = true
error_reporting = true

[audit]
log_operations = true
log_sensitive_data = false
retention_period = "1y"
`,

  // The guide's local-development example: the smallest agent it shows.
  "agents/dev/agent.toml": `name = "scratch-agent"
version = "1.0.0"
description = "Answers test requests during development"
capabilities = ["data_analysis"]
tools = ["csv_reader"]

system_prompt = '''
You answer test requests so the pipeline can be checked end to end.
'''

user_prompt_template = '''
Test request: {{request}}
Context: {{context}}
'''

documentation = '''
# Scratch agent
For trying things out.
'''

[llm]
provider = "openai"
model = "gpt-4"
`,

  // The domain schema's form of the tool list, for contrast.
  "agents/domain-form.toml": `name = "domain-form"
version = "0.1.0"
capabilities = ["code_analysis"]
system_prompt = "You review code."
user_prompt_template = "Review: {{diff}}"

[tools]
available = ["read_file"]
`,
};

/**
 * A wrong value for every key the corpus writes (dotted path → TOML value), with the code it must give.
 * `[parameters]` is free-form, so it has none.
 */
export const WRONG_VALUES: Record<string, [value: string, code: string]> = {
  name: ['"Inventory_Auditor"', "E_AGENT_BAD_NAME"],
  version: ['"3.4"', "E_AGENT_BAD_VERSION"],
  description: ["42", "E_AGENT_BAD_TYPE"],
  capabilities: ['["data analysis"]', "E_AGENT_BAD_CAPABILITY"],
  tools: ['["csv-reader"]', "E_AGENT_BAD_TOOL"],
  system_prompt: ['"You audit {{request."', "E_AGENT_BAD_TEMPLATE"],
  user_prompt_template: ['"Audit request: request}}"', "E_AGENT_BAD_TEMPLATE"],
  documentation: ["true", "E_AGENT_BAD_TYPE"],
  "tools.available": ['"read_file"', "E_AGENT_BAD_TYPE"],
  "llm.provider": ['"opneai"', "E_AGENT_BAD_VALUE"],
  "llm.model": ["7", "E_AGENT_BAD_TYPE"],
  "llm.temperature": ["2.5", "E_AGENT_BAD_VALUE"],
  "llm.max_tokens": ["-1", "E_AGENT_BAD_VALUE"],
  "llm.top_p": ["1.5", "E_AGENT_BAD_VALUE"],
  "llm.frequency_penalty": ['"high"', "E_AGENT_BAD_TYPE"],
  "llm.presence_penalty": ["true", "E_AGENT_BAD_TYPE"],
  "permissions.file_access": ['"read-only"', "E_AGENT_BAD_VALUE"],
  "permissions.network_access": ['"open"', "E_AGENT_BAD_VALUE"],
  "permissions.memory_limit": ['"100 megabytes"', "E_AGENT_BAD_SIZE"],
  "permissions.cpu_limit": ['"fast"', "E_AGENT_BAD_DURATION"],
  "schedule.cron": ['"0 8 * * MOM"', "E_AGENT_BAD_CRON"],
  "schedule.timezone": ['"America/NewYork"', "E_AGENT_BAD_TIMEZONE"],
  "schedule.enabled": ['"yes"', "E_AGENT_BAD_TYPE"],
  "memory.enabled": ["1", "E_AGENT_BAD_TYPE"],
  "memory.context_window": ["-5", "E_AGENT_BAD_VALUE"],
  "memory.scope": ['"team"', "E_AGENT_BAD_VALUE"],
  "memory.retention_period": ['"30 days"', "E_AGENT_BAD_DURATION"],
  "memory.max_entries": ["1000.0", "E_AGENT_BAD_TYPE"],
  "memory.context_preparation.enabled": ['"on"', "E_AGENT_BAD_TYPE"],
  "memory.context_preparation.max_context_length": ["4294967296", "E_AGENT_BAD_VALUE"],
  "memory.context_preparation.relevance_threshold": ["1.2", "E_AGENT_BAD_VALUE"],
  "conversation.max_turns": ["-1", "E_AGENT_BAD_VALUE"],
  "conversation.timeout_seconds": ['"300"', "E_AGENT_BAD_TYPE"],
  "audit.log_operations": ['"true"', "E_AGENT_BAD_TYPE"],
  "audit.log_sensitive_data": ["0", "E_AGENT_BAD_TYPE"],
  "audit.retention_period": ['"1 year"', "E_AGENT_BAD_DURATION"],
  "monitoring.health_check_interval": ['"5"', "E_AGENT_BAD_DURATION"],
  "monitoring.performance_tracking": ['"yes"', "E_AGENT_BAD_TYPE"],
  "monitoring.error_reporting": ["1", "E_AGENT_BAD_TYPE"],
  "development.hot_reload": ['"no"', "E_AGENT_BAD_TYPE"],
  "development.debug_mode": ["0", "E_AGENT_BAD_TYPE"],
  "development.test_mode": ['"false"', "E_AGENT_BAD_TYPE"],
};
