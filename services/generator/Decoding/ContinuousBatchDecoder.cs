using System.Collections.Concurrent;
using System.Diagnostics;
using AlignStream.Engine.Inference;
using AlignStream.Engine.Sampling;
using AlignStream.Engine.Training;
using AlignStream.Generator.Metrics;
using AlignStream.Generator.Policy;
using AlignStream.Platform.Metrics;

namespace AlignStream.Generator.Decoding;

/// <summary>
/// Continuous batching over the engine's <see cref="DecodeSession"/>: every candidate of every submitted prompt is
/// a sequence that takes one KV-cache slot; each <see cref="Step"/> admits waiting sequences into free slots
/// (prefilling a prompt once, then copying its cached keys and values to the sibling candidates), runs one packed
/// engine step for the new prompts and the one new token of every running sequence, and samples. A finished
/// sequence frees its slot for the next waiting one at the following step.
/// <para>
/// <see cref="Submit"/> is thread-safe; <see cref="Step"/> runs on one decode thread. Engine passes run inside the
/// policy's pass gate, so a weight swap lands between two steps and each step knows its policy version.
/// </para>
/// </summary>
public sealed class ContinuousBatchDecoder
{
    private readonly PolicyRuntime _policy;
    private readonly GeneratorInstruments? _instruments;
    private readonly ILogitsProcessor? _processor;
    private readonly DecodeSession _session;
    private readonly ConcurrentQueue<Sequence> _waiting = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Sequence?[] _slots;
    private readonly int _vocab;
    private readonly float[] _scratch;
    private readonly float[] _edited;
    private readonly int[] _stepSlots;
    private readonly int[] _stepCounts;
    private readonly int[] _feed;
    private readonly List<(Sequence Seq, int Row)> _sampleRows = [];
    private readonly List<(Sequence Seq, int DonorSlot, int Row)> _copies = [];
    private readonly List<PromptState> _needEmbedding = [];
    private TrainingSession? _embedder;
    private int _waitingCount;
    private long _stepNumber;
    private long _lastStepEnd;
    private long _swapActivityAtLastEnd;
    private bool _runningAtLastEnd;

