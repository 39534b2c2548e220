using System.Globalization;
using System.Text;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// Go's text/template, as much of it as the Helm chart uses, so that its templates can be
/// rendered here without a helm binary: text and actions with trim markers and comments; if /
/// else if / else, with, range (over lists and maps, with one or two variables); define;
/// pipelines with variables (:= and =), fields, parentheses, string and number constants; and
/// the functions a table such as <see cref="HelmFunctions"/> supplies. Anything else (break,
/// continue, block, template, else in with or range, a field of a parenthesized pipeline,
/// character constants, method calls other than the ones a value offers) is an error naming the
/// file and line, never silently ignored.
///
/// Values are what Helm gives templates: null, bool, string, long (Go's int, from constants and
/// `int`), double (every number read from YAML, as Helm's float64), Dictionary&lt;string, object?&gt;
/// and List&lt;object?&gt;.
/// </summary>
public sealed class GoTemplate
{
    /// <summary>A function: its arguments already evaluated (and, or and the like get them unevaluated, as Thunks).</summary>
    public delegate object? Function(IReadOnlyList<object?> arguments, Context context);

    /// <summary>An argument of a lazy function (and, or): evaluated only if asked for.</summary>
    public sealed class Thunk(Func<object?> evaluate)
    {
        public object? Value => evaluate();
    }

    /// <summary>A value with methods, such as Helm's .Files (.Files.Get "path").</summary>
    public interface IMethods
    {
        object? Call(string method, IReadOnlyList<object?> arguments);
    }

    /// <summary>What a function may use of the running template: the set's defines, for include.</summary>
    public sealed class Context(GoTemplate set, int depth)
    {
        public string Execute(string name, object? data) => set.Execute(name, data, depth + 1);
    }

    /// <summary>Each template and define by name, with the file it is in (errors name it).</summary>
    readonly Dictionary<string, (ListNode Body, string File)> _templates = new(StringComparer.Ordinal);
    readonly IReadOnlyDictionary<string, (Function Function, bool Lazy)> _functions;

    public GoTemplate(IReadOnlyDictionary<string, (Function Function, bool Lazy)> functions) => _functions = functions;

    /// <summary>Parses a file into the set: its text is the template of that name, and its defines join the set.</summary>
    public void Add(string name, string text)
    {
        var parser = new Parser(name, text);
        var (body, defines) = parser.ParseFile();
        foreach (var (defineName, defineBody) in defines) _templates[defineName] = (defineBody, name);
        _templates[name] = (body, name);
        foreach (var call in Calls(body).Concat(defines.Values.SelectMany(Calls)))
            if (!_functions.ContainsKey(call.Name))
                throw new TemplateException($"{name}:{call.Line}: function \"{call.Name}\" is not supported by this renderer");
    }

    /// <summary>Every template and define of the set: its name, the file it is in, and its body.</summary>
    public IEnumerable<(string Name, string File, ListNode Body)> Entries => _templates.Select(t => (t.Key, t.Value.File, t.Value.Body));

    /// <summary>The parsed body of a template or define.</summary>
    public ListNode this[string name] => Template(name).Body;

    (ListNode Body, string File) Template(string name) =>
        _templates.TryGetValue(name, out var t) ? t : throw new TemplateException($"no template \"{name}\"");

    /// <summary>Runs a template (or define) with `.` and `$` the data given.</summary>
    public string Execute(string name, object? data, int depth = 0)
    {
        // Helm's limit on nested includes, which stops a helper including itself.
        if (depth > 1000) throw new TemplateException($"include \"{name}\": nested too deep");
        var (body, file) = Template(name);
        var output = new StringBuilder();
        new Evaluator(this, depth, output, file).Run(body, data);
        return output.ToString();
    }

    // ---------------------------------------------------------------- syntax tree

