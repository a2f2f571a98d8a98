using AlignStream.Platform.Bus;
using AlignStream.Platform.Hosting;
using AlignStream.Trainer.Extensions;

var builder = AlignHost.CreateBuilder(args);
builder.AddTrainerStage();
builder.Services.AddAlignBus(builder.Configuration, bus => bus.AddTrainerConsumers());
var app = builder.Build();
app.MapAlignDefaultEndpoints();
return await AlignHost.RunAsync(app, a =>
{
    Console.WriteLine($"trainer: metrics {a.GetMetricsUri()}");
    return Task.CompletedTask;
});
