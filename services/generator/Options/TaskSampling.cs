using System.Globalization;
using AlignStream.Engine.Sampling;

namespace AlignStream.Generator.Options;

/// <summary>
/// Sampling settings of one task (section <c>Generator:Tasks:{task}</c>) or the defaults (<c>Generator:Defaults</c>).
/// Every field is optional in a task: an unset field takes the value from the defaults.
/// </summary>
public sealed class TaskSampling
{
    /// <summary>Candidates sampled per prompt (N).</summary>
    public int? Candidates { get; set; }

    /// <summary>Softmax temperature; 0 is greedy.</summary>
    public float? Temperature { get; set; }

    /// <summary>Nucleus mass in (0, 1]; 1 disables.</summary>
    public float? TopP { get; set; }

    /// <summary>Keep the K most likely tokens; 0 disables.</summary>
    public int? TopK { get; set; }

    /// <summary>Most tokens generated per candidate.</summary>
    public int? MaxNewTokens { get; set; }

    /// <summary>The fallback used when the defaults section leaves a field unset.</summary>
    public static TaskSampling BuiltIn { get; } = new() { Candidates = 4, Temperature = 1f, TopP = 1f, TopK = 0, MaxNewTokens = 64 };

    /// <summary>This task's values with unset fields taken from <paramref name="defaults"/>, then from <see cref="BuiltIn"/>.</summary>
    public ResolvedSampling Resolve(TaskSampling defaults, IReadOnlyList<int> stopTokens)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var sampling = new SamplingOptions
        {
            Temperature = Temperature ?? defaults.Temperature ?? BuiltIn.Temperature!.Value,
            TopP = TopP ?? defaults.TopP ?? BuiltIn.TopP!.Value,
            TopK = TopK ?? defaults.TopK ?? BuiltIn.TopK!.Value,
            MaxNewTokens = MaxNewTokens ?? defaults.MaxNewTokens ?? BuiltIn.MaxNewTokens!.Value,
            StopTokens = stopTokens,
        };
        return new ResolvedSampling(Candidates ?? defaults.Candidates ?? BuiltIn.Candidates!.Value, sampling);
    }

    /// <summary>Problems with the fields that are set, keyed by <paramref name="prefix"/> (e.g. <c>Tasks:arith:</c>).</summary>
    public IEnumerable<(string Member, string Message)> Validate(string prefix)
    {
        if (Candidates is int n && (n < 1 || n > 256))
        {
            yield return (prefix + nameof(Candidates), $"must be within 1..256 (got {n})");
        }
        if (Temperature is float t && (!float.IsFinite(t) || t < 0f))
        {
            yield return (prefix + nameof(Temperature), $"must be 0 (greedy) or a positive finite value (got {t.ToString(CultureInfo.InvariantCulture)})");
        }
        if (TopP is float p && !(p > 0f && p <= 1f))
        {
            yield return (prefix + nameof(TopP), $"must be in (0, 1], 1 disables nucleus sampling (got {p.ToString(CultureInfo.InvariantCulture)})");
        }
        if (TopK is int k && k < 0)
        {
            yield return (prefix + nameof(TopK), $"must be 0 (off) or a positive count (got {k})");
        }
        if (MaxNewTokens is int m && (m < 1 || m > 1_000_000))
        {
            yield return (prefix + nameof(MaxNewTokens), $"must be at least 1 (got {m})");
        }
    }
}

/// <summary>The effective settings for one prompt: how many candidates and how each is sampled.</summary>
/// <param name="Candidates">N.</param>
/// <param name="Sampling">Temperature, top-k, top-p, token budget and stop tokens.</param>
public sealed record ResolvedSampling(int Candidates, SamplingOptions Sampling);