    public abstract record Node(int Line);
    public sealed record ListNode(int Line, IReadOnlyList<Node> Nodes) : Node(Line);
    public sealed record TextNode(int Line, string Text) : Node(Line);
    public sealed record ActionNode(int Line, Pipeline Pipeline) : Node(Line);
    public sealed record IfNode(int Line, Pipeline Condition, ListNode Then, ListNode? Else) : Node(Line);
    public sealed record WithNode(int Line, Pipeline Value, ListNode Then) : Node(Line);
    public sealed record RangeNode(int Line, Pipeline Over, ListNode Body) : Node(Line);

    /// <summary>Commands joined by |, optionally declaring (:=) or assigning (=) variables.</summary>
    public sealed record Pipeline(int Line, IReadOnlyList<string> Variables, bool Declare, IReadOnlyList<Command> Commands);
    public sealed record Command(IReadOnlyList<Expr> Operands);

    public abstract record Expr;
    /// <summary>`.` itself.</summary>
    public sealed record DotExpr : Expr;
    /// <summary>.a.b: fields of `.`.</summary>
    public sealed record FieldExpr(IReadOnlyList<string> Fields) : Expr;
    /// <summary>$x.a.b (or $ alone).</summary>
    public sealed record VariableExpr(string Name, IReadOnlyList<string> Fields) : Expr;
    /// <summary>(pipeline)</summary>
    public sealed record PipeExpr(Pipeline Pipeline) : Expr;
    public sealed record FunctionExpr(string Name, int Line) : Expr;
    public sealed record ConstantExpr(object? Value) : Expr;

    /// <summary>Every function a template body calls, with its line (what `.` is does not matter here).</summary>
    static IEnumerable<(string Name, int Line)> Calls(ListNode body) => Pipelines<object?>(body, null, (_, _) => null)
        .SelectMany(p => Exprs(p.Pipeline)).OfType<FunctionExpr>().Select(f => (f.Name, f.Line));

    /// <summary>
    /// Every pipeline of a body, in the nested blocks too, with what `.` is where it runs: `dot` at
    /// the start, and inside a with or range block what <paramref name="inside"/> makes of the
    /// block and the `.` around it.
    /// </summary>
    public static IEnumerable<(Pipeline Pipeline, T Dot)> Pipelines<T>(Node node, T dot, Func<Node, T, T> inside) => node switch
    {
        ListNode list => list.Nodes.SelectMany(n => Pipelines(n, dot, inside)),
        ActionNode action => [(action.Pipeline, dot)],
        IfNode n => Pipelines(n.Then, dot, inside).Concat(n.Else is null ? [] : Pipelines(n.Else, dot, inside)).Prepend((n.Condition, dot)),
        WithNode n => Pipelines(n.Then, inside(n, dot), inside).Prepend((n.Value, dot)),
        RangeNode n => Pipelines(n.Body, inside(n, dot), inside).Prepend((n.Over, dot)),
        _ => [],
    };

    /// <summary>Every expression of a pipeline, those in parentheses too.</summary>
    public static IEnumerable<Expr> Exprs(Pipeline pipeline) => Commands(pipeline).SelectMany(c => c.Operands);

    /// <summary>Every command of a pipeline, those in parentheses too.</summary>
    public static IEnumerable<Command> Commands(Pipeline pipeline) => pipeline.Commands
        .SelectMany(c => c.Operands.OfType<PipeExpr>().SelectMany(p => Commands(p.Pipeline)).Prepend(c));

    // ---------------------------------------------------------------- lexer and parser

    /// <summary>One piece of a template file: text, or an action's code with its line.</summary>
    sealed record Piece(bool IsText, string Value, int Line);

    sealed class Parser(string name, string text)
    {
        int _at;
        IReadOnlyList<Piece> _items = [];

        public (ListNode Body, Dictionary<string, ListNode> Defines) ParseFile()
        {
            _items = Lex();
            var defines = new Dictionary<string, ListNode>(StringComparer.Ordinal);
            var nodes = new List<Node>();
            while (_at < _items.Count)
            {
                var item = _items[_at];
                if (!item.IsText && Keyword(item.Value) == "define")
                {
                    _at++;
                    var tokens = new Tokens(item.Value, name, item.Line);
                    tokens.Word("define");
                    var defineName = tokens.String();
                    tokens.End();
                    var (body, end) = ParseList(item.Line);
                    if (end != "end") throw Error(item.Line, $"define \"{defineName}\" ended by {{{{{end}}}}}");
                    defines[defineName] = body;
                    continue;
                }
                var (list, stop) = ParseList(item.Line);
                if (stop is not null) throw Error(_items[_at - 1].Line, $"unexpected {{{{{stop}}}}}");
                nodes.AddRange(list.Nodes);
            }
            return (new ListNode(1, nodes), defines);
        }

