namespace AlignStream.Platform.Kafka;

/// <summary>The project's topics under one namespace: "{ns}.prompts", "{ns}.candidates", "{ns}.scored", "{ns}.pairs", "{ns}.dlq".</summary>
public sealed record TopicNames
{
    /// <summary>Suffix of the prompts topic.</summary>
    public const string PromptsSuffix = "prompts";

    /// <summary>Suffix of the candidate-sets topic.</summary>
    public const string CandidatesSuffix = "candidates";

    /// <summary>Suffix of the scored-sets topic.</summary>
    public const string ScoredSuffix = "scored";

    /// <summary>Suffix of the preference-pairs topic.</summary>
    public const string PairsSuffix = "pairs";

    /// <summary>Suffix of the dead-letter topic.</summary>
    public const string DeadLetterSuffix = "dlq";

    /// <summary>Every suffix, in pipeline order.</summary>
    public static IReadOnlyList<string> Suffixes { get; } = [PromptsSuffix, CandidatesSuffix, ScoredSuffix, PairsSuffix, DeadLetterSuffix];

    /// <summary>Creates the names under <paramref name="ns"/>.</summary>
    public TopicNames(string ns)
    {
        if (!IsValidNamespace(ns))
        {
            throw new ArgumentException($"'{ns}' is not a valid topic namespace: use 1-200 characters of a-z, A-Z, 0-9, '.', '_' or '-'.", nameof(ns));
        }
        Namespace = ns;
    }

    /// <summary>The prefix.</summary>
    public string Namespace { get; }

    /// <summary>Prompts to generate for.</summary>
    public string Prompts => Of(PromptsSuffix);

    /// <summary>Generated candidate sets.</summary>
    public string Candidates => Of(CandidatesSuffix);

    /// <summary>Scored candidate sets.</summary>
    public string Scored => Of(ScoredSuffix);

    /// <summary>Preference pairs for the trainer.</summary>
    public string Pairs => Of(PairsSuffix);

    /// <summary>Dead-letter topic.</summary>
    public string DeadLetter => Of(DeadLetterSuffix);

    /// <summary>Every topic, in pipeline order.</summary>
    public IReadOnlyList<string> All => Suffixes.Select(Of).ToArray();

    /// <summary>The full name of a suffix.</summary>
    public string Of(string suffix) => $"{Namespace}.{suffix}";

    /// <summary>The suffix of a topic under this namespace, or null when it is not one of ours.</summary>
    public string? SuffixOf(string topic)
    {
        var prefix = Namespace + ".";
        if (!topic.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var suffix = topic[prefix.Length..];
        return Suffixes.Contains(suffix) ? suffix : null;
    }

    /// <summary>Kafka's legal topic characters, leaving room for the suffix within the 249-character limit.</summary>
    public static bool IsValidNamespace(string? ns) =>
        !string.IsNullOrEmpty(ns) && ns.Length <= 200 && ns != "." && ns != ".."
        && ns.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-');
}
