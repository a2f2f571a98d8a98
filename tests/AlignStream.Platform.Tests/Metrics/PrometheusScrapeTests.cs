using System.Diagnostics.Metrics;
using System.Globalization;
using AlignStream.Platform.Hosting;
using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.Platform.Tests.Metrics;

/// <summary>A real Prometheus scrapes a real host, and its query API returns the host's series with their values.</summary>
[Collection(PrometheusCollection.Name)]
public sealed class PrometheusScrapeTests(PrometheusFixture prometheus)
{
    [Fact]
    public async Task Prometheus_scrapes_the_host_and_the_api_returns_the_series()
    {
        var builder = TestHosts.CreateBuilder();
        await using var app = await TestHosts.StartAsync(builder);
        var run = Guid.NewGuid().ToString("N")[..8];
        var meter = app.Services.GetRequiredService<IMeterFactory>().Create("AlignStream.Tests.Scrape");
        meter.CreateCounter<long>("align_test_scraped", "{record}", "Records seen by the scrape test.")
            .Add(17, new KeyValuePair<string, object?>("run", run));
        meter.CreateHistogram("align_test_scrape_latency", "s", "Latency seen by the scrape test.",
                advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] })
            .Record(0.5, new KeyValuePair<string, object?>("run", run));

        var uri = app.GetListenUri();
        prometheus.AddTarget($"{uri.Host}:{uri.Port}");

        double? value = null;
        await Eventually.WaitAsync(
            async () =>
            {
                var result = await prometheus.QueryAsync($"align_test_scraped_total{{run=\"{run}\"}}");
                if (result.Length == 1)
                {
                    value = double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                }

                return value is not null;
            },
            TimeSpan.FromSeconds(60), $"Prometheus to scrape {uri} and return align_test_scraped_total for run {run}", prometheus.Tail);
        Assert.Equal(17, value);

        var bucket = await prometheus.QueryAsync($"align_test_scrape_latency_seconds_bucket{{run=\"{run}\",le=\"1\"}}");
        Assert.Single(bucket);
        Assert.Equal("1", bucket[0].GetProperty("value")[1].GetString());
        var up = await prometheus.QueryAsync($"up{{instance=\"{uri.Host}:{uri.Port}\"}}");
        Assert.Equal("1", Assert.Single(up).GetProperty("value")[1].GetString());
    }
}