        /// <summary>Nodes up to an end or else (returned, consumed) or a define or the end of the file (not consumed).</summary>
        (ListNode List, string? Stop) ParseList(int line)
        {
            var nodes = new List<Node>();
            while (_at < _items.Count)
            {
                var item = _items[_at];
                if (item.IsText)
                {
                    _at++;
                    if (item.Value.Length > 0) nodes.Add(new TextNode(item.Line, item.Value));
                    continue;
                }
                var keyword = Keyword(item.Value);
                if (keyword == "define") return (new ListNode(line, nodes), null);
                _at++;
                switch (keyword)
                {
                    case "end":
                        var end = new Tokens(item.Value, name, item.Line);
                        end.Word("end");
                        end.End();
                        return (new ListNode(line, nodes), "end");
                    case "else":
                        return (new ListNode(line, nodes), item.Value);
                    case "if" or "with" or "range":
                        nodes.Add(ParseControl(keyword, item));
                        break;
                    case "break" or "continue" or "block" or "template":
                        throw Error(item.Line, $"{{{{{keyword}}}}} is not supported by this renderer");
                    default:
                        var tokens = new Tokens(item.Value, name, item.Line);
                        var pipeline = tokens.Pipeline(allowDeclaration: true);
                        tokens.End();
                        nodes.Add(new ActionNode(item.Line, pipeline));
                        break;
                }
            }
            return (new ListNode(line, nodes), null);
        }

        Node ParseControl(string keyword, Piece item)
        {
            var tokens = new Tokens(item.Value, name, item.Line);
            tokens.Word(keyword);
            var pipeline = tokens.Pipeline(allowDeclaration: keyword != "if");
            tokens.End();
            if (keyword == "range" && pipeline.Variables.Count > 0 && !pipeline.Declare)
                throw Error(item.Line, "range assigns with :=, not =");
            var (body, stop) = ParseList(item.Line);
            ListNode? otherwise = null;
            if (stop is not null && stop != "end")
            {
                var elseTokens = new Tokens(stop, name, item.Line);
                elseTokens.Word("else");
                // The chart has an else only in if: one in with or range is refused below.
                if (keyword == "if" && elseTokens.AtEnd)
                {
                    (otherwise, stop) = ParseList(item.Line);
                    if (stop != "end") throw Error(item.Line, $"{{{{{keyword}}}}} has a second else or no end");
                }
                else if (keyword == "if" && elseTokens.Peek() == "if")
                {
                    // {{ else if x }} is an if inside the else, sharing the outer end.
                    var inner = ParseControl("if", item with { Value = stop["else".Length..].Trim() });
                    otherwise = new ListNode(item.Line, [inner]);
                    stop = "end";
                }
                else throw Error(item.Line, $"{{{{{stop}}}}} is not supported by this renderer");
            }
            if (stop != "end") throw Error(item.Line, $"{{{{{keyword}}}}} without end");
            return keyword switch
            {
                "if" => new IfNode(item.Line, pipeline, body, otherwise),
                "with" => new WithNode(item.Line, pipeline, body),
                _ => new RangeNode(item.Line, pipeline, body),
            };
        }

        static string Keyword(string code)
        {
            var i = 0;
            while (i < code.Length && char.IsAsciiLetter(code[i])) i++;
            return code[..i];
        }

