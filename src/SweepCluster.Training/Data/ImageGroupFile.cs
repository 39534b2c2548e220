using System.Text;

namespace SweepCluster.Training.Data;

/// <summary>
/// Which group (State Farm: which driver) each image belongs to, read from a CSV shaped like
/// State Farm's <c>driver_imgs_list.csv</c>: a header <c>subject,classname,img</c>, then one line
/// per image. Group ids are ordinals over the sorted distinct subjects, so they do not depend on
/// the order of the lines. Fields are split on commas without quoting, which is all that file needs.
/// </summary>
sealed class ImageGroupFile
{
    static readonly string[] Header = ["subject", "classname", "img"];

    readonly string _path;
    readonly Dictionary<string, int> _groupByImage;

    ImageGroupFile(string path, Dictionary<string, int> groupByImage, IReadOnlyList<string> subjects)
    {
        _path = path;
        _groupByImage = groupByImage;
        Subjects = subjects;
    }

    /// <summary>Distinct subjects, sorted ordinally; index = group id.</summary>
    public IReadOnlyList<string> Subjects { get; }

    /// <summary>Parses the file from bytes already read, so the parsed groups are exactly the bytes the cache key covers.</summary>
    public static ImageGroupFile Parse(string path, byte[] bytes)
    {
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new DataFormatException(path, $"is not UTF-8 text: {e.Message}", e);
        }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = text.Split('\n');

        var header = lines[0].TrimEnd('\r');
        if (!header.Split(',').Select(f => f.Trim()).SequenceEqual(Header, StringComparer.OrdinalIgnoreCase))
            throw new DataFormatException(path, $"line 1: header is '{header}', expected '{string.Join(',', Header)}'");

        var rows = new List<(string Subject, string Image)>();
        var lineOfImage = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var number = i + 1;
            if (line.Trim().Length == 0) continue;
            var fields = line.Split(',').Select(f => f.Trim()).ToArray();
            if (fields.Length != Header.Length || fields.Any(f => f.Length == 0))
                throw new DataFormatException(path,
                    $"line {number}: expected {Header.Length} non-empty comma-separated fields ({string.Join(',', Header)}), found '{line}'");
            var image = ImageKey(fields[1], fields[2]);
            if (lineOfImage.TryGetValue(image, out var earlier))
                throw new DataFormatException(path, $"line {number}: image {image} is already listed on line {earlier}");
            lineOfImage[image] = number;
            rows.Add((fields[0], image));
        }
        if (rows.Count == 0)
            throw new DataFormatException(path, "lists no images, only a header");

        var subjects = rows.Select(r => r.Subject).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var groupOfSubject = subjects.Select((s, id) => (s, id)).ToDictionary(p => p.s, p => p.id, StringComparer.Ordinal);
        var groupByImage = rows.ToDictionary(r => r.Image, r => groupOfSubject[r.Subject], StringComparer.Ordinal);
        return new ImageGroupFile(path, groupByImage, subjects);
    }

    /// <summary>The group id of an image, named by its class folder and file name.</summary>
    public int GroupOf(string classFolder, string fileName, string relativePath) =>
        _groupByImage.TryGetValue(ImageKey(classFolder, fileName), out var group)
            ? group
            : throw new DataFormatException(_path, $"has no line for image {relativePath} (classname '{classFolder}', img '{fileName}')");

    static string ImageKey(string classFolder, string fileName) => $"{classFolder}/{fileName}";
}
