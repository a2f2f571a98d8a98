using System.Numerics.Tensors;
using AlignStream.Engine.IO;
using AlignStream.Engine.Model;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Generator.Policy;

/// <summary>
/// The policy being served: the model with its live and standby weights, the tokenizer, and the version number.
/// Every engine pass runs inside <see cref="EnterPass"/>/<see cref="ExitPass"/>, and a swap flips only while no pass
/// runs, so the version a pass reports is exactly the weights it read, and the buffer being loaded (the standby)
/// is never one a pass still reads. Loading the standby happens outside the gate: decoding does not pause for it.
/// </summary>
public sealed class PolicyRuntime
{
    private readonly Lock _pass = new();
    private readonly Lock _swap = new();
    private long _version;
    private long _swapActivity;

    /// <summary>Serves <paramref name="model"/> as <paramref name="version"/>.</summary>
    public PolicyRuntime(LlamaModel model, ITokenizer tokenizer, long version = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabSize > model.Config.VocabSize)
        {
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} ids but the model's vocab_size is {model.Config.VocabSize}: use the tokenizer.json that belongs to the model folder", nameof(tokenizer));
        }
        Model = model;
        Tokenizer = tokenizer;
        _version = version;
    }

    /// <summary>The model (its <see cref="LlamaModel.Weights"/> flip on swaps).</summary>
    public LlamaModel Model { get; }

    /// <summary>The tokenizer of the model folder.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The version being served.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Raised after a flip, outside the gate, with the new version.</summary>
    public event Action<long>? Swapped;

    /// <summary>Loads the model folder at <paramref name="path"/> with its tokenizer (version 0).</summary>
    public static PolicyRuntime Load(string path, int threads)
    {
        var model = LlamaModel.Load(path, threads);
        return new PolicyRuntime(model, TokenizerLoader.ForModelFolder(path));
    }

    /// <summary>Starts an engine pass; returns the version its weights belong to. Pair with <see cref="ExitPass"/> on the same thread.</summary>
    public long EnterPass()
    {
        _pass.Enter();
        return Version;
    }

    /// <summary>Ends the pass started by <see cref="EnterPass"/>.</summary>
    public void ExitPass() => _pass.Exit();

    /// <summary>
    /// Reads <paramref name="directory"/> (a verified checkpoint folder) into the standby buffer, checks its
    /// architecture and finiteness, and flips to it as <paramref name="version"/> between two passes. Returns false
    /// with the reason and keeps serving the current version when anything is wrong.
    /// </summary>
    public bool TrySwap(string directory, long version, out string? reason)
    {
        // One loader at a time: the standby buffer has a single writer.
        lock (_swap)
        {
            Interlocked.Increment(ref _swapActivity);
            try
            {
                return SwapLocked(directory, version, out reason);
            }
            finally
            {
                Interlocked.Increment(ref _swapActivity);
            }
        }
    }

    /// <summary>
    /// Odd while a swap (load, verify or flip) is under way, even otherwise; it changes at every start and end. The
    /// decode loop compares readings to tell whether a pause between two steps overlapped a swap.
    /// </summary>
    public long SwapActivity => Interlocked.Read(ref _swapActivity);

    private bool SwapLocked(string directory, long version, out string? reason)
    {
        CheckpointFolder folder;
        try
        {
            folder = CheckpointFolder.Load(directory);
        }
        catch (Exception e) when (e is CheckpointFormatException or IOException or InvalidDataException or UnauthorizedAccessException or System.Text.Json.JsonException or ArgumentException)
        {
            reason = $"{directory}: {e.Message}";
            return false;
        }
        using (folder)
        {
            if (folder.Config.ParameterCount() != Model.Config.ParameterCount()
                || !folder.Config.ParameterNames().Select(p => p.ShapeText).SequenceEqual(Model.Config.ParameterNames().Select(p => p.ShapeText)))
            {
                reason = $"{directory}: its config describes a different architecture than the served model ({folder.Config} vs {Model.Config})";
                return false;
            }
            bool loaded;
            try
            {
                // Reading and checking the file happens beside decoding; only the flip waits for a pass boundary.
                loaded = Model.Store.TryLoadStandby(standby => folder.ReadAllInto(standby.Data),
                    version.ToString(System.Globalization.CultureInfo.InvariantCulture), out reason);
            }
            catch (Exception e) when (e is CheckpointFormatException or IOException)
            {
                reason = $"{directory}: {e.Message}";
                return false;
            }
            if (!loaded)
            {
                return false;
            }
            _pass.Enter();
            try
            {
                Model.Store.Flip();
                Interlocked.Exchange(ref _version, version);
            }
            finally
            {
                _pass.Exit();
            }
            Swapped?.Invoke(version);
            return true;
        }
    }
}
