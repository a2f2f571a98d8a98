using System.Text;
using AlignStream.Contracts;
using AlignStream.Contracts.Records;
using AlignStream.Platform.Kafka;
using Google.Protobuf;

namespace AlignStream.Platform.Tests.Kafka;

/// <summary>Unit tests: decoding accepts the project's records and rejects everything else with a reason; record ids are stable.</summary>
public sealed class ProtobufRecordCodecTests
{
    private static readonly ProtobufRecordCodec<Prompt> Codec = ProtobufRecordCodec<Prompt>.Instance;

    [Fact]
    public void A_prompt_round_trips()
    {
        var prompt = new Prompt { SchemaVersion = RecordSchema.Version, PromptId = "p1", Task = "chat", Text = "hi", Metadata = { ["k"] = "v" } };
        Assert.True(Codec.TryDecode(prompt.ToByteArray(), out var decoded, out var reason), reason);
        Assert.Equal(prompt, decoded);
    }

    [Fact]
    public void Garbage_empty_unversioned_and_newer_records_are_rejected_with_a_reason()
    {
        Assert.False(Codec.TryDecode(Encoding.ASCII.GetBytes("not a protobuf \u00ff"), out _, out var garbage));
        Assert.Contains("not a valid Prompt protobuf", garbage, StringComparison.Ordinal);

        Assert.False(Codec.TryDecode([], out _, out var empty));
        Assert.Contains("empty value", empty, StringComparison.Ordinal);

        // Bytes that happen to parse (field 2 = "x") but carry no schema version are not our records.
        Assert.False(Codec.TryDecode(new Prompt { PromptId = "x" }.ToByteArray(), out _, out var unversioned));
        Assert.Contains("without schema_version", unversioned, StringComparison.Ordinal);

        Assert.False(Codec.TryDecode(new Prompt { SchemaVersion = RecordSchema.Version + 1 }.ToByteArray(), out _, out var newer));
        Assert.Contains("newer", newer, StringComparison.Ordinal);
    }

    [Fact]
    public void Record_ids_prefer_the_record_own_id_and_fall_back_to_a_content_hash()
    {
        var pair = new PreferencePair { SchemaVersion = 1, PairId = "pair-7", Prompt = new Prompt { PromptId = "p" } };
        Assert.Equal("pair-7", RecordIds.For(pair, pair.ToByteArray()));
        var set = new CandidateSet { SchemaVersion = 1, RecordId = "cs-1" };
        Assert.Equal("cs-1", RecordIds.For(set, set.ToByteArray()));
        var prompt = new Prompt { SchemaVersion = 1, PromptId = "p-9" };
        Assert.Equal("p-9", RecordIds.For(prompt, prompt.ToByteArray()));

        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad (FIPS 180-2 example).
        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223", RecordIds.FromContent("abc"u8));
        Assert.Equal(RecordIds.FromContent("abc"u8), RecordIds.For(new Prompt { SchemaVersion = 1 }, "abc"u8));
    }

    [Fact]
    public void Prompt_ids_are_deterministic_in_content_and_line()
    {
        var a = RecordIds.PromptId("chat", "hello", 3);
        Assert.Equal(a, RecordIds.PromptId("chat", "hello", 3));
        Assert.NotEqual(a, RecordIds.PromptId("chat", "hello", 4));
        Assert.NotEqual(a, RecordIds.PromptId("chat", "hello!", 3));
        Assert.Matches("^p-[0-9a-f]{24}$", a);
        // Independent: SHA-256 over "task\x1ftext\x1fline" (the documented material).
        var expected = "p-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("chat\u001fhello\u001f3")))[..24];
        Assert.Equal(expected, a);
    }
}
