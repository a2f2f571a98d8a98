using AlignStream.Generator.Extensions;
using AlignStream.Platform.Bus;
using AlignStream.Platform.Hosting;

var builder = AlignHost.CreateBuilder(args);
builder.AddGeneratorStage();
builder.Services.AddAlignBus(builder.Configuration, bus => bus.AddGeneratorConsumers());
var app = builder.Build();
app.MapAlignDefaultEndpoints();
return await AlignHost.RunAsync(app, a =>
{
    Console.WriteLine($"generator: metrics {a.GetMetricsUri()}");
    return Task.CompletedTask;
});
