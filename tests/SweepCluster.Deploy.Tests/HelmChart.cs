using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SweepCluster.Cli.Tests;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// helm/sweepcluster read as text. There is no helm binary here, so the templates are checked
/// for what they say rather than rendered: their actions ({{ ... }}) are lexed as Go templates
/// lex them, blocks matched, helpers inlined where they are included, and .Values paths
/// resolved in values.yaml.
/// </summary>
public static partial class HelmChart
{
    public static readonly string Folder = Path.Combine(Sweep.RepositoryRoot, "helm", "sweepcluster");
    public static readonly string TemplatesFolder = Path.Combine(Folder, "templates");
    public const string HelpersFile = "_helpers.tpl";

    /// <summary>Every file of templates/ by name: the manifests, _helpers.tpl and NOTES.txt.</summary>
    public static IReadOnlyDictionary<string, string> Templates() => Directory.GetFiles(TemplatesFolder)
        .ToDictionary(f => Path.GetFileName(f), File.ReadAllText);

    public static string Template(string name) => File.ReadAllText(Path.Combine(TemplatesFolder, name));

    /// <summary>The manifest templates: what Helm renders into objects (not the helpers, not NOTES.txt).</summary>
    public static IEnumerable<string> ManifestTemplates() => Templates().Keys.Where(n => n.EndsWith(".yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    /// <summary>One {{ ... }}: its text without delimiters, trim markers and outer spaces; a comment has Comment set.</summary>
    public sealed record Action(string Text, int Start, int End, int Line, bool Comment)
    {
        /// <summary>The first word: if, else, end, range, with, define, include, ...</summary>
        public string Keyword => Regex.Match(Text, @"^[A-Za-z]+").Value;
    }

    /// <summary>Lexes the actions of a template; throws on an unclosed {{, a nested {{ or a }} outside an action.</summary>
    public static IReadOnlyList<Action> Actions(string text)
    {
        var actions = new List<Action>();
        var i = 0;
        while (true)
        {
            var open = text.IndexOf("{{", i, StringComparison.Ordinal);
            var stray = text.IndexOf("}}", i, StringComparison.Ordinal);
            if (stray >= 0 && (open < 0 || stray < open)) throw new FormatException($"line {LineOf(text, stray)}: '}}}}' outside an action");
            if (open < 0) return actions;
            var j = open + 2;
            // "{{- " trims the text before; the space is part of the marker ("{{-3}}" is a number).
            if (j + 1 < text.Length && text[j] == '-' && char.IsWhiteSpace(text[j + 1])) j++;
            while (j < text.Length && char.IsWhiteSpace(text[j])) j++;
            var comment = string.CompareOrdinal(text, j, "/*", 0, 2) == 0;
            int close;
            if (comment)
            {
                var endComment = text.IndexOf("*/", j + 2, StringComparison.Ordinal);
                if (endComment < 0) throw new FormatException($"line {LineOf(text, open)}: unclosed comment");
                close = text.IndexOf("}}", endComment, StringComparison.Ordinal);
                if (close < 0 || text[(endComment + 2)..close].Trim() is not ("" or "-"))
                    throw new FormatException($"line {LineOf(text, open)}: a comment must end right before }}}}");
            }
            else
            {
                close = -1;
                for (var k = j; k < text.Length && close < 0; k++)
                {
                    if (text[k] is '"' or '`' or '\'') k = EndOfQuote(text, k, open);
                    else if (string.CompareOrdinal(text, k, "{{", 0, 2) == 0) throw new FormatException($"line {LineOf(text, k)}: '{{{{' inside an action opened on line {LineOf(text, open)}");
                    else if (string.CompareOrdinal(text, k, "}}", 0, 2) == 0) close = k;
                }
                if (close < 0) throw new FormatException($"line {LineOf(text, open)}: '{{{{' without '}}}}'");
            }
            // " -}}" trims the text after; the space is part of the marker, as in "{{- ".
            var inner = Regex.Replace(text[j..close], @"(^|\s)-\s*$", "").Trim();
            actions.Add(new Action(comment ? "" : inner, open, close + 2, LineOf(text, open), comment));
            i = close + 2;
        }
    }

    static int EndOfQuote(string text, int start, int actionStart)
    {
        var quote = text[start];
        for (var k = start + 1; k < text.Length; k++)
        {
            if (quote != '`' && text[k] == '\\') k++;
            else if (text[k] == quote) return k;
            else if (text[k] == '\n' && quote != '`') break;
        }
        throw new FormatException($"line {LineOf(text, actionStart)}: unterminated {quote} in an action");
    }

    static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    /// <summary>A control structure: its opening action (if, range, with, define, block) and its end.</summary>
    public sealed record Block(Action Open, Action End);

    static readonly HashSet<string> Openers = ["if", "range", "with", "define", "block"];

    /// <summary>The blocks of a template, innermost first; throws on an end without a block, an else outside one, or a block without an end.</summary>
    public static IReadOnlyList<Block> Blocks(string text)
    {
        var blocks = new List<Block>();
        var open = new Stack<Action>();
        foreach (var action in Actions(text).Where(a => !a.Comment))
        {
            switch (action.Keyword)
            {
                case var k when Openers.Contains(k):
                    if (k == "define" && open.Count > 0) throw new FormatException($"line {action.Line}: define inside a block");
                    open.Push(action);
                    break;
                case "else":
                    if (!open.TryPeek(out var top) || top.Keyword is not ("if" or "range" or "with"))
                        throw new FormatException($"line {action.Line}: else outside if, range or with");
                    break;
                case "end":
                    if (!open.TryPop(out var start)) throw new FormatException($"line {action.Line}: end without a block");
                    blocks.Add(new Block(start, action));
                    break;
            }
        }
        if (open.TryPop(out var unclosed)) throw new FormatException($"line {unclosed.Line}: {unclosed.Keyword} without end");
        return blocks;
    }

    /// <summary>
    /// The text split at its blocks <c>{{ if CONDITION }} ... {{ end }}</c>: the text without them,
    /// and what they hold (nested blocks and all), as rendered with the condition false and true.
    /// </summary>
    public static (string Without, string Inside) SplitAt(string text, string condition)
    {
        var without = new StringBuilder();
        var inside = new StringBuilder();
        var at = 0;
        foreach (var block in Blocks(text).Where(b => b.Open.Text == "if " + condition).OrderBy(b => b.Open.Start))
        {
            if (block.Open.Start < at) continue;
            without.Append(text, at, block.Open.Start - at);
            inside.Append(text, block.Open.End, block.End.Start - block.Open.End).Append('\n');
            at = block.End.End;
        }
        return (without.Append(text, at, text.Length - at).ToString(), inside.ToString());
    }

    /// <summary>The helpers: each define's name and body.</summary>
    public static IReadOnlyDictionary<string, string> Defines()
    {
        var text = Template(HelpersFile);
        return Blocks(text).Where(b => b.Open.Keyword == "define")
            .ToDictionary(b => Regex.Match(b.Open.Text, "^define \"([^\"]+)\"$").Groups[1].Value, b => text[b.Open.End..b.End.Start]);
    }

    /// <summary>Names used by include "x" and template "x" anywhere in an action, nested calls too.</summary>
    public static IEnumerable<string> IncludedNames(string text) => Actions(text).Where(a => !a.Comment)
        .SelectMany(a => IncludePattern().Matches(a.Text)).Select(m => m.Groups[1].Value);

    [GeneratedRegex("""\b(?:include|template)\s+"([^"]+)"\s*([^\s|)]*)""")]
    public static partial Regex IncludePattern();

    /// <summary>
    /// The template with every include (or template) that stands alone on its line, the ones that
    /// insert YAML lines, replaced by the helper's body, itself expanded: the text a workload is
    /// made of, helpers and all. Includes within a line (a name, a quoted value) stay as they are.
    /// Indentation is not reproduced; what this is for is finding entries (env names, ports) and their values.
    /// </summary>
    public static string Expand(string text, IReadOnlyDictionary<string, string> defines)
    {
        var result = new StringBuilder();
        var at = 0;
        foreach (var action in Actions(text))
        {
            var include = Regex.Match(action.Text, """^(?:include|template)\s+"([^"]+)""");
            var lineStart = text.LastIndexOf('\n', Math.Max(action.Start - 1, 0)) + 1;
            var lineEnd = text.IndexOf('\n', action.End) is var n && n >= 0 ? n : text.Length;
            if (!include.Success || text[lineStart..action.Start].Trim().Length > 0 || text[action.End..lineEnd].Trim().Length > 0) continue;
            result.Append(text, at, action.Start - at).Append(Expand(defines[include.Groups[1].Value], defines));
            at = action.End;
        }
        return result.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>The env entries (upper-case names: containers, ports and volumes are named in lower case) of an expanded template, in order.</summary>
    public static IReadOnlyList<NodeEnvironment.Entry> Env(string expanded)
    {
        var lines = expanded.Split('\n').Where(l => !l.TrimStart().StartsWith('#')).ToArray();
        var env = new List<NodeEnvironment.Entry>();
        for (var i = 0; i < lines.Length; i++)
        {
            var name = Regex.Match(lines[i], @"^\s*- name: ([A-Z][A-Z0-9_]*)\s*$");
            if (!name.Success) continue;
            var value = i + 1 < lines.Length ? Regex.Match(lines[i + 1], @"^\s*value: (.*)$") : Match.Empty;
            env.Add(new NodeEnvironment.Entry(name.Groups[1].Value, value.Success ? value.Groups[1].Value.Trim() : null));
        }
        return env;
    }

    /// <summary>values.yaml, parsed.</summary>
    public static YamlMappingNode Values() => ParseYaml(File.ReadAllText(Path.Combine(Folder, "values.yaml")));

    public static YamlMappingNode ParseYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    /// <summary>The node at a dotted path ("workers.gpus") of values.yaml, or null if there is none.</summary>
    public static YamlNode? Resolve(YamlMappingNode values, string path)
    {
        YamlNode node = values;
        foreach (var key in path.Split('.'))
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var child)) return null;
            node = child;
        }
        return node;
    }

