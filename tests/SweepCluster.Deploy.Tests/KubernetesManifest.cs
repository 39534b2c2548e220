using System.Reflection;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// Kubernetes YAML read strictly against the KubernetesClient object models. Strict parsing alone
/// (KubernetesYaml with strict: true) rejects unknown fields but not wrong types: YamlDotNet hands
/// the model every scalar as a string, so `value: 4053` (a number where Kubernetes wants a string)
/// and `containerPort: "4053"` (a string where it wants a number) both load. Here every node is
/// checked against the type of the model property it fills, with each plain scalar typed as
/// kubectl reads it (YAML 1.1) and as YAML 1.2 does; a scalar the two read differently (`yes`,
/// `0755`) is refused too, since which one a tool applies is luck.
/// </summary>
public static partial class KubernetesManifest
{
    /// <summary>Every object of a multi-document YAML text; throws listing every bad field with its file, line and path.</summary>
    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Parse(string yaml, string source)
    {
        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        var errors = new List<string>();
        foreach (var document in YamlScalars.Documents(yaml, source))
        {
            if (document is not YamlMappingNode root)
            {
                errors.Add($"{source}:{document.Start.Line}: a manifest is a mapping, not a {document.NodeType}");
                continue;
            }
            var apiVersion = Scalar(root, "apiVersion");
            var kind = Scalar(root, "kind");
            if (apiVersion is null || kind is null || !ModelTypes.Value.TryGetValue((apiVersion, kind), out var type))
            {
                errors.Add($"{source}:{root.Start.Line}: apiVersion '{apiVersion}' kind '{kind}' is no Kubernetes object this client knows");
                continue;
            }
            var found = Check(root, type, source);
            if (found.Count > 0) errors.AddRange(found);
            else objects.Add((IKubernetesObject<V1ObjectMeta>)Build(root, type));
        }
        return errors.Count == 0 ? objects : throw new ManifestException(errors);
    }

    /// <summary>One document that is part of an object of type T without apiVersion and kind, such as a strategic-merge patch.</summary>
    public static T ParsePart<T>(string yaml, string source)
    {
        var root = YamlScalars.Documents(yaml, source).Single();
        var errors = Check(root, typeof(T), source);
        return errors.Count == 0 ? (T)Build(root, typeof(T)) : throw new ManifestException(errors);
    }

    static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode scalar ? scalar.Value : null;

    /// <summary>The object, from the JSON kubectl would send (its converters for quantities and int-or-strings included).</summary>
    static object Build(YamlNode root, Type type) =>
        DeserializeJson.MakeGenericMethod(type).Invoke(null, [YamlScalars.ToJson(root)!.ToJsonString(), null])
        ?? throw new InvalidOperationException($"{type.Name} deserialized to null");

    static readonly MethodInfo DeserializeJson = typeof(KubernetesJson).GetMethods()
        .Single(m => m.Name == nameof(KubernetesJson.Deserialize) && m.GetParameters() is [{ ParameterType: var json }, _] && json == typeof(string));

    /// <summary>Every model type by the apiVersion and kind that name it in a manifest.</summary>
    static readonly Lazy<IReadOnlyDictionary<(string ApiVersion, string Kind), Type>> ModelTypes = new(() => typeof(V1Pod).Assembly.GetTypes()
        .Select(t => (Type: t, Entity: t.GetCustomAttribute<KubernetesEntityAttribute>()))
        .Where(e => e.Entity is not null && typeof(IKubernetesObject<V1ObjectMeta>).IsAssignableFrom(e.Type))
        .ToDictionary(e => (string.IsNullOrEmpty(e.Entity!.Group) ? e.Entity.ApiVersion : $"{e.Entity.Group}/{e.Entity.ApiVersion}", e.Entity.Kind), e => e.Type));

    /// <summary>The wrong fields of a node that must fill a value of this type.</summary>
    static IReadOnlyList<string> Check(YamlNode node, Type type, string source)
    {
        var errors = new List<string>();
        Check(node, type, "", (n, path, problem) => errors.Add($"{source}:{n.Start.Line}: {(path.Length == 0 ? "(document)" : path)}: {problem}"));
        return errors;
    }

    delegate void Report(YamlNode node, string path, string problem);

