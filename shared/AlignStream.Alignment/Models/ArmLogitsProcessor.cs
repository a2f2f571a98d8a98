using AlignStream.Alignment.Decoding;
using AlignStream.Engine.Inference;
using AlignStream.Engine.Sampling;

namespace AlignStream.Alignment.Models;

/// <summary>
/// RAD/ARM decoding as an engine <see cref="ILogitsProcessor"/> (ALGORITHMS.md §4.1, §4.4): per sequence
/// it keeps its own ARM KV cache (one <see cref="DecodeSession"/> slot per sequence), advances it by the
/// tokens added since its last call (the sampled token; the whole prompt on the first call) in ONE
/// backbone step, reads the rewards of every next token from that step (the decoding model's output head
/// is the reward matrix, <see cref="ArmRewardModel.CreateDecodingModel"/>), and applies top-k, β, clamp
/// and inverse mode through <see cref="RewardAugmentedLogitsProcessor"/>. A sequence whose history no
/// longer extends what was fed (a new generation in that slot) starts a fresh cache. Prompts should start
/// with BOS, as the generator's do (§4.7). One instance per generator; not thread-safe.
/// </summary>
public sealed class ArmLogitsProcessor : ILogitsProcessor
{
    private readonly DecodeSession _decode;
    private readonly RewardAugmentedLogitsProcessor _rad;
    private readonly List<int>[] _fed;
    private readonly float[][] _rows;
    private readonly int[] _slot = new int[1];
    private readonly int[] _count = new int[1];
    private readonly int _vocab;

    /// <summary>A processor for up to <paramref name="maxSequences"/> sequences of up to <paramref name="capacity"/> tokens.</summary>
    public ArmLogitsProcessor(ArmRewardModel arm, RadOptions options, int maxSequences, int capacity)
    {
        ArgumentNullException.ThrowIfNull(arm);
        ArgumentNullException.ThrowIfNull(options);
        var model = arm.CreateDecodingModel();
        _decode = new DecodeSession(model, maxSequences, capacity, capacity);
        _rad = new RewardAugmentedLogitsProcessor(options);
        _vocab = model.Config.VocabSize;
        _fed = new List<int>[maxSequences];
        _rows = new float[maxSequences][];
        for (var i = 0; i < maxSequences; i++)
        {
            _fed[i] = new List<int>(capacity);
            _rows[i] = new float[_vocab];
        }
    }

    /// <summary>Backbone steps taken so far (one per generated token; the first one carries the prompt).</summary>
    public long BackboneSteps { get; private set; }

    /// <summary>The rewards r(prefix, v) for all v from this sequence's last step, [V] (tests and logging).</summary>
    public ReadOnlySpan<float> LastRewards(int sequence) => _rows[sequence];

    /// <summary>Forgets every sequence's cache.</summary>
    public void Reset()
    {
        _decode.Cache.ResetAll();
        foreach (var f in _fed)
        {
            f.Clear();
        }
    }

    /// <inheritdoc />
    public void Process(int sequence, ReadOnlySpan<int> tokensSoFar, Span<float> logits)
    {
        if ((uint)sequence >= (uint)_fed.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"this ARM processor holds {_fed.Length} sequences; create it with the generator's batch size.");
        }
        if (logits.Length != _vocab)
        {
            throw new ArgumentException($"logits have {logits.Length} entries; the ARM backbone's vocabulary is {_vocab} (the ARM must share the policy's tokenizer).", nameof(logits));
        }
        var fed = _fed[sequence];
        if (!Extends(tokensSoFar, fed))
        {
            _decode.Cache.Reset(sequence);
            fed.Clear();
        }
        var fresh = tokensSoFar[fed.Count..];
        if (!fresh.IsEmpty)
        {
            _slot[0] = sequence;
            _count[0] = fresh.Length;
            var rewards = _decode.Step(_slot, fresh, _count);
            BackboneSteps++;
            rewards.CopyTo(_rows[sequence]);
            foreach (var t in fresh)
            {
                fed.Add(t);
            }
        }
        var row = _rows[sequence];
        _rad.Process(logits, (candidates, r) =>
        {
            for (var i = 0; i < candidates.Length; i++)
            {
                r[i] = row[candidates[i]];
            }
        });
    }

    private static bool Extends(ReadOnlySpan<int> history, List<int> fed)
    {
        if (fed.Count == 0 || fed.Count > history.Length)
        {
            return false;
        }
        for (var i = 0; i < fed.Count; i++)
        {
            if (history[i] != fed[i])
            {
                return false;
            }
        }
        return true;
    }
}
