namespace SweepCluster.Training.Data;

/// <summary>
/// Images held as raw bytes in NCHW order (uint8, 0..255) with their class labels and, where the
/// dataset has them, group ids (State Farm's drivers). Bytes rather than floats keep a dataset
/// small enough to stay resident on the device; normalisation happens per batch.
/// </summary>
public sealed class ImageSet
{
    public ImageSet(byte[] pixels, int[] labels, int channels, int height, int width, int[]? groups = null)
    {
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"image shape {channels}x{height}x{width} must be positive");
        if (pixels.LongLength != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{pixels.LongLength} pixel bytes do not hold {labels.Length} images of {channels}x{height}x{width}");
        if (groups is not null && groups.Length != labels.Length)
            throw new ArgumentException($"{groups.Length} group ids for {labels.Length} images");
        Pixels = pixels;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Groups = groups;
    }

    public byte[] Pixels { get; }
    public int[] Labels { get; }
    public int[]? Groups { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Count => Labels.Length;
    public int ImageBytes => Channels * Height * Width;

    /// <summary>The images at the given indices, in that order.</summary>
    public ImageSet Select(IReadOnlyList<int> indices)
    {
        var pixels = new byte[(long)indices.Count * ImageBytes];
        var labels = new int[indices.Count];
        var groups = Groups is null ? null : new int[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            var source = indices[i];
            Array.Copy(Pixels, (long)source * ImageBytes, pixels, (long)i * ImageBytes, ImageBytes);
            labels[i] = Labels[source];
            if (groups is not null) groups[i] = Groups![source];
        }
        return new ImageSet(pixels, labels, Channels, Height, Width, groups);
    }

    /// <summary>The first <paramref name="count"/> images (all of them if there are fewer).</summary>
    public ImageSet Take(int count) =>
        count >= Count ? this : Select(Enumerable.Range(0, count).ToArray());
}

/// <summary>A dataset ready for a trial: training images (validation is carved from these) and test images.</summary>
/// <param name="Name">What the data is, for results ("fashion-mnist", "image-folder:/data/statefarm").</param>
/// <param name="ClassNames">Class names, index = label.</param>
public sealed record LabelledData(string Name, ImageSet Train, ImageSet Test, IReadOnlyList<string> ClassNames)
{
    public int ClassCount => ClassNames.Count;
}
