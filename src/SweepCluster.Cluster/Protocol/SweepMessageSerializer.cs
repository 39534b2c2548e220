using System.Collections.Frozen;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Protocol;

/// <summary>
/// Serializes every <see cref="ISweepMessage"/> as UTF-8 JSON (the conventions of
/// <see cref="TrialJson"/>), with the type's name as manifest. JSON keeps journal rows readable
/// with any SQL tool and tolerant of added fields; the manifest table is built from the types in
/// this assembly, so an unknown manifest fails loudly instead of guessing.
/// </summary>
public sealed class SweepMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4711;

    static readonly FrozenDictionary<string, Type> Types = typeof(ISweepMessage).Assembly.GetTypes()
        .Where(t => typeof(ISweepMessage).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
        .ToFrozenDictionary(t => t.Name);

    public override int Identifier => Id;

    public override string Manifest(object o) => o.GetType().Name;

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), TrialJson.Compact);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Types.TryGetValue(manifest, out var type))
            throw new SerializationException($"unknown cluster message manifest '{manifest}'");
        // Payload-less messages are singletons with a private constructor.
        if (type.GetField("Instance", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is { } instance)
            return instance;
        return JsonSerializer.Deserialize(bytes, type, TrialJson.Compact)
               ?? throw new SerializationException($"empty payload for {manifest}");
    }
}