        /// <summary>Splits the file into text and actions, applying trim markers and dropping comments.</summary>
        List<Piece> Lex()
        {
            var items = new List<Piece>();
            var at = 0;
            var trimNext = false;
            while (true)
            {
                var open = text.IndexOf("{{", at, StringComparison.Ordinal);
                var textEnd = open < 0 ? text.Length : open;
                var stray = text.IndexOf("}}", at, StringComparison.Ordinal);
                if (stray >= 0 && stray < textEnd) throw Error(LineOf(stray), "'}}' outside an action");
                var piece = text[at..textEnd];
                if (trimNext) piece = piece.TrimStart(Space);
                var start = open + 2;
                // "{{- " trims the text before; the space is part of the marker ("{{-3}}" is a number).
                var trimBefore = open >= 0 && start + 1 < text.Length && text[start] == '-' && Space.Contains(text[start + 1]);
                if (trimBefore) piece = piece.TrimEnd(Space);
                items.Add(new Piece(true, piece, LineOf(at)));
                if (open < 0) return items;
                var codeStart = trimBefore ? start + 1 : start;
                var close = FindClose(codeStart, open);
                var codeEnd = close;
                trimNext = false;
                if (close - 2 >= codeStart && text[close - 1] == '-' && Space.Contains(text[close - 2]))
                {
                    trimNext = true;
                    codeEnd = close - 1;
                }
                var code = text[codeStart..codeEnd].Trim(Space);
                if (code.StartsWith("/*", StringComparison.Ordinal))
                {
                    if (!code.EndsWith("*/", StringComparison.Ordinal)) throw Error(LineOf(open), "a comment must end with */ right before }}");
                }
                else
                {
                    if (code.Length == 0) throw Error(LineOf(open), "empty action");
                    items.Add(new Piece(false, code, LineOf(open)));
                }
                at = close + 2;
            }
        }

        /// <summary>The }} closing the action opened at <paramref name="open"/>, skipping quoted text and comments.</summary>
        int FindClose(int from, int open)
        {
            var rest = text.AsSpan(from).TrimStart(Space);
            if (rest.StartsWith("/*"))
            {
                var endComment = text.IndexOf("*/", from, StringComparison.Ordinal);
                if (endComment < 0) throw Error(LineOf(open), "unclosed comment");
                var close = text.IndexOf("}}", endComment, StringComparison.Ordinal);
                return close >= 0 ? close : throw Error(LineOf(open), "'{{' without '}}'");
            }
            for (var k = from; k < text.Length; k++)
            {
                var c = text[k];
                if (c is '"' or '`' or '\'')
                {
                    var end = k + 1;
                    while (end < text.Length && text[end] != c && (c == '`' || text[end] != '\n'))
                        end += c != '`' && text[end] == '\\' ? 2 : 1;
                    if (end >= text.Length || text[end] != c) throw Error(LineOf(open), $"unterminated {c} in an action");
                    k = end;
                }
                else if (string.CompareOrdinal(text, k, "{{", 0, 2) == 0) throw Error(LineOf(k), $"'{{{{' inside an action opened on line {LineOf(open)}");
                else if (string.CompareOrdinal(text, k, "}}", 0, 2) == 0) return k;
            }
            throw Error(LineOf(open), "'{{' without '}}'");
        }

        int LineOf(int index) => text.AsSpan(0, Math.Min(index, text.Length)).Count('\n') + 1;

        TemplateException Error(int line, string message) => new($"{name}:{line}: {message}");
    }

    static readonly char[] Space = [' ', '\t', '\r', '\n'];

    /// <summary>The tokens of one action's code, read by recursive descent.</summary>
    sealed class Tokens
    {
        readonly List<string> _tokens = [];
        readonly string _file;
        readonly int _line;
        int _at;

