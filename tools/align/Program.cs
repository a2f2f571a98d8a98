using AlignStream.Cli.Commands;
using AlignStream.Cli.Hosting;

// Before anything touches the thread pool: it reads its spin setting once, when it starts.
ServiceRuntime.Apply(args);
return await CommandRunner.RunAsync(args);
