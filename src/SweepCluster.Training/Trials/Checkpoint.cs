using System.Security.Cryptography;
using SweepCluster.Training.Model;
using static TorchSharp.torch;

namespace SweepCluster.Training.Trials;

/// <summary>
/// SHA-256 fingerprints of the features (parameters and BatchNorm statistics) and of the head
/// at a point of a trial. Equal feature hashes before and after fine-tuning prove the features
/// were frozen bit for bit; equal "init" hashes across arms prove that arms sharing a seed start
/// from the same weights.
/// </summary>
public sealed record Checkpoint(string Phase, string Features, string Head)
{
    public static Checkpoint Of(string phase, ArbitraryLabelNet model) => new(phase, Hash(model.Features), Hash(model.Head));

    static string Hash(nn.Module module)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var (name, value) in module.state_dict().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            sha.AppendData(value.detach().cpu().contiguous().bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