        public Tokens(string code, string file, int line)
        {
            _file = file;
            _line = line;
            var i = 0;
            while (i < code.Length)
            {
                var c = code[i];
                if (Space.Contains(c))
                {
                    i++;
                    continue;
                }
                var start = i;
                if (c == '"' || c == '`')
                {
                    i++;
                    while (code[i] != c) i += c == '"' && code[i] == '\\' ? 2 : 1;
                    i++;
                }
                else if (c == '\'') throw Error("character constants are not supported by this renderer");
                // (x).field is a field of (x), which the chart never takes; (x) .field is an argument.
                else if (c == ')' && i + 1 < code.Length && code[i + 1] == '.') throw Error("a field of a parenthesized pipeline, (x).field, is not supported by this renderer");
                else if (c is '(' or ')' or '|' or ',') i++;
                else if (c == ':' && i + 1 < code.Length && code[i + 1] == '=') i += 2;
                else if (c == '=') i++;
                else
                {
                    // A word: a name, a number, $var, .field chains, $var.field.
                    while (i < code.Length && !Space.Contains(code[i]) && code[i] is not ('(' or ')' or '|' or ',' or '"' or '`' or '=')
                           && !(code[i] == ':' && i + 1 < code.Length && code[i + 1] == '=')) i++;
                }
                _tokens.Add(code[start..i]);
            }
        }

        public bool AtEnd => _at >= _tokens.Count;
        public string? Peek() => AtEnd ? null : _tokens[_at];

        public void Word(string word)
        {
            if (Peek() != word) throw Error($"expected {word}");
            _at++;
        }

        public void End()
        {
            if (!AtEnd) throw Error($"unexpected '{Peek()}'");
        }

        public string String()
        {
            var token = Peek() ?? throw Error("expected a string");
            _at++;
            return Constant(token) as string ?? throw Error($"expected a string, not {token}");
        }

        public Pipeline Pipeline(bool allowDeclaration)
        {
            var variables = new List<string>();
            var declare = false;
            // $x := ..., $x = ..., $k, $v := ...
            var look = _at;
            while (look < _tokens.Count && _tokens[look].StartsWith('$') && !_tokens[look].Contains('.'))
            {
                if (look + 1 < _tokens.Count && _tokens[look + 1] is ":=" or "=")
                {
                    variables.AddRange(_tokens[_at..(look + 1)].Where(t => t != ","));
                    declare = _tokens[look + 1] == ":=";
                    _at = look + 2;
                    break;
                }
                if (look + 1 < _tokens.Count && _tokens[look + 1] == ",") look += 2;
                else break;
            }
            if (variables.Count > 0 && !allowDeclaration) throw Error("a variable cannot be declared here");
            if (variables.Count > 2) throw Error("too many variables");
            var commands = new List<Command> { Command() };
            while (Peek() == "|")
            {
                _at++;
                commands.Add(Command());
            }
            return new Pipeline(_line, variables, declare, commands);
        }

        Command Command()
        {
            var operands = new List<Expr>();
            while (!AtEnd && Peek() is not ("|" or ")")) operands.Add(Operand());
            return operands.Count > 0 ? new Command(operands) : throw Error("missing value for command");
        }

        Expr Operand()
        {
            var token = _tokens[_at++];
            if (token == "(")
            {
                var pipeline = Pipeline(allowDeclaration: false);
                if (Peek() != ")") throw Error("unclosed (");
                _at++;
                return new PipeExpr(pipeline);
            }
            if (token == ".") return new DotExpr();
            if (token.StartsWith('.') && token.Length > 1 && !char.IsAsciiDigit(token[1])) return new FieldExpr(Fields(token));
            if (token.StartsWith('$'))
            {
                var dot = token.IndexOf('.');
                return dot < 0 ? new VariableExpr(token, []) : new VariableExpr(token[..dot], Fields(token[dot..]));
            }
            if (char.IsAsciiLetter(token[0]) && token.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                return token switch
                {
                    "true" => new ConstantExpr(true),
                    "false" => new ConstantExpr(false),
                    "nil" => new ConstantExpr(null),
                    _ => new FunctionExpr(token, _line),
                };
            return new ConstantExpr(Constant(token));
        }

        IReadOnlyList<string> Fields(string chain)
        {
            var fields = chain.Split('.')[1..];
            return fields.All(f => f.Length > 0 && (char.IsAsciiLetter(f[0]) || f[0] == '_') && f.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                ? fields
                : throw Error($"bad field chain {chain}");
        }

        /// <summary>A string or number constant, as Go's parser reads it.</summary>
        object Constant(string token)
        {
            if (token[0] == '`') return token[1..^1];
            if (token[0] == '"') return Unquote(token);
            if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return integer;
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && token.TrimStart('-', '+') is [var first, ..] && char.IsAsciiDigit(first)) return real;
            throw Error($"'{token}' is not supported by this renderer");
        }

        string Unquote(string token)
        {
            var s = new StringBuilder();
            for (var i = 1; i < token.Length - 1; i++)
            {
                if (token[i] != '\\')
                {
                    s.Append(token[i]);
                    continue;
                }
                var e = token[++i];
                s.Append(e switch
                {
                    'n' => "\n", 't' => "\t", 'r' => "\r", '\\' => "\\", '"' => "\"", '\'' => "'",
                    _ => throw Error($"escape \\{e} is not supported by this renderer"),
                });
            }
            return s.ToString();
        }

        TemplateException Error(string message) => new($"{_file}:{_line}: {message}");
    }

