using AlignStream.Cli.Commands;

return await CommandRunner.RunAsync(args);
