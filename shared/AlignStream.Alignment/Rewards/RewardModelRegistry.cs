namespace AlignStream.Alignment.Rewards;

/// <summary>
/// Creates reward models by name. Lexicon models read the data cache found by <see cref="DataFolder"/>
/// (or the root given here); models are cached per name since their lexicons are immutable.
/// Engine-backed models (learned, arm) register themselves later through <see cref="Register"/>.
/// </summary>
public sealed class RewardModelRegistry
{
    private readonly Dictionary<string, Func<string?, IRewardModel>> _factories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IRewardModel> _cache = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly string? _dataRoot;

    /// <param name="dataRoot">Data cache root; null means locate it (ALIGN_DATA or walk up to .cache/data) on first use.</param>
    /// <param name="length">Options of the length model.</param>
    public RewardModelRegistry(string? dataRoot = null, LengthRewardOptions? length = null)
    {
        _dataRoot = dataRoot;
        var lengthOptions = (length ?? new LengthRewardOptions()).Validate();
        Register(AfinnRewardModel.ModelName, root => AfinnRewardModel.Load(Root(root)));
        Register(VaderRewardModel.ModelName, root => VaderRewardModel.Load(Root(root)));
        Register(ToxicityRewardModel.ModelName, root => ToxicityRewardModel.Load(Root(root)));
        Register(ArithmeticRewardModel.ModelName, _ => new ArithmeticRewardModel());
        Register(LengthRewardModel.ModelName, _ => new LengthRewardModel(lengthOptions));
    }

    /// <summary>Registered names, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
            {
                return [.. _factories.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Adds or replaces a factory; it receives the configured data root (may be null).</summary>
    public void Register(string name, Func<string?, IRewardModel> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(factory);
        lock (_gate)
        {
            _factories[name] = factory;
            _cache.Remove(name);
        }
    }

    /// <summary>The model for a name; unknown names list the known ones.</summary>
    public IRewardModel Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            if (_cache.TryGetValue(name, out var model))
            {
                return model;
            }
            if (!_factories.TryGetValue(name, out var factory))
            {
                throw new ArgumentException($"unknown reward model '{name}'; known: {string.Join(", ", _factories.Keys.Order(StringComparer.Ordinal))}.", nameof(name));
            }
            model = factory(_dataRoot);
            _cache[name] = model;
            return model;
        }
    }

    private static string Root(string? configured) => configured ?? DataFolder.Locate();
}
