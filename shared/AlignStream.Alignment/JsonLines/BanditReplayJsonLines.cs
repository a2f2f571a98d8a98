using System.Text.Json.Nodes;
using AlignStream.Alignment.Bandit;

namespace AlignStream.Alignment.JsonLines;

/// <summary>
/// `align bandit replay`: replays selection events {"context": [...], "batch_id"?} and feedback events
/// {"arm": k, "context": [...], "loss": l} or {"batch_id": id, "loss": l} (delayed feedback for an earlier
/// selection). Prints {"line", "event": "select", "arm", "ucb"} for every selection and
/// {"line", "event": "update", "arm", "reward", "normalized_reward"} for every applied feedback.
/// </summary>
public static class BanditReplayJsonLines
{
    /// <summary>Arms needed by a replay file: one more than the largest "arm" in it (at least 1).</summary>
    public static int ArmsIn(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var max = 0;
        foreach (var text in lines)
        {
            try
            {
                if (!string.IsNullOrWhiteSpace(text) && JsonNode.Parse(text) is JsonObject o && o["arm"] is JsonValue v && v.TryGetValue<int>(out var arm))
                {
                    max = Math.Max(max, arm);
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // Reported with its line number by the replay itself.
            }
        }
        return max + 1;
    }

    /// <summary>Context width: the length of the first "context" array in the file, or null if none.</summary>
    public static int? DimensionIn(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        foreach (var text in lines)
        {
            try
            {
                if (!string.IsNullOrWhiteSpace(text) && JsonNode.Parse(text) is JsonObject o && o["context"] is JsonArray a)
                {
                    return a.Count;
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // Reported with its line number by the replay itself.
            }
        }
        return null;
    }

    public static JsonLinesReport Run(LinUcbBandit bandit, TextReader input, TextWriter output, TextWriter error, string source)
    {
        ArgumentNullException.ThrowIfNull(bandit);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        int processed = 0, failed = 0;
        foreach (var (line, text) in JsonLinesReader.Lines(input))
        {
            processed++;
            try
            {
                var obj = JsonLinesReader.ParseObject(text);
                var batchId = JsonLinesReader.OptionalString(obj, "batch_id");
                if (obj["loss"] is null)
                {
                    var context = JsonLinesReader.Numbers(obj["context"], "\"context\"");
                    var choice = batchId is null ? bandit.Score(context) : bandit.Select(batchId, context);
                    output.WriteLine(new JsonObject
                    {
                        ["line"] = line,
                        ["event"] = "select",
                        ["arm"] = choice.Arm,
                        ["ucb"] = new JsonArray(choice.Ucb.Select(u => (JsonNode?)JsonValue.Create(u)).ToArray()),
                    }.ToJsonString(JsonLinesReader.Output));
                    continue;
                }
                var loss = JsonLinesReader.Number(obj["loss"], "\"loss\"");
                BanditUpdate update;
                if (obj["arm"] is null)
                {
                    update = bandit.Feedback(batchId ?? throw new FormatException("feedback needs \"arm\" and \"context\", or the \"batch_id\" of an earlier selection"), loss);
                }
                else
                {
                    var armValue = JsonLinesReader.Number(obj["arm"], "\"arm\"");
                    if (armValue != Math.Floor(armValue) || armValue < 0 || armValue > int.MaxValue)
                    {
                        throw new FormatException($"\"arm\" must be a non-negative integer, got {armValue}");
                    }
                    var arm = (int)armValue;
                    update = bandit.Observe(arm, JsonLinesReader.Numbers(obj["context"], "\"context\""), loss);
                }
                output.WriteLine(new JsonObject
                {
                    ["line"] = line,
                    ["event"] = "update",
                    ["arm"] = update.Arm,
                    ["reward"] = update.RawReward,
                    ["normalized_reward"] = update.Reward,
                }.ToJsonString(JsonLinesReader.Output));
            }
            catch (Exception e) when (JsonLinesReader.IsLineError(e))
            {
                failed++;
                JsonLinesReader.Fail(error, source, line, e.Message);
            }
        }
        return new JsonLinesReport(processed, failed);
    }
}
