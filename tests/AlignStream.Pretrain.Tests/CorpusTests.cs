using AlignStream.Cli.Pretraining;

namespace AlignStream.Pretrain.Tests;

/// <summary>Brown corpus parsing and the file-level train/held-out split.</summary>
public sealed class CorpusTests
{
    [Fact]
    public void Tags_are_stripped_and_punctuation_attaches_to_its_word()
    {
        // The first sentence of ca01, read by hand.
        const string line = "\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn of/in Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./.";
        Assert.Equal("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\" that any irregularities took place.",
            BrownDetokenizer.Sentence(line));
    }

    [Theory]
    [InlineData("a/at (/( b/nn )/) ,/, c/nn ;/. d/nn :/: e/nn ?/. f/nn !/.", "a (b), c; d: e? f!")]
    [InlineData("He/pps said/vbd ,/, ``/`` Go/vb ''/'' ./.", "He said, \"Go\".")]
    [InlineData("the/at '/' best/jjt '/' one/cd", "the 'best' one")]
    [InlineData("1/2/cd cup/nn", "1/2 cup")]
    [InlineData("the/at **ya/nn particle/nn and/cc CuK**ya/nn rays/nns", "the particle and rays")]
    [InlineData("   ", "")]
    public void Sentences_are_rebuilt_readably(string tagged, string expected)
    {
        Assert.Equal(expected, BrownDetokenizer.Sentence(tagged));
    }

    [Fact]
    public void Split_is_by_file_deterministic_and_disjoint()
    {
        var dir = Directory.CreateTempSubdirectory("brown-").FullName;
        try
        {
            // 12 files, each with two sentences naming their file; noise files that are not corpus files.
            for (var i = 0; i < 12; i++)
            {
                var name = $"c{(char)('a' + (i / 5))}0{(i % 5) + 1}";
                File.WriteAllText(Path.Combine(dir, name), $"\n\n\tFile/nn {name}/np one/cd ./.\n\n\tFile/nn {name}/np two/cd ./.\n");
            }
            File.WriteAllText(Path.Combine(dir, "README"), "not/at a/at corpus/nn file/nn");
            File.WriteAllText(Path.Combine(dir, "cats.txt"), "ca01 news");
            var a = BrownCorpus.LoadFrom(dir, heldOutEvery: 4);
            var b = BrownCorpus.LoadFrom(dir, heldOutEvery: 4);
            var sorted = Enumerable.Range(0, 12).Select(i => $"c{(char)('a' + (i / 5))}0{(i % 5) + 1}").Order(StringComparer.Ordinal).ToList();
            Assert.Equal([sorted[3], sorted[7], sorted[11]], a.HeldOutFiles);
            Assert.Equal(9, a.TrainFiles.Count);
            Assert.Empty(a.TrainFiles.Intersect(a.HeldOutFiles));
            Assert.Equal(a.TrainSentences, b.TrainSentences);
            Assert.Equal(a.HeldOutSentencesList, b.HeldOutSentencesList);
            Assert.Equal($"File {sorted[3]} one.", a.HeldOutSentencesList[0]);
            Assert.Equal(6, a.HeldOutSentencesList.Count);
            Assert.Equal(18, a.TrainSentences.Count);
            Assert.Empty(a.TrainSentences.Intersect(a.HeldOutSentencesList));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Real_corpus_holds_out_every_tenth_file()
    {
        var corpus = BrownCorpus.Load();
        Assert.Equal(500, corpus.TrainFiles.Count + corpus.HeldOutFiles.Count);
        Assert.Equal(50, corpus.HeldOutFiles.Count);
        Assert.Equal("ca10", corpus.HeldOutFiles[0]);
        Assert.Empty(corpus.TrainFiles.Intersect(corpus.HeldOutFiles));
        Assert.Equal(corpus.HeldOutSentencesList, BrownCorpus.HeldOutSentences());
        Assert.DoesNotContain(corpus.TrainSentences.Concat(corpus.HeldOutSentencesList), s => s.Contains("``", StringComparison.Ordinal) || s.Contains("/at", StringComparison.Ordinal) || s.Contains(" .", StringComparison.Ordinal) || s.Contains("**", StringComparison.Ordinal));
        Assert.Equal("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\" that any irregularities took place.", corpus.TrainSentences[0]);
    }

    [Fact]
    public void Missing_corpus_folder_names_the_fix()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => BrownCorpus.LoadFrom(Path.Combine(Path.GetTempPath(), "no-such-brown-" + Guid.NewGuid().ToString("N"))));
        Assert.Contains("./align setup", e.Message, StringComparison.Ordinal);
    }
}