    /// <summary>A decoder with <paramref name="slots"/> sequences of up to <paramref name="capacity"/> tokens, at most <paramref name="maxStepTokens"/> tokens per step.</summary>
    public ContinuousBatchDecoder(PolicyRuntime policy, int slots, int capacity, int maxStepTokens, ILogitsProcessor? processor = null, GeneratorInstruments? instruments = null)
    {
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        var maxPositions = policy.Model.Config.MaxPositionEmbeddings;
        if (capacity < 2 || capacity > maxPositions)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity,
                $"a slot must hold 2..{maxPositions} tokens (the model's max_position_embeddings): lower Generator:MaxPromptTokens or the tasks' MaxNewTokens");
        }
        if (maxStepTokens < slots + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxStepTokens), maxStepTokens, $"a step must take at least one token per slot plus a prompt ({slots + 1})");
        }
        _instruments = instruments;
        _processor = processor;
        _session = new DecodeSession(policy.Model, slots, capacity, maxStepTokens);
        _slots = new Sequence?[slots];
        _vocab = policy.Model.Config.VocabSize;
        _scratch = new float[Sampler.ScratchLength(_vocab)];
        _edited = new float[_vocab];
        _stepSlots = new int[slots];
        _stepCounts = new int[slots];
        _feed = new int[maxStepTokens];
        Capacity = capacity;
        MaxStepTokens = maxStepTokens;
    }

    /// <summary>Tokens one slot holds (prompt plus generated).</summary>
    public int Capacity { get; }

    /// <summary>Slots in the decode batch.</summary>
    public int Slots => _slots.Length;

    /// <summary>Most tokens one engine step takes.</summary>
    public int MaxStepTokens { get; }

    /// <summary>Slots holding a sequence now (read on the decode thread, or as an approximate gauge elsewhere).</summary>
    public int ActiveCount => _slots.Count(s => s is not null);

    /// <summary>Sequences waiting for a slot.</summary>
    public int WaitingCount => Volatile.Read(ref _waitingCount);

    /// <summary>Engine steps run so far.</summary>
    public long StepCount => Interlocked.Read(ref _stepNumber);

    /// <summary>
    /// Queues every candidate of <paramref name="request"/> behind the sequences already waiting. Throws when the
    /// prompt cannot fit (callers validate the length first and dead-letter such prompts).
    /// </summary>
    public void Submit(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var promptLength = request.PromptTokens.Length;
        if (promptLength >= Capacity || promptLength > MaxStepTokens - Slots)
        {
            throw new ArgumentException($"prompt {request.PromptId} has {promptLength} tokens; this decoder takes prompts of at most {Math.Min(Capacity - 1, MaxStepTokens - Slots)}", nameof(request));
        }
        request.Sampling.Sampling.Validate(_vocab);
        var shared = new PromptState(request, Stopwatch.GetTimestamp());
        for (var i = 0; i < request.Sampling.Candidates; i++)
        {
            _waiting.Enqueue(new Sequence(shared, i, Math.Min(Capacity, promptLength + request.Sampling.Sampling.MaxNewTokens)));
            Interlocked.Increment(ref _waitingCount);
        }
        _signal.Release();
    }

    /// <summary>Blocks until something was submitted or <paramref name="cancellationToken"/> fires (the decode thread calls this when idle).</summary>
    public void WaitForWork(CancellationToken cancellationToken) => _signal.Wait(cancellationToken);

    /// <summary>
    /// Admits waiting sequences, runs one engine step and samples one token for every sequence in it. Returns false
    /// (doing nothing) when no sequence is running or waiting.
    /// </summary>
    public bool Step()
    {
        var chunks = 0;
        var tokens = 0;
        _sampleRows.Clear();
        _copies.Clear();
        _needEmbedding.Clear();
        // Running sequences feed the token they sampled last step.
        for (var s = 0; s < _slots.Length; s++)
        {
            if (_slots[s] is { } running)
            {
                _stepSlots[chunks] = s;
                _stepCounts[chunks] = 1;
                _feed[tokens++] = running.History[running.Length - 1];
                _sampleRows.Add((running, chunks));
                chunks++;
            }
        }
        var stepNumber = _stepNumber + 1;
        Admit(stepNumber, ref chunks, ref tokens);
        if (chunks == 0 && _copies.Count == 0)
        {
            _instruments?.Idle(WaitingCount);
            _runningAtLastEnd = false;
            return false;
        }

        ReadOnlySpan<float> logits = default;
        var cpu = _instruments is not null && ThreadCpuClock.TryNow(out var cpuStarted) ? cpuStarted : double.NaN;
        var version = _policy.EnterPass();
        var started = Stopwatch.GetTimestamp();
        // The pause since the last step overlapped a swap if one was under way then, or one started or ended since.
        var swapActivity = _policy.SwapActivity;
        var duringSwap = (_swapActivityAtLastEnd & 1) == 1 || swapActivity != _swapActivityAtLastEnd;
        try
        {
            if (chunks > 0)
            {
                logits = _session.Step(_stepSlots.AsSpan(0, chunks), _feed.AsSpan(0, tokens), _stepCounts.AsSpan(0, chunks));
            }
            if (_needEmbedding.Count > 0)
            {
                Embed();
            }
        }
        finally
        {
            var ended = Stopwatch.GetTimestamp();
            _policy.ExitPass();
            if (_runningAtLastEnd)
            {
                _instruments?.StepGap(Stopwatch.GetElapsedTime(_lastStepEnd, started), duringSwap);
            }
            _lastStepEnd = ended;
            _swapActivityAtLastEnd = _policy.SwapActivity;
            _runningAtLastEnd = true;
            Interlocked.Exchange(ref _stepNumber, stepNumber);
            _instruments?.StepCompleted(Stopwatch.GetElapsedTime(started, ended), _sampleRows.Count + _copies.Count, ActiveCount, _slots.Length, WaitingCount);
        }

        // Leaders just prefilled: keep their next-token row for siblings admitted later.
        foreach (var (seq, row) in _sampleRows)
        {
            if (seq.Length == seq.Shared.Request.PromptTokens.Length && seq.Shared.LeaderStep == stepNumber && seq.Shared.PromptLogits is { } keep)
            {
                logits.Slice(row * _vocab, _vocab).CopyTo(keep);
                seq.Shared.PromptVersion = version;
            }
        }
        foreach (var (seq, donor, _) in _copies)
        {
            CopyPrefix(donor, seq.Slot, seq.Shared.Request.PromptTokens.Length);
        }
        foreach (var (seq, row) in _sampleRows)
        {
            SampleNext(seq, logits.Slice(row * _vocab, _vocab), version);
        }
        foreach (var (seq, _, row) in _copies)
        {
            // A copy admitted with a leader in this step samples from the leader's fresh row; later ones from the kept row.
            var fresh = row >= 0;
            SampleNext(seq, fresh ? logits.Slice(row * _vocab, _vocab) : seq.Shared.PromptLogits, fresh ? version : seq.Shared.PromptVersion);
        }
        if (!double.IsNaN(cpu))
        {
            _instruments!.EngineCpu(ThreadCpuClock.Since(cpu));
        }
        _runningAtLastEnd = _slots.Any(s => s is not null);
        return true;
    }

    /// <summary>Fails every waiting and running request (decode thread only, after it stopped stepping).</summary>
    public void FailAll(Exception? error)
    {
        var failed = new HashSet<PromptState>();
        for (var s = 0; s < _slots.Length; s++)
        {
            if (_slots[s] is { } seq)
            {
                failed.Add(seq.Shared);
                _slots[s] = null;
            }
        }
        while (_waiting.TryDequeue(out var seq))
        {
            Interlocked.Decrement(ref _waitingCount);
            failed.Add(seq.Shared);
        }
        foreach (var r in failed)
        {
            if (error is null)
            {
                r.Request.Cancel();
            }
            else
            {
                r.Request.Fail(error);
            }
        }
        _runningAtLastEnd = false;
    }

    private void Admit(long stepNumber, ref int chunks, ref int tokens)
    {
        for (var s = 0; s < _slots.Length; s++)
        {
            if (_slots[s] is not null)
            {
                continue;
            }
            if (!_waiting.TryPeek(out var next))
            {
                return;
            }
            var shared = next.Shared;
            var promptLength = shared.Request.PromptTokens.Length;
            if (shared.LeaderStep == stepNumber)
            {
                // A sibling is being prefilled in this very step: copy its keys and values afterwards.
                Take(next, s);
                _copies.Add((next, shared.LeaderSlot, shared.LeaderRow));
                continue;
            }
            if (shared.PromptLogits is not null && FindDonor(shared) is int donor)
            {
                // A sibling still holds the prompt's keys and values, and its next-token row was kept.
                Take(next, s);
                _copies.Add((next, donor, -1));
                continue;
            }
            if (tokens + promptLength > MaxStepTokens)
            {
                return; // the prompt goes into the next step
            }
            Take(next, s);
            shared.LeaderStep = stepNumber;
            shared.LeaderSlot = s;
            shared.LeaderRow = chunks;
            shared.PromptLogits ??= new float[_vocab];
            if (shared.Embedding is null)
            {
                shared.Embedding = new float[_policy.Model.Config.HiddenSize];
                _needEmbedding.Add(shared);
            }
            _stepSlots[chunks] = s;
            _stepCounts[chunks] = promptLength;
            shared.Request.PromptTokens.CopyTo(_feed, tokens);
            tokens += promptLength;
            _sampleRows.Add((next, chunks));
            chunks++;
        }
    }

    private void Take(Sequence seq, int slot)
    {
        _waiting.TryDequeue(out _);
        Interlocked.Decrement(ref _waitingCount);
        _session.Cache.Reset(slot);
        _slots[slot] = seq;
        seq.Slot = slot;
        if (seq.Shared.AdmittedAt == 0)
        {
            seq.Shared.AdmittedAt = Stopwatch.GetTimestamp();
        }
    }

    private int? FindDonor(PromptState shared)
    {
        for (var s = 0; s < _slots.Length; s++)
        {
            if (_slots[s] is { } seq && ReferenceEquals(seq.Shared, shared) && seq.Length > shared.Request.PromptTokens.Length)
            {
                return s;
            }
        }
        return null;
    }

    /// <summary>Copies the first <paramref name="length"/> cached positions of every layer from one slot to another.</summary>
    private void CopyPrefix(int from, int to, int length)
    {
        var cache = _session.Cache;
        var width = (long)length * cache.RowWidth;
        for (var l = 0; l < cache.Layers; l++)
        {
            Array.Copy(cache.Data, cache.KeyOffset(from, l), cache.Data, cache.KeyOffset(to, l), width);
            Array.Copy(cache.Data, cache.ValueOffset(from, l), cache.Data, cache.ValueOffset(to, l), width);
        }
        cache.Lengths[to] = length;
    }

    private void SampleNext(Sequence seq, ReadOnlySpan<float> row, long version)
    {
        var options = seq.Shared.Request.Sampling.Sampling;
        SampledToken pick;
        if (_processor is null)
        {
            pick = Sampler.Sample(row, ref seq.Rng, options, _scratch);
        }
        else
        {
            row.CopyTo(_edited);
            _processor.Process(seq.Slot, seq.History.AsSpan(0, seq.Length), _edited);
            pick = Sampler.Sample(_edited, row, ref seq.Rng, options, _scratch);
        }
        if (seq.VersionStart < 0)
        {
            seq.VersionStart = version;
        }
        seq.VersionEnd = version;
        seq.History[seq.Length++] = pick.Token;
        seq.LogProbs.Add(pick.LogProb);
        var generated = seq.LogProbs.Count;
        StopReason? stop = options.IsStop(pick.Token) ? StopReason.StopToken
            : generated >= options.MaxNewTokens ? StopReason.MaxTokens
            : seq.Length >= seq.History.Length ? StopReason.ContextFull
            : null;
        if (stop is { } reason)
        {
            Finish(seq, reason);
        }
    }

    private void Finish(Sequence seq, StopReason reason)
    {
        _slots[seq.Slot] = null;
        var shared = seq.Shared;
        var promptLength = shared.Request.PromptTokens.Length;
        shared.Results[seq.Index] = new GeneratedCandidate(seq.History[promptLength..seq.Length], [.. seq.LogProbs], reason,
            shared.Request.Seeds[seq.Index], seq.VersionStart, seq.VersionEnd);
        if (++shared.Finished == shared.Results.Length)
        {
            var now = Stopwatch.GetTimestamp();
            shared.Request.Complete(new GenerationOutcome(shared.Results!, shared.Embedding ?? [],
                Stopwatch.GetElapsedTime(shared.SubmittedAt, shared.AdmittedAt), Stopwatch.GetElapsedTime(shared.AdmittedAt, now)));
        }
    }

    /// <summary>Final-layer hidden state at each new prompt's last token, from one packed forward (inside the pass gate).</summary>
    private void Embed()
    {
        _embedder ??= new TrainingSession(_policy.Model, _slots.Length, MaxStepTokens, Capacity);
        var batch = _embedder.Batch;
        batch.Clear();
        foreach (var r in _needEmbedding)
        {
            batch.Add(r.Request.PromptTokens);
        }
        _embedder.Forward(forBackward: false);
        for (var i = 0; i < _needEmbedding.Count; i++)
        {
            var r = _needEmbedding[i];
            _embedder.HiddenAt(i, r.Request.PromptTokens.Length - 1).CopyTo(r.Embedding);
        }
    }

    /// <summary>Per-prompt state shared by its candidates (decode thread only).</summary>
    private sealed class PromptState(GenerationRequest request, long submittedAt)
    {
        public GenerationRequest Request { get; } = request;

        public long SubmittedAt { get; } = submittedAt;

        public long AdmittedAt { get; set; }

        public GeneratedCandidate[] Results { get; } = new GeneratedCandidate[request.Sampling.Candidates];

        public int Finished { get; set; }

        public long LeaderStep { get; set; } = -1;

        public int LeaderSlot { get; set; } = -1;

        public int LeaderRow { get; set; } = -1;

        public float[]? PromptLogits { get; set; }

        public long PromptVersion { get; set; }

        public float[]? Embedding { get; set; }
    }

    /// <summary>One candidate being decoded.</summary>
    private sealed class Sequence
    {
        public Sequence(PromptState shared, int index, int historyLength)
        {
            Shared = shared;
            Index = index;
            Rng = new Xoshiro256(shared.Request.Seeds[index]);
            History = new int[historyLength];
            shared.Request.PromptTokens.CopyTo(History, 0);
            Length = shared.Request.PromptTokens.Length;
            LogProbs = new List<float>(shared.Request.Sampling.Sampling.MaxNewTokens);
        }

        public PromptState Shared { get; }

        public int Index { get; }

#pragma warning disable SA1401, CA1051 // The RNG is a mutable struct advanced in place by ref.
        public Xoshiro256 Rng;
#pragma warning restore SA1401, CA1051

        public int[] History { get; }

        public int Length { get; set; }

        public List<float> LogProbs { get; }

        public int Slot { get; set; } = -1;

        public long VersionStart { get; set; } = -1;

        public long VersionEnd { get; set; } = -1;
    }
}
