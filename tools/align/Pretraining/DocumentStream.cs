using AlignStream.Engine.Sampling;
using AlignStream.Engine.Tokenization;

namespace AlignStream.Cli.Pretraining;

/// <summary>
/// An endless, seeded stream of training documents, each `&lt;bos&gt; text &lt;eos&gt;` in byte tokens:
/// corpus sentences in a fresh shuffled order every epoch, with arithmetic strings mixed in so that
/// they make up <see cref="ArithmeticTokenShare"/> of the tokens. Same inputs and seed, same stream.
/// </summary>
public sealed class DocumentStream
{
    private readonly IReadOnlyList<string> _sentences;
    private readonly ArithmeticProblems _arithmetic;
    private readonly int[] _order;
    private Xoshiro256 _rng;
    private int _next;
    private long _arithmeticTokens;
    private long _totalTokens;

    /// <summary>Creates the stream; <paramref name="arithmeticTokenShare"/> is in [0, 1).</summary>
    public DocumentStream(IReadOnlyList<string> sentences, double arithmeticTokenShare, ulong seed, ArithmeticProblems? arithmetic = null)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (arithmeticTokenShare is < 0 or >= 1 || double.IsNaN(arithmeticTokenShare))
        {
            throw new ArgumentOutOfRangeException(nameof(arithmeticTokenShare), arithmeticTokenShare, "the arithmetic share must be in [0, 1)");
        }
        if (sentences.Count == 0 && arithmeticTokenShare == 0)
        {
            throw new ArgumentException("no sentences and no arithmetic: the stream would be empty", nameof(sentences));
        }
        _sentences = sentences;
        ArithmeticTokenShare = arithmeticTokenShare;
        _rng = new Xoshiro256(Xoshiro256.DeriveSeed(seed, "documents"));
        _arithmetic = arithmetic ?? new ArithmeticProblems(Xoshiro256.DeriveSeed(seed, "arithmetic"));
        _order = Enumerable.Range(0, sentences.Count).ToArray();
        _next = _order.Length;
    }

    /// <summary>Target share of arithmetic tokens.</summary>
    public double ArithmeticTokenShare { get; }

    /// <summary>Completed passes over the sentences.</summary>
    public int Epoch { get; private set; } = -1;

    /// <summary>Tokens handed out so far.</summary>
    public long TotalTokens => _totalTokens;

    /// <summary>Arithmetic tokens handed out so far.</summary>
    public long ArithmeticTokens => _arithmeticTokens;

    /// <summary>`&lt;bos&gt;` + UTF-8 bytes of <paramref name="text"/> + `&lt;eos&gt;`.</summary>
    public static int[] Encode(string text)
    {
        var bytes = ByteTokenizer.Instance.Encode(text);
        var doc = new int[bytes.Length + 2];
        doc[0] = ByteTokenizer.BosIdConstant;
        bytes.CopyTo(doc, 1);
        doc[^1] = ByteTokenizer.EosIdConstant;
        return doc;
    }

    /// <summary>The next document's tokens.</summary>
    public int[] Next()
    {
        // Arithmetic whenever it is behind its share of the tokens so far: exact and deterministic.
        var arithmetic = _sentences.Count == 0 || _arithmeticTokens < ArithmeticTokenShare * _totalTokens;
        int[] doc;
        if (arithmetic && ArithmeticTokenShare > 0)
        {
            doc = Encode(_arithmetic.Next().Text);
            _arithmeticTokens += doc.Length;
        }
        else
        {
            if (_next == _order.Length)
            {
                Shuffle();
            }
            doc = Encode(_sentences[_order[_next++]]);
        }
        _totalTokens += doc.Length;
        return doc;
    }

    private void Shuffle()
    {
        for (var i = _order.Length - 1; i > 0; i--)
        {
            var j = _rng.NextInt(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
        _next = 0;
        Epoch++;
    }
}
