using System.Text.Json.Nodes;
using AlignStream.Alignment.Rewards;

namespace AlignStream.Alignment.JsonLines;

/// <summary>
/// `align reward`: each line {"text", "prompt"?, "task"?, ...} is echoed with "score" added (and
/// "rm" = name@version), in input order. Lines are scored in batches through the model's batched API.
/// </summary>
public static class RewardJsonLines
{
    public const int DefaultBatchSize = 64;

    public static async Task<JsonLinesReport> RunAsync(IRewardModel model, TextReader input, TextWriter output, TextWriter error, string source, int batchSize = DefaultBatchSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int processed = 0, failed = 0;
        var pending = new List<(int Line, JsonObject Obj, RewardInput Input)>(batchSize);
        foreach (var (line, text) in JsonLinesReader.Lines(input))
        {
            processed++;
            try
            {
                var obj = JsonLinesReader.ParseObject(text);
                var response = JsonLinesReader.OptionalString(obj, "text") ?? throw new FormatException("missing \"text\" (the response to score)");
                var prompt = JsonLinesReader.OptionalString(obj, "prompt") ?? string.Empty;
                pending.Add((line, obj, new RewardInput(prompt, response, JsonLinesReader.OptionalString(obj, "task"))));
            }
            catch (Exception e) when (JsonLinesReader.IsLineError(e))
            {
                failed++;
                JsonLinesReader.Fail(error, source, line, e.Message);
            }
            if (pending.Count == batchSize)
            {
                await FlushAsync(model, pending, output, cancellationToken).ConfigureAwait(false);
            }
        }
        await FlushAsync(model, pending, output, cancellationToken).ConfigureAwait(false);
        return new JsonLinesReport(processed, failed);
    }

    private static async Task FlushAsync(IRewardModel model, List<(int Line, JsonObject Obj, RewardInput Input)> pending, TextWriter output, CancellationToken cancellationToken)
    {
        if (pending.Count == 0)
        {
            return;
        }
        // A non-finite score is a model bug, not a bad line: it stops the run with the model and item named.
        var scores = await model.ScoreValidatedAsync(pending.Select(p => p.Input).ToArray(), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < pending.Count; i++)
        {
            var obj = pending[i].Obj;
            obj["score"] = scores[i];
            obj["rm"] = $"{model.Name}@{model.Version}";
            await output.WriteLineAsync(obj.ToJsonString(JsonLinesReader.Output)).ConfigureAwait(false);
        }
        pending.Clear();
    }
}