    // ---------------------------------------------------------------- evaluation

    sealed class Evaluator(GoTemplate set, int depth, StringBuilder output, string file)
    {
        readonly List<(string Name, object? Value)> _variables = [];
        int _line;

        public void Run(ListNode body, object? data)
        {
            _variables.Add(("$", data));
            Walk(body, data);
        }

        void Walk(Node node, object? dot)
        {
            _line = node.Line;
            switch (node)
            {
                case ListNode list:
                    foreach (var child in list.Nodes) Walk(child, dot);
                    break;
                case TextNode text:
                    output.Append(text.Text);
                    break;
                case ActionNode action:
                    var value = Evaluate(action.Pipeline, dot);
                    // An assignment prints nothing.
                    if (action.Pipeline.Variables.Count == 0) output.Append(GoFormat.Print(value));
                    break;
                case IfNode n:
                    Scoped(() => Walk(Truth(Evaluate(n.Condition, dot)) ? n.Then : n.Else ?? Empty, dot));
                    break;
                case WithNode n:
                    Scoped(() =>
                    {
                        var with = Evaluate(n.Value, dot);
                        if (Truth(with)) Walk(n.Then, with);
                    });
                    break;
                case RangeNode n:
                    Range(n, dot);
                    break;
                default:
                    throw new NotSupportedException(node.GetType().Name);
            }
        }

        static readonly ListNode Empty = new(0, []);

        /// <summary>Variables declared in a block live until its end.</summary>
        void Scoped(Action body)
        {
            var mark = _variables.Count;
            body();
            _variables.RemoveRange(mark, _variables.Count - mark);
        }

        void Range(RangeNode n, object? dot)
        {
            var pipeline = n.Over with { Variables = [] };
            var over = Evaluate(pipeline, dot);
            IEnumerable<(object? Key, object? Value)> elements = over switch
            {
                null => [],
                List<object?> list => list.Select((v, i) => ((object?)(long)i, v)),
                // Go ranges over a map in the order of its sorted keys.
                Dictionary<string, object?> map => map.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => ((object?)e.Key, e.Value)),
                _ => throw Error($"range can't iterate over {GoFormat.TypeName(over)}"),
            };
            // Each element has its own variables: those of the range, and any its body declares.
            foreach (var (key, value) in elements)
                Scoped(() =>
                {
                    if (n.Over.Variables.Count == 1) _variables.Add((n.Over.Variables[0], value));
                    if (n.Over.Variables.Count == 2)
                    {
                        _variables.Add((n.Over.Variables[0], key));
                        _variables.Add((n.Over.Variables[1], value));
                    }
                    Walk(n.Body, value);
                });
        }

        object? Evaluate(Pipeline pipeline, object? dot)
        {
            _line = pipeline.Line;
            object? value = null;
            for (var i = 0; i < pipeline.Commands.Count; i++)
                value = Command(pipeline.Commands[i], dot, i > 0, value);
            if (pipeline.Variables.Count == 1)
            {
                var name = pipeline.Variables[0];
                if (pipeline.Declare) _variables.Add((name, value));
                else
                {
                    var index = _variables.FindLastIndex(v => v.Name == name);
                    if (index < 0) throw Error($"undefined variable: {name}");
                    _variables[index] = (name, value);
                }
            }
            return value;
        }

