using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace SweepCluster.Training.Data;

/// <summary>
/// Decoded, resized image folders on disk, so only the first trial on a folder pays for decoding.
/// Entries are keyed by content (<see cref="Key"/>), never by path or time stamp: a file edited in
/// place gets a new key, and the same folder copied elsewhere reuses its entry.
///
/// File <c>&lt;key&gt;.imgcache</c>, little-endian (as is every platform .NET runs this on):
/// <code>
/// "SWEEPIMG"  int32 version  int32 headerLength
/// header:  key (32 bytes)  int32 channels, height, width
///          int32 classCount  classCount x string (7-bit length-prefixed UTF-8)
///          int32 trainCount  int32 testCount  byte hasGroups
/// payload: train pixels (trainCount*C*H*W bytes)  train labels (int32 each)  [train groups (int32 each)]
///          test pixels  test labels  [test groups]
/// SHA-256 of everything above (32 bytes)
/// </code>
/// A file that fails any check is deleted and treated as a miss: the cache is only ever a copy.
/// </summary>
sealed class DecodedImageCache(string directory)
{
    const int FormatVersion = 1;
    const int DigestBytes = 32;
    // Class names are folder names; a header beyond this is a corrupt length, not a real dataset.
    const int MaxHeaderBytes = 1 << 20;
    static readonly byte[] Magic = "SWEEPIMG"u8.ToArray();

    public string PathFor(string key) => Path.Combine(directory, key + ".imgcache");

