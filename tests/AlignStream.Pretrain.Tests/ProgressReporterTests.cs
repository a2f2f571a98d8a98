using AlignStream.Cli.Pretraining;

namespace AlignStream.Pretrain.Tests;

/// <summary>The progress display: a bar redrawn in place on a terminal, log lines otherwise.</summary>
public sealed class ProgressReporterTests
{
    private static PretrainProgress At(int step, int total, bool eval = false) =>
        new(step, total, step * 1000L, 2.5, 2.4, eval ? 2.6 : null, eval, 1e-3, step * 0.5);

    [Fact]
    public void Terminal_output_redraws_one_line_and_ends_it_at_the_last_step()
    {
        var w = new StringWriter();
        var r = new ProgressReporter(w, terminal: true);
        r.Report(At(1, 0));
        r.Report(At(10, 10, eval: true));
        var text = w.ToString();
        Assert.StartsWith("\r[", text, StringComparison.Ordinal);
        Assert.Contains("timing steps to plan the budget", text, StringComparison.Ordinal);
        Assert.Contains("\r[########################] step 10/10  2000 tok/s  loss 2.400  held-out 2.600", text, StringComparison.Ordinal);
        Assert.EndsWith(Environment.NewLine, text, StringComparison.Ordinal);
        Assert.Single(text.Split(Environment.NewLine), l => l.Length > 0);
    }

    [Fact]
    public void Redirected_output_logs_every_tenth_and_every_evaluation_without_carriage_returns()
    {
        var w = new StringWriter();
        var r = new ProgressReporter(w, terminal: false);
        for (var s = 1; s <= 100; s++)
        {
            r.Report(At(s, 100, eval: s == 55));
        }
        var lines = w.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain('\r', w.ToString());
        Assert.Equal(12, lines.Length); // steps 1 (tenth 0), 10, 20, ..., 100 and the evaluation at 55
        Assert.Contains(lines, l => l.StartsWith("pretrain: step 55/100", StringComparison.Ordinal) && l.Contains("held-out 2.600", StringComparison.Ordinal));
        Assert.Equal("1m05s", ProgressReporter.Duration(65));
    }
}