    /// <summary>
    /// Every path of values.yaml that holds a value rather than settings: scalars, lists, and
    /// maps that are passed on whole (an empty map, or one whose keys are not identifiers, such
    /// as nvidia.com/gpu.present).
    /// </summary>
    public static IEnumerable<string> LeafPaths(YamlMappingNode map, string prefix = "")
    {
        foreach (var (key, value) in map.Children)
        {
            var path = prefix + ((YamlScalarNode)key).Value;
            if (value is YamlMappingNode child && child.Children.Count > 0 && child.Children.Keys.All(k => Regex.IsMatch(((YamlScalarNode)k).Value!, @"^[A-Za-z_]\w*$")))
                foreach (var leaf in LeafPaths(child, path + ".")) yield return leaf;
            else yield return path;
        }
    }

    /// <summary>A .Values path a template reads, where; or a misuse of .Values where `.` is not the root.</summary>
    public sealed record ValuesReference(string File, int Line, string Path, string? Error = null);

    static readonly HashSet<string> BuiltIns = ["Values", "Release", "Chart", "Files", "Capabilities", "Template"];

    /// <summary>
    /// The .Values paths a template reads, with `.` followed through with and range: inside
    /// `with .Values.x`, `.y` is x.y; inside range (or with anything else), `.` is an element whose
    /// fields are not checked, and `.Values` there is an error, since `.` is not the root ($.Values is).
    /// Defines are read with `.` the root: every include passes it (checked by the tests).
    /// </summary>
    public static IEnumerable<ValuesReference> ValuesReferences(string file, string text)
    {
        // Per open block: the dot inside it ("" the root, a values path, or null for unknown).
        var scopes = new Stack<(string Keyword, string? Dot, string? Outer)>();
        string? Dot() => scopes.Count == 0 ? "" : scopes.Peek().Dot;
        foreach (var action in Actions(text).Where(a => !a.Comment))
        {
            var code = Regex.Replace(action.Text, "\"(?:\\\\.|[^\"\\\\])*\"|`[^`]*`", "\"\"");
            var dot = Dot();
            foreach (Match m in Regex.Matches(code, @"\$\.Values((?:\.[A-Za-z_]\w*)+)"))
                yield return new ValuesReference(file, action.Line, m.Groups[1].Value[1..]);
            foreach (Match m in FieldChain().Matches(code))
            {
                var chain = m.Groups[1].Value;
                var root = chain.Split('.')[0];
                if (dot == "")
                {
                    if (root == "Values" && chain.Contains('.')) yield return new ValuesReference(file, action.Line, chain["Values.".Length..]);
                    else if (!BuiltIns.Contains(root)) yield return new ValuesReference(file, action.Line, chain, $".{chain} at the root is no built-in object");
                }
                else if (root == "Values") yield return new ValuesReference(file, action.Line, chain, $".{chain} where `.` is not the root: use $.{chain}");
                else if (dot is not null) yield return new ValuesReference(file, action.Line, dot + "." + chain);
            }
            switch (action.Keyword)
            {
                case "if" or "define" or "block":
                    scopes.Push((action.Keyword, action.Keyword == "if" ? dot : "", dot));
                    break;
                case "with" or "range":
                    var target = Regex.Match(code, @"^(?:with|range)\s+\$?\.Values((?:\.[A-Za-z_]\w*)+)\s*$");
                    scopes.Push((action.Keyword, action.Keyword == "with" && target.Success && dot == "" ? target.Groups[1].Value[1..] : null, dot));
                    break;
                case "else" when scopes.Count > 0:
                    // The else of with and range runs with the outer dot.
                    var (keyword, _, outer) = scopes.Pop();
                    scopes.Push((keyword, outer, outer));
                    break;
                case "end" when scopes.Count > 0:
                    scopes.Pop();
                    break;
            }
        }
    }

    [GeneratedRegex(@"(?<![\w)\]$.])\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")]
    private static partial Regex FieldChain();

    /// <summary>A values file as the JSON that values.schema.json sees: Helm reads it as YAML 1.1, so `replicas: two` is a string and `gpus: 1` a number.</summary>
    public static JsonNode? ToJson(YamlNode node) => YamlScalars.ToJson(node, YamlScalars.Yaml11);
}