        object? Command(Command command, object? dot, bool piped, object? input)
        {
            var first = command.Operands[0];
            var rest = command.Operands.Skip(1).ToList();
            if (first is FunctionExpr function)
            {
                var (call, lazy) = set._functions[function.Name];
                var arguments = rest.Select(e => lazy ? new Thunk(() => Argument(e, dot)) : Argument(e, dot)).ToList();
                if (piped) arguments.Add(input);
                try
                {
                    return call(arguments, new Context(set, depth));
                }
                catch (Exception e)
                {
                    // An include's error names the helper's own file and line after this one.
                    throw Error($"{function.Name}: {e.Message}");
                }
            }
            if (rest.Count > 0 || piped)
            {
                // A method of a value: .Files.Get "path".
                var (receiverExpr, method) = first switch
                {
                    FieldExpr { Fields.Count: > 0 } f => ((Expr)new FieldExpr(f.Fields.SkipLast(1).ToList()), f.Fields[^1]),
                    VariableExpr { Fields.Count: > 0 } v => (new VariableExpr(v.Name, v.Fields.SkipLast(1).ToList()), v.Fields[^1]),
                    _ => throw Error($"can't give an argument to a non-function {Describe(first)}"),
                };
                var receiver = Argument(receiverExpr, dot);
                if (receiver is not IMethods methods) throw Error($"{method} is not a method of {GoFormat.TypeName(receiver)}");
                var arguments = rest.Select(e => Argument(e, dot)).ToList();
                if (piped) arguments.Add(input);
                return methods.Call(method, arguments);
            }
            return Argument(first, dot);
        }

        object? Argument(Expr expr, object? dot) => expr switch
        {
            DotExpr => dot,
            ConstantExpr c => c.Value,
            FieldExpr f => Fields(dot, f.Fields, "."),
            VariableExpr v => Fields(Variable(v.Name), v.Fields, v.Name),
            // A parenthesized pipeline declares no variable (the parser refuses one).
            PipeExpr p => Evaluate(p.Pipeline, dot),
            // A function as an argument is called without arguments.
            FunctionExpr f => Command(new Command([f]), dot, false, null),
            _ => throw new NotSupportedException(expr.GetType().Name),
        };

        object? Variable(string name)
        {
            var index = _variables.FindLastIndex(v => v.Name == name);
            return index >= 0 ? _variables[index].Value : throw Error($"undefined variable: {name}");
        }

        /// <summary>
        /// Field access as Helm runs it (missingkey=zero): a key a map lacks is nil; a field of nil,
        /// or of anything that is no map, is an error.
        /// </summary>
        object? Fields(object? value, IReadOnlyList<string> fields, string start)
        {
            var path = start;
            foreach (var field in fields)
            {
                value = value switch
                {
                    Dictionary<string, object?> map => map.GetValueOrDefault(field),
                    null => throw Error($"nil pointer evaluating interface {{}}.{field} ({path})"),
                    _ => throw Error($"can't evaluate field {field} in type {GoFormat.TypeName(value)} ({path})"),
                };
                path = path == "." ? "." + field : path + "." + field;
            }
            return value;
        }

        static string Describe(Expr e) => e switch
        {
            ConstantExpr c => GoFormat.Print(c.Value),
            DotExpr => ".",
            _ => e.GetType().Name,
        };

        TemplateException Error(string message) => new($"{file}:{_line}: {message}");
    }

    /// <summary>Go's notion of true: not false, 0, nil, or an empty string, list or map.</summary>
    public static bool Truth(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        long l => l != 0,
        double d => d != 0,
        List<object?> list => list.Count > 0,
        Dictionary<string, object?> map => map.Count > 0,
        _ => true,
    };
}

/// <summary>A template that does not parse or fails to execute, or uses what this renderer lacks.</summary>
public sealed class TemplateException(string message) : Exception(message);