    static void Check(YamlNode node, Type type, string path, Report report)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        // An explicit null is the field left out, whatever its type.
        if (node is YamlScalarNode nullable && Typed(nullable, out _) is { Kind: YamlScalars.Kind.Null }) return;
        if (type == typeof(object)) return;
        if (type == typeof(string) || type == typeof(DateTime) || type == typeof(byte[]))
            Expect(node, path, report, "a string", YamlScalars.Kind.String);
        else if (type == typeof(int) || type == typeof(long))
            Expect(node, path, report, "an integer", YamlScalars.Kind.Int);
        else if (type == typeof(double))
            Expect(node, path, report, "a number", YamlScalars.Kind.Int, YamlScalars.Kind.Float);
        else if (type == typeof(bool))
            Expect(node, path, report, "true or false", YamlScalars.Kind.Bool);
        else if (type == typeof(IntOrString))
        {
            // Kubernetes reads "8080" in quotes as a name (of a port) or a percentage, never as the number.
            if (Expect(node, path, report, "an integer or a name", YamlScalars.Kind.Int, YamlScalars.Kind.String) is { Kind: YamlScalars.Kind.String, Value: string s }
                && long.TryParse(s, out _))
                report(node, path, $"'{s}' in quotes is a name to Kubernetes, not the number; write it unquoted");
        }
        else if (type == typeof(ResourceQuantity))
        {
            if (Expect(node, path, report, "a quantity", YamlScalars.Kind.String, YamlScalars.Kind.Int, YamlScalars.Kind.Float) is { } quantity
                && !Quantity().IsMatch(Convert.ToString(quantity.Value, System.Globalization.CultureInfo.InvariantCulture)!))
                report(node, path, $"'{((YamlScalarNode)node).Value}' is no quantity (such as 500m, 2, 16Gi)");
        }
        else if (Generic(type, typeof(IDictionary<,>)) is { } dictionary)
        {
            if (node is not YamlMappingNode map)
            {
                report(node, path, $"must be a mapping, not a {node.NodeType.ToString().ToLowerInvariant()}");
                return;
            }
            foreach (var (key, value) in map.Children)
            {
                var name = Expect(key, path, report, "a string key", YamlScalars.Kind.String)?.Value as string ?? ((YamlScalarNode)key).Value;
                Check(value, dictionary[1], Join(path, name!), report);
            }
        }
        else if (Generic(type, typeof(IList<>)) is { } list)
        {
            if (node is not YamlSequenceNode sequence)
            {
                report(node, path, $"must be a list, not a {node.NodeType.ToString().ToLowerInvariant()}");
                return;
            }
            for (var i = 0; i < sequence.Children.Count; i++) Check(sequence.Children[i], list[0], $"{path}[{i}]", report);
        }
        else if (type.IsClass && type.Namespace == typeof(V1Pod).Namespace)
        {
            if (node is not YamlMappingNode map)
            {
                report(node, path, $"must be a mapping ({type.Name}), not a {node.NodeType.ToString().ToLowerInvariant()}");
                return;
            }
            var properties = Properties(type);
            foreach (var (key, value) in map.Children)
            {
                var name = ((YamlScalarNode)key).Value!;
                if (properties.TryGetValue(name, out var property)) Check(value, property.PropertyType, Join(path, name), report);
                else report(key, Join(path, name), $"{type.Name} has no field '{name}'");
            }
        }
        else throw new NotSupportedException($"{path}: the model type {type} is not supported by this check");
    }

    /// <summary>The scalar's type, if it is a scalar both YAML 1.1 and 1.2 read alike and of one of the kinds given; else reported.</summary>
    static YamlScalars.Typed? Expect(YamlNode node, string path, Report report, string expected, params YamlScalars.Kind[] kinds)
    {
        if (node is not YamlScalarNode scalar)
        {
            report(node, path, $"must be {expected}, not a {node.NodeType.ToString().ToLowerInvariant()}");
            return null;
        }
        if (Typed(scalar, out var problem) is not { } typed)
        {
            report(node, path, problem!);
            return null;
        }
        if (kinds.Contains(typed.Kind)) return typed;
        report(node, path, $"{typed} where the model wants {expected}" + (kinds.Contains(YamlScalars.Kind.String) ? "; quote it" : ""));
        return null;
    }

    static YamlScalars.Typed? Typed(YamlScalarNode scalar, out string? problem)
    {
        var yaml11 = YamlScalars.Type(scalar, YamlScalars.Yaml11);
        var yaml12 = YamlScalars.Type(scalar, YamlScalars.Yaml12);
        problem = yaml11.SameAs(yaml12) ? null
            : $"'{scalar.Value}' is {yaml11} to kubectl and Helm (YAML 1.1) but {yaml12} in YAML 1.2; quote it or write it unambiguously";
        return problem is null ? yaml11 : null;
    }

    static string Join(string path, string name) => path.Length == 0 ? name : Regex.IsMatch(name, @"^[A-Za-z_][\w]*$") ? $"{path}.{name}" : $"{path}[\"{name}\"]";

    static Type[]? Generic(Type type, Type definition) =>
        (type.IsGenericType && type.GetGenericTypeDefinition() == definition ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition))?.GetGenericArguments();

    static IReadOnlyDictionary<string, PropertyInfo> Properties(Type type) => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Select(p => (Property: p, Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name))
        .Where(p => p.Name is not null)
        .ToDictionary(p => p.Name!, p => p.Property);

    /// <summary>Kubernetes' quantity syntax: a number with an optional binary or decimal suffix or exponent.</summary>
    [GeneratedRegex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$")]
    private static partial Regex Quantity();
}

/// <summary>A manifest that is no valid Kubernetes object, with every problem found.</summary>
public sealed class ManifestException(IReadOnlyList<string> errors) : Exception(string.Join("\n", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
