using System.Text.Json.Nodes;
using AlignStream.Alignment.Selection;

namespace AlignStream.Alignment.JsonLines;

/// <summary>
/// `align select`: each line {"prompt_id", "rewards", "ref_logprobs"?, "similarity"?} becomes one output
/// line per selected pair {"prompt_id", "chosen", "rejected", "margin"}, or {"prompt_id", "skipped": reason}.
/// </summary>
public static class SelectJsonLines
{
    public static JsonLinesReport Run(IPairSelector selector, TextReader input, TextWriter output, TextWriter error, string source)
    {
        ArgumentNullException.ThrowIfNull(selector);
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
                if (!obj.TryGetPropertyValue("prompt_id", out var promptId) || promptId is null)
                {
                    throw new FormatException("missing \"prompt_id\"");
                }
                var rewards = JsonLinesReader.Numbers(obj["rewards"], "\"rewards\"");
                var refLogprobs = obj["ref_logprobs"] is null ? null : JsonLinesReader.Numbers(obj["ref_logprobs"], "\"ref_logprobs\"");
                var similarity = obj["similarity"] is null ? null : JsonLinesReader.Matrix(obj["similarity"], "\"similarity\"");
                var result = selector.Select(new SelectionInput(rewards, refLogprobs, similarity));
                if (result.IsSkipped)
                {
                    output.WriteLine(new JsonObject { ["prompt_id"] = promptId.DeepClone(), ["skipped"] = result.SkipReason }.ToJsonString(JsonLinesReader.Output));
                    continue;
                }
                foreach (var pair in result.Pairs)
                {
                    output.WriteLine(new JsonObject
                    {
                        ["prompt_id"] = promptId.DeepClone(),
                        ["chosen"] = pair.Chosen,
                        ["rejected"] = pair.Rejected,
                        ["margin"] = pair.Margin,
                    }.ToJsonString(JsonLinesReader.Output));
                }
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
