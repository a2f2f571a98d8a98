using System.Globalization;
using AlignStream.Alignment.Rewards;
using AlignStream.Cli.Pretraining;
using AlignStream.Engine.Tokenization;
using AlignStream.Engine.Training;

namespace AlignStream.Pretrain.Tests;

/// <summary>Arithmetic strings, the mixed document stream and packing.</summary>
public sealed class ArithmeticAndPackingTests
{
    [Fact]
    public void Arithmetic_strings_are_correct_in_range_and_seeded()
    {
        var gen = new ArithmeticProblems(7);
        var again = new ArithmeticProblems(7);
        var other = new ArithmeticProblems(8);
        var sawPlus = false;
        var sawTimes = false;
        var differs = false;
        for (var i = 0; i < 2000; i++)
        {
            var p = gen.Next();
            Assert.Equal(p, again.Next());
            differs |= p != other.Next();
            var op = p.Prompt.Contains('+', StringComparison.Ordinal) ? '+' : '*';
            var parts = p.Prompt.TrimEnd('=').Split(op);
            var a = int.Parse(parts[0], CultureInfo.InvariantCulture);
            var b = int.Parse(parts[1], CultureInfo.InvariantCulture);
            Assert.EndsWith("=", p.Prompt, StringComparison.Ordinal);
            Assert.InRange(a, 0, op == '+' ? 99 : 12);
            Assert.InRange(b, 0, op == '+' ? 99 : 12);
            Assert.Equal(op == '+' ? a + b : a * b, int.Parse(p.Answer, CultureInfo.InvariantCulture));
            // The project's verifier, written independently, accepts the answer.
            Assert.Equal(1.0, ArithmeticRewardModel.Score(p.Prompt, p.Answer));
            sawPlus |= op == '+';
            sawTimes |= op == '*';
        }
        Assert.True(sawPlus && sawTimes && differs);
        Assert.Equal("37+45=82", new ArithmeticProblem("37+45=", "82").Text);
    }

    [Fact]
    public void Documents_are_bos_text_eos_and_mix_arithmetic_at_the_token_share()
    {
        Assert.Equal([ByteTokenizer.BosIdConstant, (int)'1', (int)'=', ByteTokenizer.EosIdConstant], DocumentStream.Encode("1="));
        var sentences = Enumerable.Range(0, 50).Select(i => $"Sentence number {i} is here.").ToList();
        var s1 = new DocumentStream(sentences, 0.25, 3);
        var s2 = new DocumentStream(sentences, 0.25, 3);
        var seen = new HashSet<string>();
        for (var i = 0; i < 400; i++)
        {
            var d = s1.Next();
            Assert.Equal(d, s2.Next());
            Assert.Equal(ByteTokenizer.BosIdConstant, d[0]);
            Assert.Equal(ByteTokenizer.EosIdConstant, d[^1]);
            var text = ByteTokenizer.Instance.Decode(d.AsSpan(1, d.Length - 2));
            if (text.StartsWith("Sentence", StringComparison.Ordinal))
            {
                seen.Add(text);
            }
            else
            {
                Assert.Matches(@"^\d+[+*]\d+=\d+$", text);
            }
        }
        // Every sentence comes once per epoch, and arithmetic tracks its share of the tokens.
        Assert.Equal(50, seen.Count);
        Assert.InRange((double)s1.ArithmeticTokens / s1.TotalTokens, 0.24, 0.26);
        Assert.True(s1.Epoch >= 1);
    }

    [Fact]
    public void Packing_fills_rows_with_whole_documents_in_order_and_cuts_long_ones()
    {
        int[][] docs = [[1, 2, 3], [4, 5, 6, 7], [8, 9], Enumerable.Range(10, 25).ToArray(), [40, 41, 42]];
        var i = 0;
        var packer = new SequencePacker(() => docs[i++ % docs.Length], rowTokens: 10);
        var r1 = packer.NextRow();
        Assert.Equal([[1, 2, 3], [4, 5, 6, 7], [8, 9]], r1);
        // The 25-token document becomes pieces of 10, 10 and 5.
        Assert.Equal([Enumerable.Range(10, 10).ToArray()], packer.NextRow());
        Assert.Equal([Enumerable.Range(20, 10).ToArray()], packer.NextRow());
        Assert.Equal([Enumerable.Range(30, 5).ToArray(), [40, 41, 42]], packer.NextRow());

        var batch = new SequenceBatch(64, 40);
        var j = 0;
        var packer2 = new SequencePacker(() => docs[j++ % docs.Length], rowTokens: 10);
        var tokens = packer2.FillBatch(batch, rows: 2);
        Assert.Equal(19, tokens);
        Assert.Equal(4, batch.Count);
        Assert.Equal([0, 3, 7, 9], batch.Starts[..4]);
        // Each document is its own sequence: positions restart and the last row scores nothing.
        Assert.Equal([0, 1, 2, 0, 1, 2, 3, 0, 1, 0], batch.Positions[..10]);
        Assert.Equal([2, 3, -1, 5, 6, 7, -1, 9, -1, 11], batch.Targets[..10]);
    }
}
