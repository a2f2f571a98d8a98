using AlignStream.Platform.Bus;
using AlignStream.Platform.Hosting;
using AlignStream.Scorer.Extensions;

var builder = AlignHost.CreateBuilder(args);
builder.AddScorerStage();
builder.Services.AddAlignBus(builder.Configuration, bus => bus.AddScorerConsumers());
var app = builder.Build();
app.MapAlignDefaultEndpoints();
return await AlignHost.RunAsync(app, a =>
{
    Console.WriteLine($"scorer: metrics {a.GetMetricsUri()}");
    return Task.CompletedTask;
});