    /// <summary>
    /// The content key: everything that decides the decoded result. File contents enter as their
    /// SHA-256 digests, which the decoder checks again against the bytes it decodes.
    /// </summary>
    public static string Key(IReadOnlyList<string> relativePaths, IReadOnlyList<byte[]> fileDigests, byte[]? groupFile,
        int imageSize, int channels, double testFraction)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var fields = new BinaryWriter(new MemoryStream(), Encoding.UTF8);
        fields.Write(FormatVersion);
        fields.Write(imageSize);
        fields.Write(channels);
        fields.Write(testFraction);
        // Length-prefixed, with an explicit "no group file", so no two inputs hash the same bytes.
        fields.Write(groupFile is not null);
        if (groupFile is not null)
        {
            fields.Write(groupFile.Length);
            fields.Write(groupFile);
        }
        fields.Write(relativePaths.Count);
        for (var i = 0; i < relativePaths.Count; i++)
        {
            fields.Write(relativePaths[i]);
            fields.Write(fileDigests[i]);
        }
        fields.Flush();
        hash.AppendData(((MemoryStream)fields.BaseStream).GetBuffer(), 0, (int)fields.BaseStream.Length);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// The cached data for <paramref name="key"/>, or null when there is none or it is unusable
    /// (then it is deleted). <paramref name="name"/> is not cached: the same content can sit at
    /// different roots.
    /// </summary>
    public LabelledData? TryRead(string key, string name, int channels, int imageSize)
    {
        var path = PathFor(key);
        if (!File.Exists(path)) return null;
        try
        {
            return Read(path, key, name, channels, imageSize);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception deleteError) when (deleteError is IOException or UnauthorizedAccessException)
            {
                // Nothing lost: Write replaces the file by rename, which needs no delete.
            }
            return null;
        }
    }

    /// <summary>Writes the entry for <paramref name="key"/> through a temporary file and an atomic rename, so a crashed process never leaves half an entry under the real name.</summary>
    public string Write(string key, LabelledData data)
    {
        Directory.CreateDirectory(directory);
        var path = PathFor(key);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                void Put(ReadOnlySpan<byte> bytes)
                {
                    file.Write(bytes);
                    hash.AppendData(bytes);
                }

                var header = Header(key, data);
                Put(Magic);
                Put(BitConverter.GetBytes(FormatVersion));
                Put(BitConverter.GetBytes(header.Length));
                Put(header);
                foreach (var set in new[] { data.Train, data.Test })
                {
                    Put(set.Pixels);
                    Put(MemoryMarshal.AsBytes(set.Labels.AsSpan()));
                    if (set.Groups is not null) Put(MemoryMarshal.AsBytes(set.Groups.AsSpan()));
                }
                file.Write(hash.GetHashAndReset());
                // No fsync: an entry that a power cut leaves torn or empty fails its length or
                // checksum check and is decoded again, so forcing it to disk would buy nothing
                // and cost the first trial on a folder as long as decoding it (docs/benchmarks.md).
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
        return path;
    }

    static byte[] Header(string key, LabelledData data)
    {
        using var header = new MemoryStream();
        using var writer = new BinaryWriter(header, Encoding.UTF8);
        writer.Write(Convert.FromHexString(key));
        writer.Write(data.Train.Channels);
        writer.Write(data.Train.Height);
        writer.Write(data.Train.Width);
        writer.Write(data.ClassCount);
        foreach (var className in data.ClassNames) writer.Write(className);
        writer.Write(data.Train.Count);
        writer.Write(data.Test.Count);
        writer.Write(data.Train.Groups is not null);
        writer.Flush();
        return header.ToArray();
    }

    static LabelledData Read(string path, string key, string name, int channels, int imageSize)
    {
        using var file = File.OpenRead(path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        void Take(Span<byte> bytes)
        {
            file.ReadExactly(bytes);
            hash.AppendData(bytes);
        }

        var prefix = new byte[Magic.Length + 8];
        Take(prefix);
        if (!prefix.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException("not an image cache file");
        if (BitConverter.ToInt32(prefix, Magic.Length) != FormatVersion)
            throw new InvalidDataException("written by another cache format version");
        var headerLength = BitConverter.ToInt32(prefix, Magic.Length + 4);
        if (headerLength is <= 0 or > MaxHeaderBytes)
            throw new InvalidDataException($"header length {headerLength}");
        var header = new byte[headerLength];
        Take(header);

        using var reader = new BinaryReader(new MemoryStream(header), Encoding.UTF8);
        if (!reader.ReadBytes(DigestBytes).AsSpan().SequenceEqual(Convert.FromHexString(key)))
            throw new InvalidDataException("holds another key than its name");
        var (c, h, w) = (reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
        if (c != channels || h != imageSize || w != imageSize)
            throw new InvalidDataException($"shape {c}x{h}x{w}, expected {channels}x{imageSize}x{imageSize}");
        var classCount = reader.ReadInt32();
        if (classCount <= 0 || classCount > headerLength)
            throw new InvalidDataException($"class count {classCount}");
        var classNames = new string[classCount];
        for (var i = 0; i < classCount; i++) classNames[i] = reader.ReadString();
        var (trainCount, testCount) = (reader.ReadInt32(), reader.ReadInt32());
        var hasGroups = reader.ReadBoolean();
        if (trainCount < 0 || testCount < 0 || reader.BaseStream.Position != headerLength)
            throw new InvalidDataException("inconsistent header");

        // Check the length before allocating anything the header asks for, so a damaged count
        // cannot ask for gigabytes.
        long imageBytes = (long)c * h * w;
        long PayloadOf(long count) => count * (imageBytes + sizeof(int) * (hasGroups ? 2 : 1));
        var expected = prefix.Length + headerLength + PayloadOf(trainCount) + PayloadOf(testCount) + DigestBytes;
        if (file.Length != expected)
            throw new InvalidDataException($"{file.Length} bytes where the header needs {expected}");

        ImageSet ReadSet(int count)
        {
            var pixels = new byte[count * imageBytes];
            var labels = new int[count];
            var groups = hasGroups ? new int[count] : null;
            Take(pixels);
            Take(MemoryMarshal.AsBytes(labels.AsSpan()));
            if (groups is not null) Take(MemoryMarshal.AsBytes(groups.AsSpan()));
            if (labels.Any(l => l < 0 || l >= classCount) || (groups?.Any(g => g < 0) ?? false))
                throw new InvalidDataException("label or group id out of range");
            return new ImageSet(pixels, labels, c, h, w, groups);
        }

        var train = ReadSet(trainCount);
        var test = ReadSet(testCount);
        var digest = new byte[DigestBytes];
        file.ReadExactly(digest);
        if (!digest.AsSpan().SequenceEqual(hash.GetHashAndReset()))
            throw new InvalidDataException("checksum mismatch");
        return new LabelledData(name, train, test, classNames);
    }
}
