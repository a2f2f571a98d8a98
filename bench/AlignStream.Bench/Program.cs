using AlignStream.Engine.Model;

// The engine benchmark: same code as `align bench engine --json`. Arguments: [threads] [repeats].
var threads = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2;
var repeats = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
var bench = new EngineBenchmark { Threads = threads, Repeats = repeats, Progress = line => Console.Error.WriteLine("bench: " + line) };
Console.WriteLine(EngineBenchmark.ToJson(bench.Run()));
return 0;
