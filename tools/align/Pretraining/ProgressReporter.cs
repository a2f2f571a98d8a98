using System.Globalization;

namespace AlignStream.Cli.Pretraining;

/// <summary>
/// Shows <see cref="PretrainProgress"/>: a bar redrawn in place (at most five times a second) when the
/// writer is a terminal, plain log lines (at every held-out evaluation and every tenth of the run) otherwise.
/// </summary>
public sealed class ProgressReporter(TextWriter writer, bool terminal, string prefix = "pretrain")
{
    private const int BarWidth = 24;
    private double _lastDraw = double.NegativeInfinity;
    private int _lastLoggedTenth = -1;

    /// <summary>A reporter on standard error, as a bar when standard error is a terminal.</summary>
    public static ProgressReporter ForStandardError(string prefix = "pretrain") => new(Console.Error, !Console.IsErrorRedirected, prefix);

    /// <summary>Reports one step.</summary>
    public void Report(PretrainProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.TotalSteps <= 0)
        {
            // A time budget: the first steps are timed to plan the step count.
            if (terminal)
            {
                writer.Write(string.Create(CultureInfo.InvariantCulture, $"\r[{new string('.', BarWidth)}] step {p.Step}  timing steps to plan the budget  loss {p.SmoothedLoss:F3}   "));
                writer.Flush();
            }
            else if (p.Step == 1)
            {
                writer.WriteLine("pretrain: timing the first steps to turn the time budget into a step count");
                writer.Flush();
            }
            return;
        }
        var last = p.Step == p.TotalSteps;
        if (terminal)
        {
            if (!last && !p.EvaluatedThisStep && p.ElapsedSeconds - _lastDraw < 0.2)
            {
                return;
            }
            _lastDraw = p.ElapsedSeconds;
            var filled = (int)Math.Round(BarWidth * (double)p.Step / p.TotalSteps);
            writer.Write("\r[" + new string('#', filled) + new string('.', BarWidth - filled) + "] " + Line(p) + "   ");
            if (last)
            {
                writer.WriteLine();
            }
            writer.Flush();
            return;
        }
        var tenth = (int)(10L * p.Step / p.TotalSteps);
        if (p.EvaluatedThisStep || tenth != _lastLoggedTenth)
        {
            _lastLoggedTenth = tenth;
            writer.WriteLine("pretrain: " + Line(p));
            writer.Flush();
        }
    }

    /// <summary>Writes a free-form line, ending the bar first when one is drawn.</summary>
    public void Note(string line)
    {
        writer.WriteLine(prefix + ": " + line);
        writer.Flush();
    }

    private static string Line(PretrainProgress p)
    {
        var held = p.HeldOutLoss is { } h ? string.Create(CultureInfo.InvariantCulture, $"  held-out {h:F3}") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"step {p.Step}/{p.TotalSteps}  {p.TokensPerSecond:F0} tok/s  loss {p.SmoothedLoss:F3}{held}  lr {p.LearningRate:G3}  eta {Duration(p.EtaSeconds)}");
    }

    /// <summary>`1m05s` style duration.</summary>
    public static string Duration(double seconds)
    {
        var s = (long)Math.Max(0, Math.Round(seconds));
        return s >= 60 ? string.Create(CultureInfo.InvariantCulture, $"{s / 60}m{s % 60:D2}s") : string.Create(CultureInfo.InvariantCulture, $"{s}s");
    }
}
