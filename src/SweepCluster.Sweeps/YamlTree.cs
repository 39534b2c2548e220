using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SweepCluster.Sweeps;

/// <summary>A YAML node with the position it starts at, so every error can point into the file.</summary>
internal abstract record YamlNode(SourcePosition Position)
{
    /// <summary>How an error message names what was found instead of what was expected.</summary>
    public abstract string Describe();
}

/// <summary>A scalar as written. <see cref="IsPlain"/> is false for quoted and block scalars, which are always strings.</summary>
internal sealed record YamlScalar(string Value, bool IsPlain, SourcePosition Position) : YamlNode(Position)
{
    // YAML 1.2 core schema: these plain scalars mean "no value".
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe() => IsNull ? "no value" : IsPlain ? $"'{Value}'" : $"the quoted string '{Value}'";
}

internal sealed record YamlSequence(IReadOnlyList<YamlNode> Items, SourcePosition Position) : YamlNode(Position)
{
    public override string Describe() => "a list";
}

internal sealed record YamlEntry(YamlScalar Key, YamlNode Value);

internal sealed record YamlMapping(IReadOnlyList<YamlEntry> Entries, SourcePosition Position) : YamlNode(Position)
{
    public override string Describe() => "a mapping";
}

/// <summary>
/// Builds a <see cref="YamlNode"/> tree from YamlDotNet's parser events. YamlDotNet's own
/// representation model stops at the first duplicate key; reading the events lets every
/// duplicate be reported alongside the other errors, each with its position.
/// </summary>
internal sealed class YamlTree
{
    readonly IParser _parser;
    readonly List<SpecError> _errors;
    readonly Dictionary<string, YamlNode> _anchors = new(StringComparer.Ordinal);
    SourcePosition _lastPosition = new(1, 1);

    YamlTree(string yaml, List<SpecError> errors)
    {
        _parser = new Parser(new StringReader(yaml));
        _errors = errors;
    }

    /// <summary>The single document in <paramref name="yaml"/>, or null when it is malformed or empty (an error is added).</summary>
    public static YamlNode? Read(string yaml, List<SpecError> errors) => new YamlTree(yaml, errors).ReadDocument();

    YamlNode? ReadDocument()
    {
        try
        {
            _parser.Consume<StreamStart>();
            if (_parser.Accept<StreamEnd>(out _))
            {
                _errors.Add(new SpecError("(spec)", _lastPosition, "the spec is empty"));
                return null;
            }
            _parser.Consume<DocumentStart>();
            var root = ReadNode("(spec)");
            _parser.Consume<DocumentEnd>();
            if (_parser.Accept<DocumentStart>(out var second))
            {
                _errors.Add(new SpecError("(spec)", At(second.Start), "a spec is one YAML document; remove the second '---' document"));
                return null;
            }
            return root;
        }
        catch (YamlException e)
        {
            _errors.Add(new SpecError("(yaml)", At(e.Start), $"malformed YAML: {e.Message}"));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this, without a position, on some unterminated flow
            // collections ("[1, 2" running into the next line); the last node read (usually the
            // unclosed bracket itself) is the best clue.
            _errors.Add(new SpecError("(yaml)", _lastPosition,
                "malformed YAML: it cannot be read past this point (an unclosed '[', '{' or quote?)"));
            return null;
        }
    }

    YamlNode ReadNode(string path)
    {
        var start = At(_parser.Current!.Start);
        switch (_parser.Current)
        {
            case AnchorAlias alias:
                _parser.MoveNext();
                if (_anchors.TryGetValue(alias.Value.Value, out var target)) return target;
                _errors.Add(new SpecError(path, start, $"unknown alias '*{alias.Value.Value}'"));
                return new YamlScalar("", IsPlain: true, start);
            case Scalar scalar:
                _parser.MoveNext();
                return Remember(scalar.Anchor, new YamlScalar(scalar.Value, scalar.Style == ScalarStyle.Plain, start));
            case SequenceStart sequence:
                _parser.MoveNext();
                var items = new List<YamlNode>();
                while (!_parser.TryConsume<SequenceEnd>(out _)) items.Add(ReadNode($"{path}[{items.Count}]"));
                return Remember(sequence.Anchor, new YamlSequence(items, start));
            case MappingStart mapping:
                _parser.MoveNext();
                return Remember(mapping.Anchor, ReadMapping(path, start));
            default:
                throw new YamlException(_parser.Current.Start, _parser.Current.End, $"unexpected {_parser.Current.GetType().Name}");
        }
    }

    YamlMapping ReadMapping(string path, SourcePosition start)
    {
        var entries = new List<YamlEntry>();
        var seen = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var keyNode = ReadNode(path);
            var key = keyNode as YamlScalar;
            var keyPath = path == "(spec)" ? key?.Value ?? "(key)" : $"{path}.{key?.Value ?? "(key)"}";
            var value = ReadNode(keyPath);
            if (key is null)
                _errors.Add(new SpecError(path, keyNode.Position, $"keys must be plain names, not {keyNode.Describe()}"));
            else if (seen.TryGetValue(key.Value, out var first))
                _errors.Add(new SpecError(keyPath, key.Position, $"duplicate key '{key.Value}' (first given at {first})"));
            else
            {
                seen[key.Value] = key.Position;
                entries.Add(new YamlEntry(key, value));
            }
        }
        return new YamlMapping(entries, start);
    }

    YamlNode Remember(AnchorName anchor, YamlNode node)
    {
        if (!anchor.IsEmpty) _anchors[anchor.Value] = node;
        return node;
    }

    SourcePosition At(Mark mark)
    {
        var position = new SourcePosition((int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));
        _lastPosition = position;
        return position;
    }
}
