using System.Buffers.Binary;
using System.IO.Compression;

namespace SweepCluster.Training.Data;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed. The header is
/// a magic number (two zero bytes, a type code, the number of dimensions) and one big-endian
/// uint32 per dimension; the body is the unsigned bytes. Every field is checked against the
/// file, so a truncated or mislabelled file fails here with its name rather than later as
/// garbage accuracy.
/// </summary>
public static class IdxFile
{
    const byte UnsignedByte = 0x08;

    /// <summary>Reads an IDX1 label file.</summary>
    public static int[] ReadLabels(string path, int classCount = 10) => Labels(Read(path), path, classCount);

    static int[] Labels((int[] Dimensions, byte[] Body) idx, string path, int classCount)
    {
        var (dims, body) = idx;
        if (dims.Length != 1)
            throw new DataFormatException(path, $"a label file has 1 dimension, this one has {dims.Length}");
        var labels = new int[dims[0]];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = body[i];
            if (labels[i] >= classCount)
                throw new DataFormatException(path, $"label {labels[i]} at item {i} is outside 0..{classCount - 1}");
        }
        return labels;
    }

    /// <summary>Reads an IDX3 image file (count x rows x columns) as a one-channel image set body.</summary>
    public static (byte[] Pixels, int Count, int Rows, int Columns) ReadImages(string path) => Images(Read(path), path);

    /// <summary>Reads an IDX image set and its labels from two files or streams into one <see cref="ImageSet"/>.</summary>
    public static ImageSet ReadImageSet((int[] Dimensions, byte[] Body) images, string imagesName,
        (int[] Dimensions, byte[] Body) labels, string labelsName, int classCount)
    {
        var (pixels, count, rows, columns) = Images(images, imagesName);
        var y = Labels(labels, labelsName, classCount);
        if (y.Length != count)
            throw new DataFormatException(labelsName, $"{y.Length} labels for {count} images in {imagesName}");
        return new ImageSet(pixels, y, 1, rows, columns);
    }

    static (byte[] Pixels, int Count, int Rows, int Columns) Images((int[] Dimensions, byte[] Body) idx, string path)
    {
        var (dims, body) = idx;
        if (dims.Length != 3)
            throw new DataFormatException(path, $"an image file has 3 dimensions (count, rows, columns), this one has {dims.Length}");
        return (body, dims[0], dims[1], dims[2]);
    }

    /// <summary>Reads a whole IDX file of unsigned bytes and checks its declared size.</summary>
    public static (int[] Dimensions, byte[] Body) Read(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            return Read(file, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot read: {e.Message}", e);
        }
    }

    /// <summary>Reads an IDX stream (seekable); <paramref name="name"/> is used in error messages.</summary>
    public static (int[] Dimensions, byte[] Body) Read(Stream stream, string name) => Parse(ReadAll(stream, name), name);

    static byte[] ReadAll(Stream file, string path)
    {
        var magic = new byte[2];
        var isGzip = file.Read(magic, 0, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        using var buffer = new MemoryStream();
        if (isGzip)
        {
            try
            {
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                gzip.CopyTo(buffer);
            }
            catch (InvalidDataException e)
            {
                throw new DataFormatException(path, $"corrupt gzip stream: {e.Message}", e);
            }
        }
        else
        {
            file.CopyTo(buffer);
        }
        return buffer.ToArray();
    }

    static (int[] Dimensions, byte[] Body) Parse(byte[] bytes, string path)
    {
        if (bytes.Length < 4)
            throw new DataFormatException(path, $"file is {bytes.Length} bytes, too short for an IDX header");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new DataFormatException(path, $"bad magic number 0x{bytes[0]:x2}{bytes[1]:x2}{bytes[2]:x2}{bytes[3]:x2}: an IDX file starts with two zero bytes");
        if (bytes[2] != UnsignedByte)
            throw new DataFormatException(path, $"data type 0x{bytes[2]:x2} is not supported: only unsigned bytes (0x08) are");
        int rank = bytes[3];
        if (rank is < 1 or > 4)
            throw new DataFormatException(path, $"{rank} dimensions declared; expected 1 to 4");
        var headerLength = 4 + 4 * rank;
        if (bytes.Length < headerLength)
            throw new DataFormatException(path, $"header declares {rank} dimensions but the file ends after {bytes.Length} bytes");
        var dims = new int[rank];
        long expected = 1;
        for (var d = 0; d < rank; d++)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (size == 0 || size > int.MaxValue)
                throw new DataFormatException(path, $"dimension {d} has size {size}");
            dims[d] = (int)size;
            expected *= size;
            if (expected > Array.MaxLength)
                throw new DataFormatException(path, $"dimensions {string.Join('x', dims.Take(d + 1))} exceed the largest array .NET can hold");
        }
        var bodyLength = bytes.Length - headerLength;
        if (bodyLength != expected)
            throw new DataFormatException(path,
                $"dimensions {string.Join('x', dims)} need {expected} data bytes but the file has {bodyLength} ({(bodyLength < expected ? "truncated" : "trailing bytes")})");
        return (dims, bytes.AsSpan(headerLength).ToArray());
    }
}
