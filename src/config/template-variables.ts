/**
 * `{{variable}}` placeholders, as Caxton's agent-format guide writes prompt templates
 * (`Handle the following request: {{request}}`). Written by hand: the check is a few lines and must report
 * the offset of the first problem, which template engines' parsers (handlebars, mustache) do not expose in a
 * form we could map back to the TOML source.
 *
 * Rules: `{{ name }}` with optional spaces, the name a dotted path of identifiers (`memory_context`,
 * `user.name`); a `{{` without its `}}`, an empty or malformed placeholder, or a `}}` that closes nothing is
 * an error. Single braces are literal text, so JSON in a prompt (`{"a": {"b": 1}}`) is fine: a `}}` that
 * closes single braces opened earlier is literal too.
 */

export interface TemplateProblem {
  /** UTF-16 offset in the string of the first character of the problem. */
  offset: number;
  message: string;
  suggestion: string | null;
}

export interface TemplateScan {
  /** Placeholder names in order of first use, each once. */
  variables: string[];
  problems: TemplateProblem[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export function scanTemplate(s: string): TemplateScan {
  const variables: string[] = [];
  const problems: TemplateProblem[] = [];
  let literalDepth = 0;
  let i = 0;
  while (i < s.length) {
    if (s.startsWith("{{", i)) {
      const close = s.indexOf("}}", i + 2);
      const reopen = s.indexOf("{{", i + 2);
      if (close < 0 || (reopen >= 0 && reopen < close)) {
        problems.push({
          offset: i,
          message: "unclosed `{{` in {key}",
          suggestion: "close the placeholder with `}}`, e.g. `{{request}}`",
        });
        i = close < 0 ? s.length : reopen;
        continue;
      }
      const inner = s.slice(i + 2, close).trim();
      if (inner === "") {
        problems.push({
          offset: i,
          message: "empty placeholder `{{}}` in {key}",
          suggestion: "name a variable, e.g. `{{request}}`",
        });
      } else if (!NAME.test(inner)) {
        const fixed = inner.replace(/[^A-Za-z0-9_.]+/g, "_").replace(/^[^A-Za-z_]+/, "");
        problems.push({
          offset: i,
          message: `invalid placeholder \`{{${inner}}}\` in {key}: a variable name is letters, digits and _ (dotted paths allowed)`,
          suggestion: NAME.test(fixed) ? `try \`{{${fixed}}}\`` : null,
        });
      } else if (!variables.includes(inner)) {
        variables.push(inner);
      }
      i = close + 2;
      continue;
    }
    if (s.startsWith("}}", i) && literalDepth < 2) {
      if (literalDepth === 1) {
        // `{x}}`: one `}` closes the literal brace; the other closes nothing a placeholder opened.
        literalDepth = 0;
      }
      problems.push({
        offset: i,
        message: "`}}` in {key} closes no `{{`",
        suggestion: "open the placeholder with `{{`, e.g. `{{request}}`",
      });
      i += 2;
      continue;
    }
    if (s[i] === "{") literalDepth++;
    else if (s[i] === "}" && literalDepth > 0) literalDepth--;
    i++;
  }
  return { variables, problems };
}
